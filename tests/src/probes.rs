//! Probes of process state for leak checks: this process's descriptors and
//! children, the members of a process group; and the clean-up after a
//! failed check.

/// Opens `/proc/self/fd` as a directory, returning the listing's own fd
/// number (to exclude it) and the open fd numbers.
fn scan_fds() -> Vec<i32> {
    use rustix::fs::{Mode, OFlags};
    use std::os::fd::AsRawFd;

    let dir_fd = rustix::fs::open(
        "/proc/self/fd",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .expect("open /proc/self/fd");
    let own = dir_fd.as_raw_fd();
    let mut dir = rustix::fs::Dir::new(dir_fd).expect("read /proc/self/fd");
    let mut fds = Vec::new();
    while let Some(entry) = dir.read() {
        let entry = entry.expect("read /proc/self/fd");
        let Ok(name) = entry.file_name().to_str() else {
            continue;
        };
        if let Ok(fd) = name.parse::<i32>() {
            if fd != own {
                fds.push(fd);
            }
        }
    }
    fds.sort_unstable();
    fds
}

/// Number of file descriptors open in this process (entries of
/// `/proc/self/fd`, not counting the one used to list them).
pub fn open_fds() -> usize {
    scan_fds().len()
}

/// The open file descriptors of this process, sorted, each with its
/// `readlink` target (e.g. `"pipe:[1234]"`, `"/dev/null"`), for diagnostics.
/// A descriptor closed while listing shows as `"<closed>"`.
pub fn open_fd_list() -> Vec<(i32, String)> {
    scan_fds()
        .into_iter()
        .map(|fd| {
            let target = std::fs::read_link(format!("/proc/self/fd/{fd}"))
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| "<closed>".to_owned());
            (fd, target)
        })
        .collect()
}

/// Parses a `/proc/<pid>/stat` line into `(state, ppid)`.
///
/// The `comm` field is in parentheses and may itself contain spaces and
/// parentheses, so parsing starts after the last `)`.
fn parse_stat(stat: &str) -> Option<(char, i32)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// The processes whose parent is this process, as `(pid, state)` sorted by
/// pid, where `state` is the `/proc/<pid>/stat` state letter (`'R'`, `'S'`,
/// `'D'`, `'T'`, `'Z'` for an unreaped zombie, ...).
///
/// Scans every `/proc/<pid>/stat`; processes that vanish during the scan are
/// skipped.
pub fn live_children() -> Vec<(i32, char)> {
    let me = std::process::id() as i32;
    processes_where(|stat| parse_stat(stat).is_some_and(|(_, ppid)| ppid == me))
}

/// `(pid, state)` of every process whose `/proc/<pid>/stat` line `keep`
/// accepts, sorted by pid. Processes that vanish during the scan are
/// skipped.
fn processes_where(keep: impl Fn(&str) -> bool) -> Vec<(i32, char)> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if let Some((state, _)) = parse_stat(&stat).filter(|_| keep(&stat)) {
            found.push((pid, state));
        }
    }
    found.sort_unstable();
    found
}

/// Parses the process group out of a `/proc/<pid>/stat` line (the fifth
/// field; parsing starts after the last `)` as in [`parse_stat`]).
fn parse_stat_pgrp(stat: &str) -> Option<i32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_ascii_whitespace().nth(2)?.parse().ok()
}

/// The processes in process group `pgid` (any parent), as `(pid, state)`
/// sorted by pid. Used to find and check grandchildren that a test started
/// in a group of their own.
pub fn process_group_members(pgid: i32) -> Vec<(i32, char)> {
    processes_where(|stat| parse_stat_pgrp(stat) == Some(pgid))
}

/// Kills (`SIGKILL`) and reaps every child of this process, returning what
/// [`live_children`] listed first. For cleaning up after a failed check, so
/// that a test that found leftovers does not also leave them running.
pub fn kill_and_reap_children() -> Vec<(i32, char)> {
    use rustix::process::{kill_process, waitpid, Pid, Signal, WaitOptions};
    let children = live_children();
    for &(pid, _) in &children {
        if let Some(pid) = Pid::from_raw(pid) {
            let _ = kill_process(pid, Signal::KILL);
            let _ = waitpid(Some(pid), WaitOptions::empty());
        }
    }
    children
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_stat_handles_odd_comm() {
        assert_eq!(parse_stat("123 (a) b (c)) Z 456 1 2 3"), Some(('Z', 456)));
        assert_eq!(parse_stat("1 (init) S 0 1 1"), Some(('S', 0)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn parse_stat_pgrp_handles_odd_comm() {
        assert_eq!(parse_stat_pgrp("123 (a) b (c)) Z 456 789 2 3"), Some(789));
        assert_eq!(parse_stat_pgrp("garbage"), None);
    }

    #[test]
    fn fd_and_child_probes() {
        let before = open_fds();
        let f = std::fs::File::open("/dev/null").unwrap();
        assert!(open_fds() > before);
        assert!(open_fd_list().iter().any(|(_, t)| t == "/dev/null"));
        drop(f);
        // Other test threads may open files concurrently; only sanity-check.
        assert!(open_fds() >= 3);
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        assert!(live_children().iter().any(|&(p, _)| p == pid));
        child.kill().unwrap();
        // Unreaped: becomes a zombie.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let kids = live_children();
            if kids.contains(&(pid, 'Z')) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{kids:?}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        child.wait().unwrap();
        assert!(!live_children().iter().any(|&(p, _)| p == pid));
    }
}
