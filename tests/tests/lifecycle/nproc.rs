//! Running out of processes (`EAGAIN` from `fork`): children refused by
//! `RLIMIT_NPROC` are reported with `Error::Spawn` (raw OS error 11,
//! naming the program), the others run to the end, and the reactor keeps
//! working: once they are done, the same reactor starts more.
//!
//! # How this is tested as root
//!
//! `RLIMIT_NPROC` counts the processes (threads included) of a *user*, and
//! the kernel does not apply it to root (nor to a process with
//! `CAP_SYS_ADMIN` or `CAP_SYS_RESOURCE`), so lowering it in this process,
//! which runs as root here and in CI, would prove nothing. Instead the
//! test runs itself again as a *driver*: this same test binary, started
//! (with `std`'s `Command::uid`/`gid`) as the unprivileged uid 65534, which
//! lowers its own limit to what that user already runs plus ten, and runs
//! a reactor against it. The limit and the uid apply to the driver and its
//! children only. The driver checks everything and the test checks that it
//! passed. It runs from copies of the test binary and of `pp-sleep` in the
//! temporary directory, which that user can reach wherever the checkout is.
//!
//! When the tests themselves do not run as root, the driver cannot be
//! started as another user: the test then says so on stdout and checks
//! nothing (lowering the limit of a real user's session would disturb that
//! user's other processes).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;

use procpump::{Error, Job, Reactor, Report, StreamEnd};
use procpump_tests::programs::pp_sleep;
use procpump_tests::sinks::Collect;
use procpump_tests::{alone, bin};
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// Set in the driver's environment.
const DRIVER: &str = "PROCPUMP_TEST_NPROC_DRIVER";
/// The unprivileged user the driver runs as (`nobody` on most systems).
const NOBODY: u32 = 65534;
const EAGAIN: i32 = 11;
const CHILDREN: usize = 40;
const ROOM: u64 = 10;

#[test]
#[allow(clippy::print_stdout)]
fn children_refused_by_the_process_limit_fail_alone() {
    if std::env::var_os(DRIVER).is_some() {
        drive();
        return;
    }
    if !rustix::process::getuid().is_root() {
        println!(
            "not run: RLIMIT_NPROC can only be tested by starting a driver as another \
             user, which needs root"
        );
        return;
    }
    // The checkout may sit where uid 65534 cannot reach (under /root, say):
    // the driver runs from copies in a fresh directory of the temporary
    // one, laid out as cargo does (`deps/` beside the programs).
    let copies = Copies::new();
    let name = alone::test_name(
        module_path!(),
        "children_refused_by_the_process_limit_fail_alone",
    );
    let output = Command::new(&copies.exe)
        .args(["--exact", &name, "--nocapture", "--test-threads=1"])
        .env(DRIVER, "1")
        .uid(NOBODY)
        .gid(NOBODY)
        .output()
        .expect("start the driver as uid 65534");
    drop(copies);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the driver failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("driver: ok"),
        "the driver did not run:\n{stdout}\n{stderr}"
    );
}

/// Copies of this test binary and of `pp-sleep` in a directory that
/// everyone can read and search, removed when dropped.
struct Copies {
    dir: PathBuf,
    exe: PathBuf,
}

impl Copies {
    fn new() -> Copies {
        let dir = std::env::temp_dir().join(format!("procpump-nproc-{}", std::process::id()));
        let deps = dir.join("deps");
        fs::create_dir_all(&deps).unwrap();
        let test_binary = std::env::current_exe().unwrap();
        let exe = deps.join(test_binary.file_name().unwrap());
        fs::copy(&test_binary, &exe).unwrap();
        fs::copy(bin("pp-sleep"), dir.join("pp-sleep")).unwrap();
        for path in [&dir, &deps] {
            fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
        }
        Copies { dir, exe }
    }
}

impl Drop for Copies {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Threads (each counts against `RLIMIT_NPROC`) of every process whose
/// real user is `uid`.
fn tasks_of(uid: u32) -> u64 {
    let mut tasks = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|value| value.parse::<u64>().ok())
        };
        if field("Uid:") == Some(u64::from(uid)) {
            tasks += field("Threads:").unwrap_or(1);
        }
    }
    tasks
}

fn assert_ran(report: &Report) {
    assert!(report.success(), "{report:?}");
    assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Eof);
}

/// The driver: runs as uid 65534, under a process limit of its own.
#[allow(clippy::print_stdout)]
fn drive() {
    let uid = rustix::process::getuid().as_raw();
    assert_eq!(uid, NOBODY, "the driver runs unprivileged");
    let limit = tasks_of(uid) + ROOM;
    let original = getrlimit(Resource::Nproc);
    setrlimit(
        Resource::Nproc,
        Rlimit {
            current: Some(limit),
            maximum: original.maximum,
        },
    )
    .unwrap();

    let program = bin("pp-sleep").to_string_lossy().into_owned();
    let mut reactor = Reactor::new().unwrap();
    for _ in 0..CHILDREN {
        reactor.spawn(Job::new(pp_sleep(1500)).stdout(Collect::new()));
    }
    let reports = reactor.run().expect("the reactor itself does not fail");
    assert_eq!(reports.len(), CHILDREN);
    let (mut started, mut refused) = (0, 0);
    for report in &reports {
        match report.error() {
            None => {
                assert_ran(report);
                started += 1;
            }
            Some(Error::Spawn {
                child,
                program: named,
                source,
            }) => {
                assert_eq!(source.raw_os_error(), Some(EAGAIN), "{report:?}");
                assert_eq!(*child, report.id());
                assert_eq!(named, &program);
                assert!(report.error().unwrap().to_string().contains(&program));
                assert_eq!(report.pid(), None, "{report:?}");
                refused += 1;
            }
            Some(other) => panic!("unexpected error {other}: {report:?}"),
        }
    }
    println!("driver: RLIMIT_NPROC {limit}: {started} children started, {refused} refused");
    assert!(started > 0, "no child could start");
    assert!(refused > 0, "the limit refused no child");

    // Those children are gone: under the same limit, the same reactor
    // starts more.
    for _ in 0..5 {
        reactor.spawn(Job::new(pp_sleep(1500)).stdout(Collect::new()));
    }
    let reports = reactor.run().unwrap();
    assert_eq!(reports.len(), 5);
    reports.iter().for_each(assert_ran);
    println!("driver: ok");
}
