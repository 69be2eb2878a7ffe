//! What the test cluster needs before it starts: the programs, root, a
//! private directory, a munge key, this host's name and CPUs, two free
//! ports, and the `slurm.conf` that ties them together.

use std::fs;
use std::io::{self, Write as _};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The packages that hold the daemons and the client programs.
pub(super) const PACKAGES: &str = "slurmctld slurmd slurm-client munge";

/// Fails with a message naming the packages if `program` is missing: an
/// absolute path is checked as it is, a bare name on `PATH`.
pub(super) fn require_program(program: &str) -> io::Result<()> {
    let found = if program.contains('/') {
        Path::new(program).is_file()
    } else {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
    };
    if found {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!(
            "{program} not found: Slurm is not installed (as root: \
             apt-get install {PACKAGES}; .ci/run does it)"
        ),
    ))
}

/// Fails unless the tests run as root: `slurmd` must be root to start
/// steps as their user, and the cluster's users are root.
pub(super) fn require_root() -> io::Result<()> {
    if rustix::process::geteuid().is_root() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::PermissionDenied,
        "the test Slurm cluster runs its daemons as root: run the tests as root, as CI does",
    ))
}

/// This host's short name, as `hostname -s` prints it and as `slurmd`
/// names its node.
pub(super) fn short_hostname() -> io::Result<String> {
    let name = fs::read_to_string("/proc/sys/kernel/hostname")?;
    let short = name.trim().split('.').next().unwrap_or_default();
    if short.is_empty() {
        return Err(io::Error::other("this host has no name"));
    }
    Ok(short.to_owned())
}

/// The node's processors as `slurmd -C` finds them: the `CPUs=`,
/// `Boards=`, `SocketsPerBoard=`, `CoresPerSocket=` and `ThreadsPerCore=`
/// words, for the `NodeName` line (its `RealMemory` is left out: memory
/// is not a consumable resource here).
pub(super) fn node_hardware(slurmd: &str) -> io::Result<String> {
    let output = Command::new(slurmd)
        .arg("-C")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run {slurmd} -C: {e}")))?;
    let text = String::from_utf8_lossy(&output.stdout);
    hardware_words(&text).ok_or_else(|| {
        io::Error::other(format!(
            "{slurmd} -C printed no CPUs= ({}): {text:?} {:?}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    })
}

/// The processor words of `slurmd -C`'s output (see [`node_hardware`]).
fn hardware_words(text: &str) -> Option<String> {
    const KEYS: [&str; 5] = [
        "CPUs=",
        "Boards=",
        "SocketsPerBoard=",
        "CoresPerSocket=",
        "ThreadsPerCore=",
    ];
    let line = text.lines().find(|l| l.starts_with("NodeName="))?;
    let words: Vec<&str> = line
        .split_ascii_whitespace()
        .filter(|w| KEYS.iter().any(|k| w.starts_with(k)))
        .collect();
    words
        .iter()
        .any(|w| w.starts_with("CPUs="))
        .then(|| words.join(" "))
}

/// The number in a `CPUs=N` word of `hardware`.
pub(super) fn cpus_of(hardware: &str) -> u32 {
    hardware
        .split_ascii_whitespace()
        .find_map(|w| w.strip_prefix("CPUs=")?.parse().ok())
        .unwrap_or(1)
}

/// The ports and paths of one cluster, for [`slurm_conf`].
pub(super) struct Layout<'a> {
    pub(super) dir: &'a Path,
    pub(super) node: &'a str,
    pub(super) hardware: &'a str,
    pub(super) controller_port: u16,
    pub(super) node_port: u16,
}

/// The cluster's `slurm.conf`: one node (this host, at 127.0.0.1), one
/// partition, root as Slurm's user, munge at the private socket, no
/// cgroups (`proctrack/linuxproc`, `task/none`), cores as the only
/// consumable resource, and every state, spool and pid file in `dir`.
pub(super) fn slurm_conf(layout: &Layout<'_>) -> String {
    let Layout {
        dir,
        node,
        hardware,
        controller_port,
        node_port,
    } = layout;
    let dir = dir.display();
    format!(
        "ClusterName=procpump\n\
         SlurmctldHost={node}(127.0.0.1)\n\
         SlurmctldPort={controller_port}\n\
         SlurmdPort={node_port}\n\
         SlurmUser=root\n\
         SlurmdUser=root\n\
         AuthType=auth/munge\n\
         CredType=cred/munge\n\
         AuthInfo=socket={dir}/munge/socket\n\
         ProctrackType=proctrack/linuxproc\n\
         TaskPlugin=task/none\n\
         SelectType=select/cons_tres\n\
         SelectTypeParameters=CR_Core\n\
         SchedulerType=sched/builtin\n\
         MpiDefault=none\n\
         MailProg=/bin/true\n\
         KillWait=5\n\
         ReturnToService=2\n\
         StateSaveLocation={dir}/state\n\
         SlurmdSpoolDir={dir}/spool\n\
         SlurmctldPidFile={dir}/slurmctld.pid\n\
         SlurmdPidFile={dir}/slurmd.pid\n\
         NodeName={node} NodeAddr=127.0.0.1 {hardware} State=UNKNOWN\n\
         PartitionName=test Nodes={node} Default=YES MaxTime=INFINITE State=UP\n"
    )
}

/// Makes `dir/munge` (the socket's directory) and a fresh random key in
/// it, `dir/munge/munge.key`, readable by root alone; returns the key's
/// path.
pub(super) fn munge_key(dir: &Path) -> io::Result<PathBuf> {
    let munge = dir.join("munge");
    fs::DirBuilder::new().mode(0o755).create(&munge)?;
    let mut key = vec![0u8; 1024];
    io::Read::read_exact(&mut fs::File::open("/dev/urandom")?, &mut key)?;
    let path = munge.join("munge.key");
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o400)
        .open(&path)?
        .write_all(&key)?;
    Ok(path)
}

/// Two different TCP ports that were free a moment ago on every address
/// (`slurmctld` and `slurmd` listen on all of them): both are bound at
/// once, then released.
pub(super) fn two_free_ports() -> io::Result<(u16, u16)> {
    let first = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    let second = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    Ok((first.local_addr()?.port(), second.local_addr()?.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardware_comes_from_slurmd_dash_capital_c() {
        let text = "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 \
                    ThreadsPerCore=1 RealMemory=24105\nUpTime=0-00:09:25\n";
        let words = hardware_words(text).unwrap();
        assert_eq!(
            words,
            "CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1"
        );
        assert_eq!(cpus_of(&words), 2);
        assert_eq!(hardware_words("UpTime=0\n"), None);
    }

    #[test]
    fn the_configuration_names_the_node_ports_and_directory() {
        let conf = slurm_conf(&Layout {
            dir: Path::new("/tmp/c"),
            node: "vm",
            hardware: "CPUs=2",
            controller_port: 7001,
            node_port: 7002,
        });
        assert!(conf.contains("SlurmctldHost=vm(127.0.0.1)\n"));
        assert!(conf.contains("SlurmctldPort=7001\nSlurmdPort=7002\n"));
        assert!(conf.contains("AuthInfo=socket=/tmp/c/munge/socket\n"));
        assert!(conf.contains("NodeName=vm NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN\n"));
        assert_eq!(conf.lines().count(), 24);
    }
}
