//! Ten thousand short commands through one reactor capped at 256 running
//! at once: every one is reported exactly once with exactly what it
//! printed, at most 256 ever overlap, and afterwards this process has the
//! descriptors it had and no child, running or zombie.
//!
//! It runs alone (`alone::run`): it counts the whole process's descriptors
//! and children, which tests running alongside would disturb. It prints
//! how long the run took (`--nocapture` to see it).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use procpump::{Job, Options, Reactor, Stream, StreamEnd};
use procpump_tests::programs::pp_exit;
use procpump_tests::sinks::Collect;
use procpump_tests::{alone, live_children, open_fd_list, open_fds};

const CHILDREN: u64 = 10_000;
const CAP: usize = 256;

#[test]
#[allow(clippy::print_stdout)]
fn ten_thousand_short_commands_through_a_cap_of_256() {
    alone::run(|| {
        drop(Reactor::new().unwrap());
        let baseline = open_fds();
        assert!(live_children().is_empty(), "{:?}", live_children());

        let mut reactor = Reactor::with_options(Options::new().max_running(CAP)).unwrap();
        let with_reactor = open_fds();
        let mut expected = HashMap::new();
        for i in 0..CHILDREN {
            let text = format!("child {i}\n");
            let exit = pp_exit((i % 5) as i32, &text, "");
            let id = reactor.spawn(Job::new(exit).stdout(Collect::new()));
            expected.insert(id, (i, text));
        }
        let begin = Instant::now();
        let mut reports = reactor.run().unwrap();
        let elapsed = begin.elapsed();
        println!(
            "{CHILDREN} children through a cap of {CAP}: {elapsed:.2?} ({:.0} children/s)",
            CHILDREN as f64 / elapsed.as_secs_f64()
        );

        assert_eq!(reports.len(), CHILDREN as usize);
        for report in &mut reports {
            let (i, text) = expected
                .remove(&report.id())
                .unwrap_or_else(|| panic!("unknown or twice reported: {report:?}"));
            assert_eq!(report.code(), Some((i % 5) as i32), "{report:?}");
            assert!(report.error().is_none(), "{report:?}");
            assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Eof);
            let out: Collect = report.take_sink(Stream::Stdout).unwrap();
            assert_eq!(out.bytes, text.as_bytes(), "{report:?}");
            assert_eq!(out.ends, [StreamEnd::Eof]);
        }
        assert!(expected.is_empty(), "never reported: {expected:?}");

        // The cap, from the reports' own times.
        let mut edges: Vec<(Instant, i32)> = reports
            .iter()
            .flat_map(|r| [(r.started(), 1), (r.finished(), -1)])
            .collect();
        edges.sort();
        let mut running = 0;
        for (_, step) in edges {
            running += step;
            assert!(running <= CAP as i32, "{running} children at once");
        }
        drop(reports);

        // The reactor is still alive: its own descriptors are all it holds.
        assert!(live_children().is_empty(), "{:?}", live_children());
        let now = open_fds();
        assert_eq!(now, with_reactor, "descriptors: {:?}", open_fd_list());
        drop(reactor);
        let now = open_fds();
        assert_eq!(now, baseline, "descriptors: {:?}", open_fd_list());
        assert!(live_children().is_empty(), "{:?}", live_children());
        assert!(
            elapsed < Duration::from_secs(300),
            "far slower than expected: {elapsed:?}"
        );
    });
}
