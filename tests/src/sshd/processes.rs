//! The processes of this machine, from `/proc`: the "remote" commands the
//! test server runs, and the server's descendants to stop with it.

use std::fs;

/// The processes (pids, sorted) whose command line is exactly `argv`:
/// `processes_running(&["sleep", "30.123"])`. The "remote" host is this
/// machine, so a command run over ssh is found here; the local `ssh` that
/// carries `"sleep 30.123"` as one argument does not match.
pub fn processes_running(argv: &[&str]) -> Vec<i32> {
    let want: Vec<u8> = argv
        .iter()
        .flat_map(|a| [a.as_bytes(), b"\0"])
        .flatten()
        .copied()
        .collect();
    let mut found: Vec<i32> = process_ids()
        .filter(|pid| fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == want))
        .collect();
    found.sort_unstable();
    found
}

/// Every process id in `/proc`.
pub(super) fn process_ids() -> impl Iterator<Item = i32> {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
}

/// The parent of `pid`, from `/proc/<pid>/stat` (read after the last `)`,
/// since the command name may hold any character).
pub(super) fn parent_of(pid: i32) -> Option<i32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_ascii_whitespace().nth(1)?.parse().ok()
}

/// The descendants of `root` (children, their children, ...).
pub(super) fn descendants(root: i32) -> Vec<i32> {
    let parents: Vec<(i32, i32)> = process_ids()
        .filter_map(|pid| Some((pid, parent_of(pid)?)))
        .collect();
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(
            parents
                .iter()
                .filter(|&&(_, p)| p == parent)
                .map(|&(c, _)| c),
        );
        next += 1;
    }
    found.remove(0);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;
    use std::time::Duration;

    #[test]
    fn processes_running_matches_whole_command_lines() {
        let mut child = Command::new("sleep").arg("30.0417").spawn().unwrap();
        let pid = child.id() as i32;
        // Until the child has executed `sleep`, its command line is ours.
        let running = || processes_running(&["sleep", "30.0417"]) == [pid];
        assert!(crate::eventually(Duration::from_secs(5), running));
        assert!(processes_running(&["sleep 30.0417"]).is_empty());
        assert!(processes_running(&["sleep"]).iter().all(|&p| p != pid));
        assert!(descendants(std::process::id() as i32).contains(&pid));
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn parent_of_this_process() {
        let me = std::process::id() as i32;
        let parent = parent_of(me).unwrap();
        assert!(descendants(parent).contains(&me));
    }
}
