//! Temporary files and directories for the adapters' tests.

use std::path::{Path, PathBuf};

/// A new, empty directory under the temp dir, unique to this process and
/// `name`.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("procpump-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a test directory");
    dir
}

/// The names in `dir`.
pub fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("list a test directory")
        .map(|entry| {
            entry
                .expect("list a test directory")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// A path under the temp dir, unique to this process and `name`; removed
/// when dropped.
pub struct TempPath(pub PathBuf);

impl TempPath {
    pub fn new(name: &str) -> TempPath {
        TempPath(std::env::temp_dir().join(format!("procpump-{name}-{}", std::process::id())))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
