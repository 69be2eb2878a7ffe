//! What a test process that died without dropping its cluster (killed,
//! or aborted) left behind: daemons, step daemons and tasks still running
//! and a directory. Their directory's name holds the dead process's id
//! (`procpump-slurm-PID-N`), which is how they are told from the clusters
//! of test processes still running.

use std::fs;
use std::path::Path;

/// The directory-name prefix of every cluster.
pub(super) const PREFIX: &str = "procpump-slurm";

/// Kills every process whose `SLURM_CONF` names a cluster directory of a
/// test process that is no longer running, and removes those directories.
pub(super) fn clean_up() {
    let temp = std::env::temp_dir();
    for pid in process_ids() {
        let Some(conf) = slurm_conf_of(pid) else {
            continue;
        };
        let Ok(rest) = Path::new(&conf).strip_prefix(&temp) else {
            continue;
        };
        if rest
            .to_str()
            .and_then(owner)
            .is_some_and(|owner| !crate::alive(owner))
        {
            crate::kill_pid(pid);
        }
    }
    for entry in fs::read_dir(&temp).into_iter().flatten().flatten() {
        let name = entry.file_name();
        if name
            .to_str()
            .and_then(owner)
            .is_some_and(|owner| !crate::alive(owner))
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// The test process that made the cluster directory `path` (relative to
/// the temporary directory: `procpump-slurm-PID-N/...`).
fn owner(path: &str) -> Option<i32> {
    let rest = path.strip_prefix(PREFIX)?.strip_prefix('-')?;
    rest.split('-').next()?.parse().ok()
}

/// The value of `SLURM_CONF` in the environment `pid` started with.
fn slurm_conf_of(pid: i32) -> Option<String> {
    let environ = fs::read(format!("/proc/{pid}/environ")).ok()?;
    environ.split(|&b| b == 0).find_map(|var| {
        let value = var.strip_prefix(b"SLURM_CONF=")?;
        String::from_utf8(value.to_vec()).ok()
    })
}

/// Every process id in `/proc`.
fn process_ids() -> impl Iterator<Item = i32> {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_is_in_the_directory_name() {
        assert_eq!(owner("procpump-slurm-1234-0/slurm.conf"), Some(1234));
        assert_eq!(owner("procpump-slurm-77-3"), Some(77));
        assert_eq!(owner("procpump-sshd-1234-0"), None);
        assert_eq!(owner("procpump-slurmx-1234-0"), None);
    }
}
