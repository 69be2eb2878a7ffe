//! `Spool`: each child's output comes out whole, and no file is left in
//! the temporary directory, after a run or after the process is killed
//! mid-run.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::{entries, fresh_dir};
use procpump::{Job, Reactor, Stream};
use procpump_adapters::{Spool, SpoolSink};
use procpump_tests::programs::{pp_emit, pp_spool_victim};
use procpump_tests::PatternChecker;

const CHILDREN: u64 = 20;
const EACH: u64 = 1 << 20;

#[test]
fn outputs_come_out_whole_and_no_file_is_left() {
    let dir = fresh_dir("spool-run");
    let spool = Spool::writer(Vec::new()).memory(16 * 1024).temp_dir(&dir);
    let mut reactor = Reactor::new().unwrap();
    for seed in 0..CHILDREN {
        let emit = pp_emit().stdout(EACH).seed(seed).chunk(4 << 10).command();
        reactor.spawn(Job::new(emit).stdout(spool.sink()));
    }
    for mut report in reactor.run().unwrap() {
        assert!(report.success(), "{report:?}");
        let sink: SpoolSink<Vec<u8>> = report.take_sink(Stream::Stdout).unwrap();
        assert!(sink.error().is_none(), "{:?}", sink.error());
        assert!(sink.is_on_disk() || sink.bytes() == EACH);
        assert_eq!(sink.bytes(), EACH);
    }
    assert_eq!(entries(&dir), Vec::<String>::new());
    let out = spool.into_inner().unwrap();
    assert_eq!(out.len() as u64, CHILDREN * EACH);
    // Each child's megabyte is in one piece: identify it by its start.
    let mut seen = Vec::new();
    for block in out.chunks(EACH as usize) {
        let seed = (0..CHILDREN)
            .find(|&seed| {
                let mut checker = PatternChecker::new(seed);
                checker.feed(block);
                checker.verify(EACH).is_ok()
            })
            .expect("a block that is one child's whole output");
        seen.push(seed);
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..CHILDREN).collect::<Vec<_>>());
    std::fs::remove_dir(&dir).unwrap();
}

#[test]
fn no_file_is_left_when_the_process_is_killed() {
    let dir = fresh_dir("spool-kill");
    let mut victim = pp_spool_victim()
        .env("TMPDIR", &dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(victim.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "spooled\n");
    // The spool is on disk, in that directory, and already has no name.
    let fds = std::fs::read_dir(format!("/proc/{}/fd", victim.id())).unwrap();
    let in_dir = fds
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.starts_with(&dir))
        .count();
    assert_eq!(
        in_dir,
        1,
        "the victim has no file open in {}",
        dir.display()
    );
    assert_eq!(entries(&dir), Vec::<String>::new());

    victim.kill().unwrap();
    let status = victim.wait().unwrap();
    assert!(!status.success());
    assert_eq!(entries(&dir), Vec::<String>::new());
    std::fs::remove_dir(&dir).unwrap();
}
