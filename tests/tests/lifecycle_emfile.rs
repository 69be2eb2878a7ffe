//! Running out of descriptors (`EMFILE`): with `RLIMIT_NOFILE` lowered so
//! that only some of 60 children can get their pipes, those that cannot
//! start are reported with `Error::Spawn` (raw OS error 24, naming the
//! program), the others run to the end, and the reactor itself keeps
//! working: with the limit restored, the same reactor runs 60 more.
//!
//! One test only in this file: it lowers the limit for the whole process,
//! and counts the whole process's descriptors and children.

use procpump::{Error, Job, Reactor, Report, StreamEnd};
use procpump_tests::programs::pp_sleep;
use procpump_tests::sinks::Collect;
use procpump_tests::{bin, kill_and_reap_children, live_children, open_fd_list, open_fds};
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

const EMFILE: i32 = 24;
const CHILDREN: usize = 60;

/// Restores the descriptor limit when dropped, even if the test fails.
struct RestoreLimit(Rlimit);

impl Drop for RestoreLimit {
    fn drop(&mut self) {
        setrlimit(Resource::Nofile, self.0).expect("restore RLIMIT_NOFILE");
    }
}

fn assert_ran(report: &Report) {
    assert!(report.success(), "{report:?}");
    assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Eof);
    assert_eq!(report.stderr().unwrap().end(), &StreamEnd::Eof);
}

#[test]
#[allow(clippy::print_stdout)]
fn children_that_cannot_get_descriptors_fail_alone() {
    drop(Reactor::new().unwrap());
    let baseline = open_fds();
    let mut reactor = Reactor::new().unwrap();
    let with_reactor = open_fds();

    // Room for about a dozen children: 40 free descriptor numbers below
    // the limit (the limit bounds numbers, not counts, and descriptors are
    // allocated lowest first; one inherited far up does not matter).
    let open: Vec<u64> = open_fd_list().iter().map(|&(fd, _)| fd as u64).collect();
    let mut limit = 40;
    while limit - (open.iter().filter(|&&fd| fd < limit).count() as u64) < 40 {
        limit += 1;
    }
    let original = getrlimit(Resource::Nofile);
    let restore = RestoreLimit(original);
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(limit),
            maximum: original.maximum,
        },
    )
    .unwrap();

    let program = bin("pp-sleep").to_string_lossy().into_owned();
    // Children with stdout and stderr wired: each running child holds two
    // pipe ends and a pidfd; starting it takes six descriptors for a moment.
    for _ in 0..CHILDREN {
        reactor.spawn(
            Job::new(pp_sleep(1500))
                .stdout(Collect::new())
                .stderr(Collect::new()),
        );
    }
    let run = reactor.run();
    drop(restore);
    let reports = run.expect("the reactor itself does not fail");
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
                assert_eq!(source.raw_os_error(), Some(EMFILE), "{report:?}");
                assert_eq!(*child, report.id());
                assert_eq!(named, &program);
                assert_eq!(report.program(), program);
                assert!(report.error().unwrap().to_string().contains(&program));
                assert_eq!(report.pid(), None, "{report:?}");
                assert_eq!(report.status(), None, "{report:?}");
                refused += 1;
            }
            Some(other) => panic!("unexpected error {other}: {report:?}"),
        }
    }
    println!("RLIMIT_NOFILE {limit}: {started} children started, {refused} refused");
    assert!(started > 0, "no child could start");
    assert!(
        refused > 0,
        "the limit refused no child ({started} started)"
    );
    drop(reports);
    assert_eq!(open_fds(), with_reactor, "{:?}", open_fd_list());

    // The limit restored, the same reactor runs on.
    for _ in 0..CHILDREN {
        reactor.spawn(
            Job::new(pp_sleep(1500))
                .stdout(Collect::new())
                .stderr(Collect::new()),
        );
    }
    let reports = reactor.run().unwrap();
    assert_eq!(reports.len(), CHILDREN);
    reports.iter().for_each(assert_ran);
    drop(reports);
    assert_eq!(open_fds(), with_reactor, "{:?}", open_fd_list());

    drop(reactor);
    assert_eq!(open_fds(), baseline, "{:?}", open_fd_list());
    let left = kill_and_reap_children();
    assert!(left.is_empty(), "children left: {left:?}");
    assert!(live_children().is_empty());
}
