//! A private temporary directory for the test servers (the sshd, the
//! Slurm cluster): mode 0700, removed with its contents on drop.

use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A directory of our own under the system's temporary directory, mode
/// 0700, removed with its contents on drop.
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(prefix: &str) -> io::Result<TempDir> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
            match fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(TempDir(path)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("cannot create {}: {e}", path.display()),
                    ))
                }
            }
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// Moves the directory out, leaving an empty one that removes nothing.
    pub(crate) fn take(&mut self) -> TempDir {
        TempDir(std::mem::take(&mut self.0))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_directories_are_private_and_removed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new("procpump-test").unwrap();
        let path = dir.path().to_owned();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        fs::write(path.join("file"), "x").unwrap();
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn a_taken_directory_is_removed_by_its_new_owner_alone() {
        let mut dir = TempDir::new("procpump-test").unwrap();
        let taken = dir.take();
        drop(dir);
        assert!(taken.path().exists());
        let path = taken.path().to_owned();
        drop(taken);
        assert!(!path.exists());
    }
}
