//! Probes of process state: this process's descriptors and children, the
//! members of a process group, processes found by a tag on their command
//! line, the CPU time and memory of this process and of its threads; and
//! the clean-up after a failed check.
//!
//! Orphaned processes are re-parented to PID 1, which reaps them when it
//! gets to it (here, not at once): a zombie (`Z`) that is not our child is
//! dead, and the probes of other processes count it as gone.

use std::time::Duration;

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

/// The live (not zombie) processes of process group `pgid`.
pub fn live_members(pgid: i32) -> Vec<(i32, char)> {
    process_group_members(pgid)
        .into_iter()
        .filter(|&(_, state)| state != 'Z')
        .collect()
}

/// The live (not zombie) processes other than this one whose command line
/// contains `tag` as one of its arguments, or inside one (a `sh -c`
/// script).
pub fn tagged(tag: &str) -> Vec<(i32, char)> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    let own = std::process::id() as i32;
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if pid == own {
            continue;
        }
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        if !cmdline.windows(tag.len()).any(|w| w == tag.as_bytes()) {
            continue;
        }
        if let Some(state) = state_of(pid).filter(|&state| state != 'Z') {
            found.push((pid, state));
        }
    }
    found.sort_unstable();
    found
}

/// The state letter of process `pid` (`R`, `S`, `Z`...), if it exists.
pub fn state_of(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// The session of process `pid` (field 6 of `/proc/PID/stat`).
pub fn session_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..]
        .split_ascii_whitespace()
        .nth(3)?
        .parse()
        .ok()
}

/// True if `pid` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    state_of(pid).is_some_and(|state| state != 'Z')
}

/// `SIGKILL` to process `pid` (not to a group); errors are ignored.
pub fn kill_pid(pid: i32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
}

/// `SIGKILL` to every process of group `pgid`; errors are ignored. For
/// cleaning up after a failed check.
pub fn kill_group(pgid: i32) {
    if let Some(pgid) = rustix::process::Pid::from_raw(pgid) {
        let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
    }
}

/// `/proc` reports CPU times in clock ticks of `USER_HZ`, which Linux fixes
/// at 100 per second for every architecture it exports them on.
const USER_HZ: u64 = 100;

/// utime + stime of a `/proc/.../stat` line (fields 14 and 15, counted
/// after the `)` that ends the command name, which may contain spaces).
fn stat_cpu(stat: &str) -> Duration {
    let rest = &stat[stat.rfind(')').expect("a stat line") + 1..];
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    // `rest` starts at field 3 (state), so field n is at index n - 3.
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    Duration::from_millis(ticks * 1000 / USER_HZ)
}

/// CPU time (user + system) used so far by thread `tid` of this process.
pub fn thread_cpu(tid: i32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
        .unwrap_or_else(|err| panic!("reading the stat of thread {tid}: {err}"));
    stat_cpu(&stat)
}

/// CPU time (user + system) used so far by this whole process, every
/// thread included.
pub fn process_cpu() -> Duration {
    stat_cpu(&std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat"))
}

/// The kernel's id of the calling thread.
pub fn current_tid() -> i32 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("/proc/thread-self/stat");
    stat.split_ascii_whitespace()
        .next()
        .and_then(|tid| tid.parse().ok())
        .expect("a thread id")
}

/// The threads of this process named `name` (their `comm`, which the
/// kernel cuts to 15 bytes).
pub fn threads_named(name: &str) -> Vec<i32> {
    let name = &name[..name.len().min(15)];
    let mut tids = Vec::new();
    for entry in std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .flatten()
    {
        let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim_end() == name {
            tids.push(tid);
        }
    }
    tids
}

/// A field of `/proc/self/status` in KiB (`"VmRSS"`, `"VmHWM"`: the peak
/// resident memory).
pub fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.split_ascii_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
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
