//! Helpers shared by the `adapters_*` tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// This process's peak resident memory (`VmHWM` in /proc/self/status),
/// in KiB.
pub fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

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
