//! A background [`Handle`]'s counts agree with what its children's
//! handles have already told, however busy the reactor is: once
//! `wait_started` returned a pid the child counts as running, once `wait`
//! returned its report it is no longer counted. A busy child whose sink
//! takes 20 ms a chunk makes each of the reactor's turns long.

use std::thread;
use std::time::Duration;

use procpump::{Discard, Flow, Handle, Job, Options};
use procpump_tests::programs::{pp_emit, pp_sleep};

/// A child whose sink sleeps 20 ms at each chunk, for a few seconds.
fn busy_job() -> Job {
    let emit = pp_emit().stdout(1 << 30).chunk(4096).command();
    Job::new(emit).stdout(|_: &[u8]| {
        thread::sleep(Duration::from_millis(20));
        Flow::Continue
    })
}

#[test]
fn counts_follow_wait_started_and_wait_while_the_reactor_is_busy() {
    let handle = Handle::with_options(Options::new().max_running(2)).unwrap();
    let busy = handle.spawn(busy_job());
    busy.wait_started().expect("the busy child started");
    assert_eq!(handle.running(), 1);
    for round in 0..5 {
        let children: Vec<_> = (0..3)
            .map(|_| handle.spawn(Job::new(pp_sleep(30)).stdout(Discard)))
            .collect();
        let [first, second, third] = <[_; 3]>::try_from(children).unwrap();
        first.wait_started().expect("started");
        assert_eq!(
            (handle.running(), handle.queued()),
            (2, 2),
            "round {round}: right after wait_started"
        );
        first.wait().unwrap();
        // The second child may have started meanwhile; the first is gone.
        let (queued, running) = (handle.queued(), handle.running());
        assert_eq!(queued + running, 3, "round {round}: right after wait");
        assert!(running <= 2, "round {round}: {running} running");
        second.wait().unwrap();
        third.wait().unwrap();
        assert_eq!((handle.running(), handle.queued()), (1, 0), "round {round}");
    }
    busy.kill();
    busy.wait().unwrap();
    assert_eq!((handle.running(), handle.queued()), (0, 0));
    handle.shutdown();
}

#[test]
fn the_queued_doc_example_holds_under_load() {
    let handle = Handle::with_options(Options::new().max_running(2)).unwrap();
    let busy = handle.spawn(busy_job());
    busy.wait_started().expect("the busy child started");
    for _ in 0..5 {
        let children: Vec<_> = (0..3)
            .map(|_| handle.spawn(Job::new(pp_sleep(20)).stdout(Discard)))
            .collect();
        children[0].wait_started();
        assert_eq!(handle.running(), 2);
        assert_eq!(handle.queued(), 2);
        for child in children {
            child.wait().unwrap();
        }
    }
    busy.kill();
    busy.wait().unwrap();
    handle.shutdown();
}
