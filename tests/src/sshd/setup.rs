//! What the test server needs before it starts: a private directory, keys,
//! the configuration files, a free port, the user's name.

use std::fs;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::process::{Command, Stdio};

use super::HOST;

/// The server's configuration (`sshd -f`) for the files in `dir`.
pub(super) fn server_config(dir: &Path, port: u16) -> String {
    format!(
        "ListenAddress {HOST}\n\
         Port {port}\n\
         HostKey {host_key}\n\
         AuthorizedKeysFile {authorized_keys}\n\
         PidFile {pid_file}\n\
         UsePAM no\n\
         StrictModes no\n\
         PermitRootLogin prohibit-password\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         LogLevel VERBOSE\n\
         MaxStartups 100\n\
         MaxSessions 100\n\
         UseDNS no\n\
         PrintMotd no\n\
         PrintLastLog no\n\
         X11Forwarding no\n",
        host_key = quoted(dir, "host_key"),
        authorized_keys = quoted(dir, "authorized_keys"),
        pid_file = quoted(dir, "sshd.pid"),
    )
}

/// The client's configuration (`ssh -F`) for the files in `dir`. With
/// `-F`, neither the system's nor the user's ssh configuration is read.
pub(super) fn client_config(dir: &Path, port: u16, user: &str) -> String {
    format!(
        "Host {HOST} localhost\n  \
         Port {port}\n  \
         User {user}\n  \
         IdentityFile {identity}\n  \
         IdentitiesOnly yes\n  \
         IdentityAgent none\n  \
         UserKnownHostsFile {known_hosts}\n  \
         GlobalKnownHostsFile /dev/null\n  \
         StrictHostKeyChecking accept-new\n  \
         BatchMode yes\n  \
         ConnectTimeout 10\n  \
         LogLevel ERROR\n",
        identity = quoted(dir, "user_key"),
        known_hosts = quoted(dir, "known_hosts"),
    )
}

/// A known-hosts file that holds the server's key (`host_key`, the line
/// of its `.pub` file) before the first connection, so that jobs
/// connecting at once never race to add it.
pub(super) fn known_hosts(port: u16, host_key: &str) -> String {
    let key = host_key.trim();
    format!("[{HOST}]:{port} {key}\n[localhost]:{port} {key}\n")
}

/// `dir/name`, in double quotes for an ssh configuration file.
fn quoted(dir: &Path, name: &str) -> String {
    format!("\"{}\"", dir.join(name).display())
}

/// A port on 127.0.0.1 that was free a moment ago.
pub(super) fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// Fails with a message naming the package if `program` is missing.
pub(super) fn require_program(program: &Path, package: &str) -> io::Result<()> {
    if program.is_file() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!(
            "{} not found: OpenSSH is not installed (as root: \
             apt-get install openssh-server openssh-client; .ci/run does it; \
             this one is in {package})",
            program.display()
        ),
    ))
}

/// Runs `program args`, failing with its stderr if it fails; `package` is
/// named if the program is missing.
pub(super) fn run(program: &str, args: &[&std::ffi::OsStr], package: &str) -> io::Result<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot run {program} ({e}): is {package} installed?"),
            )
        })?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "{program} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `ssh-keygen -q -N '' -t ed25519 -f PATH`: PATH and PATH.pub.
pub(super) fn generate_key(path: &Path) -> io::Result<()> {
    let args = [
        "-q",
        "-N",
        "",
        "-t",
        "ed25519",
        "-C",
        "procpump-tests",
        "-f",
    ];
    let mut args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    args.push(path.as_os_str());
    run("ssh-keygen", &args, "openssh-client").map(drop)
}

/// The name of the user running the tests.
pub(super) fn current_user() -> io::Result<String> {
    Ok(run("id", &["-un".as_ref()], "coreutils")?.trim().to_owned())
}

/// sshd running as root refuses to start without its privilege-separation
/// directory, which a fresh container may lack (it is made at boot). As
/// another user it is not needed, and cannot be made: the log says so if
/// it matters.
pub(super) fn ensure_privilege_separation_dir() {
    let dir = Path::new("/run/sshd");
    if !dir.is_dir() {
        let _ = fs::DirBuilder::new()
            .mode(0o755)
            .recursive(true)
            .create(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_name_the_port_and_the_files() {
        let dir = Path::new("/tmp/x");
        let server = server_config(dir, 2222);
        assert!(server.contains("Port 2222\n"));
        assert!(server.contains("HostKey \"/tmp/x/host_key\"\n"));
        let client = client_config(dir, 2222, "me");
        assert!(client.starts_with("Host 127.0.0.1 localhost\n  Port 2222\n  User me\n"));
        assert_eq!(
            known_hosts(2222, "ssh-ed25519 AAAA c\n"),
            "[127.0.0.1]:2222 ssh-ed25519 AAAA c\n[localhost]:2222 ssh-ed25519 AAAA c\n"
        );
    }
}
