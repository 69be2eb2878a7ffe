//! The fault suite: seeded random mixes of about two hundred children at
//! once, most of them misbehaving, each with the outcome it must have.
//!
//! The faults: never reads its stdin; never exits; closes stdout but keeps
//! running; writes one byte at a time; forks grandchildren that hold the
//! pipes (past the linger, within it, or in a process group that a timeout
//! kills); exits at once; cannot be executed; prints binary garbage, and
//! lines of up to 100 MiB; floods stderr only; ignores `SIGTERM`; is killed
//! by its own sink; dies of a signal; and, for company, children that echo
//! their stdin and children whose stdout and stderr are merged.
//!
//! Every round checks:
//! - every child is reported exactly once, with the right outcome (exit
//!   code, signal, timed out or not, spawn error and its OS error), and
//!   not sooner than its timeout (and grace) allows;
//! - every byte is accounted for: each stream's bytes are exactly what the
//!   child wrote (compared byte for byte, or a correct prefix of at least
//!   so many bytes for a child killed mid-stream), the report's counts
//!   equal what the sinks saw, each stream ended once and the right way,
//!   and stdin's written plus unsent bytes equal what the source held;
//! - nothing leaked: this process has exactly the descriptors it had and
//!   no child, running or zombie; no process of a killed group is left;
//!   orphaned grandchildren (not the library's to kill) are gone by the
//!   time their own sleep ends.
//!
//! Rounds alternate between one reactor kept for the whole run, a fresh
//! reactor capped at 100 running children, and a background reactor
//! driven through handles.
//!
//! # Seeds and replay
//!
//! Round `k` uses seed `base + k`. `base` is `PROCPUMP_FAULT_SEED` if set,
//! else [`DEFAULT_SEED`] (in soak mode, a seed from the clock). A failure
//! names its round's seed: `PROCPUMP_FAULT_SEED=<seed> PROCPUMP_FAULT_ROUNDS=1`
//! replays that mix (the timing of the machine cannot be replayed).
//!
//! # Soak
//!
//! `PROCPUMP_SOAK_SECS=N` runs rounds for N seconds instead of the fixed
//! [`CI_ROUNDS`], then prints the totals:
//!
//! ```text
//! PROCPUMP_SOAK_SECS=600 cargo test -p procpump-tests --release --test alone fault_suite -- --nocapture
//! ```
//!
//! It runs alone (`alone::run`): it counts the whole process's descriptors
//! and children, which tests running alongside would disturb.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::fault_support::cases::{make_case, Case, Exit, Expect, StdinEnd, Tags};
use crate::fault_support::{Rng, Verify};
use procpump::{Error, Handle, Options, Reactor, Report, Stream, StreamEnd};
use procpump_tests::{
    alone, eventually, kill_pid, live_children, open_fd_list, open_fds, tagged, within,
};

/// The seed of the first round when `PROCPUMP_FAULT_SEED` is not set.
const DEFAULT_SEED: u64 = 0x5EED_F00D;
/// Rounds run when not soaking.
const CI_ROUNDS: u64 = 4;
/// Children per round, all queued at once.
const CHILDREN: usize = 200;
/// How long a round may take before it counts as hung.
const ROUND_LIMIT: Duration = Duration::from_secs(180);
/// A child reported later than this after its start counts as hung.
const LATEST: Duration = Duration::from_secs(30);

// --- Checking a report -------------------------------------------------------

/// Checks one report against what was expected; returns the bytes it
/// accounted for.
fn check_report(expect: &Expect, report: &mut Report) -> Result<u64, String> {
    if report.program() != expect.program {
        return Err(format!("program {:?}", report.program()));
    }
    match &expect.exit {
        Exit::SpawnError(errno) => match report.error() {
            Some(Error::Spawn {
                program, source, ..
            }) if source.raw_os_error() == Some(*errno) && *program == expect.program => {
                if report.pid().is_some() || report.status().is_some() {
                    return Err("a child that never started has a pid or status".into());
                }
            }
            other => return Err(format!("expected a spawn error {errno}, got {other:?}")),
        },
        exit => {
            if let Some(error) = report.error() {
                return Err(format!("unexpected error: {error}"));
            }
            let actual = match (report.code(), report.signal()) {
                (Some(code), None) => Exit::Code(code),
                (None, Some(signal)) => Exit::Signal(signal),
                other => return Err(format!("no code or signal: {other:?}")),
            };
            if actual != *exit {
                return Err(format!("ended {actual:?}, expected {exit:?}"));
            }
        }
    }
    if report.timed_out() != expect.timed_out {
        return Err(format!("timed_out is {}", report.timed_out()));
    }
    if report.duration() < expect.not_before {
        return Err(format!(
            "reported after {:?}, sooner than {:?}",
            report.duration(),
            expect.not_before
        ));
    }
    if report.duration() > LATEST {
        return Err(format!("reported only after {:?}", report.duration()));
    }
    let mut bytes = check_stdin(expect, report)?;
    let started = !matches!(expect.exit, Exit::SpawnError(_));
    for (stream, end) in [
        (Stream::Stdout, &expect.stdout),
        (Stream::Stderr, &expect.stderr),
    ] {
        let output = match stream {
            Stream::Stdout => report.stdout().cloned(),
            _ => report.stderr().cloned(),
        };
        let Some(sink) = report.take_sink::<Verify>(stream) else {
            if end.is_some() {
                return Err(format!("no {stream} sink in the report"));
            }
            continue;
        };
        match (started, end, output) {
            (true, Some(end), Some(output)) => {
                if output.end() != end {
                    return Err(format!(
                        "{stream} ended {:?}, expected {end:?}",
                        output.end()
                    ));
                }
                if output.discarded() != 0 {
                    return Err(format!("{stream}: {} bytes discarded", output.discarded()));
                }
                sink.verify(output.bytes(), true, end)
                    .map_err(|err| format!("{stream}: {err}"))?;
                bytes += output.bytes();
            }
            // Its sinks are ended, never started.
            (false, _, None) => sink
                .verify(0, false, &StreamEnd::NotStarted)
                .map_err(|err| format!("{stream} of a child never started: {err}"))?,
            (_, end, output) => {
                return Err(format!("{stream}: reported {output:?}, expected {end:?}"))
            }
        }
    }
    Ok(bytes)
}

fn check_stdin(expect: &Expect, report: &Report) -> Result<u64, String> {
    let Some(stdin) = report.stdin() else {
        return match expect.stdin {
            Some(_) => Err("stdin not reported".into()),
            None => Ok(0),
        };
    };
    let (end, len) = match expect.stdin {
        Some(StdinEnd::Eof(len)) => (StreamEnd::Eof, len),
        Some(StdinEnd::ChildClosed(len)) => (StreamEnd::ChildClosed, len),
        None => return Err(format!("stdin reported: {stdin:?}")),
    };
    if stdin.end() != &end || stdin.written() + stdin.unsent() != len {
        return Err(format!("stdin {stdin:?}, expected {end:?} of {len} bytes"));
    }
    if end == StreamEnd::ChildClosed && stdin.written() >= len {
        return Err(format!(
            "stdin {stdin:?}: all written to a child that never read"
        ));
    }
    Ok(len)
}

// --- Rounds ------------------------------------------------------------------

/// Which reactor a round runs on.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// The reactor kept for the whole run.
    Kept,
    /// A fresh reactor, at most 100 children running.
    Capped,
    /// A background reactor, through handles.
    Background,
}

impl Mode {
    /// The mode of the round with this seed: consecutive seeds cycle
    /// through kept, capped, kept, background.
    fn of(seed: u64) -> Mode {
        [Mode::Kept, Mode::Capped, Mode::Kept, Mode::Background][(seed % 4) as usize]
    }
}

/// What the rounds add up to.
#[derive(Default)]
struct Totals {
    rounds: u64,
    children: u64,
    faults: BTreeMap<String, u64>,
    bytes_checked: u64,
    spawn_errors: u64,
    timed_out: u64,
    leaks: u64,
}

impl Totals {
    fn summary(&self, elapsed: Duration) -> String {
        let faults: u64 = self
            .faults
            .iter()
            .filter(|(kind, _)| !matches!(kind.as_str(), "Echo" | "Merged"))
            .map(|(_, n)| n)
            .sum();
        let mut text = format!(
            "{} rounds in {elapsed:.1?}: {} children, {faults} faults injected, \
             {} bytes checked ({:.1} GiB), {} spawn errors, {} timed out, {} leaks found\n",
            self.rounds,
            self.children,
            self.bytes_checked,
            self.bytes_checked as f64 / f64::from(1 << 30),
            self.spawn_errors,
            self.timed_out,
            self.leaks
        );
        for (kind, count) in &self.faults {
            let _ = writeln!(text, "  {kind:>24}: {count}");
        }
        text
    }
}

/// Runs the cases on `mode`'s reactor; returns `(expect, report)` pairs in
/// spawn order, or a message if a child was not reported exactly once.
fn run_cases(
    mode: Mode,
    kept: &mut Reactor,
    cases: Vec<Case>,
) -> Result<Vec<(Expect, Report)>, String> {
    let mut expected = Vec::new();
    let mut reports: HashMap<procpump::ChildId, Report> = HashMap::new();
    let mut add = |report: Report| -> Result<(), String> {
        let id = report.id();
        match reports.insert(id, report) {
            Some(_) => Err(format!("{id} reported twice")),
            None => Ok(()),
        }
    };
    match mode {
        Mode::Kept | Mode::Capped => {
            let mut fresh = match mode {
                Mode::Capped => {
                    Some(Reactor::with_options(Options::new().max_running(100)).unwrap())
                }
                _ => None,
            };
            let reactor = fresh.as_mut().unwrap_or(kept);
            for case in cases {
                expected.push((reactor.spawn(case.job), case.expect));
            }
            for report in reactor.run().map_err(|err| err.to_string())? {
                add(report)?;
            }
        }
        Mode::Background => {
            let handle = Handle::start().unwrap();
            let mut children = Vec::new();
            for case in cases {
                let child = handle.spawn(case.job);
                expected.push((child.id(), case.expect));
                children.push(child);
            }
            for child in children {
                add(child.wait().map_err(|err| err.to_string())?)?;
            }
            handle.shutdown();
        }
    }
    let mut pairs = Vec::new();
    for (id, expect) in expected {
        let report = reports
            .remove(&id)
            .ok_or_else(|| format!("{id} ({:?}: {}) never reported", expect.kind, expect.what))?;
        pairs.push((expect, report));
    }
    if let Some(id) = reports.keys().next() {
        return Err(format!("{id} reported but never spawned"));
    }
    Ok(pairs)
}

/// One round: a mix made from `seed`, run, checked. `fds` is what this
/// process has open between rounds.
fn round(
    seed: u64,
    mode: Mode,
    kept: &mut Reactor,
    fds: usize,
    totals: &mut Totals,
) -> Result<(), String> {
    let pid = std::process::id();
    let tags = Tags {
        group: format!("ppfault-{pid}-{seed:x}-group"),
        orphan: format!("ppfault-{pid}-{seed:x}-orphan"),
        other: format!("ppfault-{pid}-{seed:x}-child"),
    };
    let mut rng = Rng::new(seed);
    let cases: Vec<Case> = (0..CHILDREN)
        .map(|index| make_case(&mut rng, index, &tags))
        .collect();
    let orphans_for = cases
        .iter()
        .filter_map(|case| case.expect.orphans_for)
        .max()
        .unwrap_or_default();
    let begin = Instant::now();
    let pairs = run_cases(mode, kept, cases)?;
    let mut failures = String::new();
    for (index, (expect, mut report)) in pairs.into_iter().enumerate() {
        *totals
            .faults
            .entry(format!("{:?}", expect.kind))
            .or_default() += 1;
        totals.children += 1;
        totals.spawn_errors += u64::from(report.error().is_some());
        totals.timed_out += u64::from(report.timed_out());
        match check_report(&expect, &mut report) {
            Ok(bytes) => totals.bytes_checked += bytes,
            Err(err) => {
                let _ = writeln!(
                    failures,
                    "child {index} ({:?}, {}): {err}\n    {report:?}",
                    expect.kind, expect.what
                );
            }
        }
    }
    if !failures.is_empty() {
        return Err(failures);
    }
    check_leaks(fds, &tags, begin + orphans_for, totals)
}

/// Nothing left behind by a round: no child of ours, no descriptor, no
/// process of a killed group; orphans gone once their sleep is over.
fn check_leaks(
    fds: usize,
    tags: &Tags,
    orphans_until: Instant,
    totals: &mut Totals,
) -> Result<(), String> {
    let mut leaks = String::new();
    let children = live_children();
    if !children.is_empty() {
        let _ = writeln!(leaks, "children left: {children:?}");
        totals.leaks += children.len() as u64;
        procpump_tests::kill_and_reap_children();
    }
    if open_fds() != fds {
        let _ = writeln!(
            leaks,
            "{} descriptors open, {fds} expected: {:?}",
            open_fds(),
            open_fd_list()
        );
        totals.leaks += 1;
    }
    let limits = [
        (&tags.group, Instant::now() + Duration::from_secs(2)),
        (
            &tags.orphan,
            orphans_until.max(Instant::now()) + Duration::from_secs(5),
        ),
        (&tags.other, Instant::now() + Duration::from_secs(2)),
    ];
    for (tag, until) in limits {
        let limit = until.saturating_duration_since(Instant::now());
        if !eventually(limit, || tagged(tag).is_empty()) {
            let left = tagged(tag);
            let _ = writeln!(leaks, "processes tagged {tag} left: {left:?}");
            totals.leaks += left.len() as u64;
            left.iter().for_each(|&(pid, _)| kill_pid(pid));
        }
    }
    if leaks.is_empty() {
        Ok(())
    } else {
        Err(leaks)
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    let value = value.trim();
    let parsed = match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => value.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={value:?} is not a number")))
}

#[test]
#[allow(clippy::print_stdout)]
fn fault_suite() {
    alone::run(|| {
        let soak = env_u64("PROCPUMP_SOAK_SECS").map(Duration::from_secs);
        let base = env_u64("PROCPUMP_FAULT_SEED").unwrap_or_else(|| match soak {
            Some(_) => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            None => DEFAULT_SEED,
        });
        let rounds = env_u64("PROCPUMP_FAULT_ROUNDS").unwrap_or(CI_ROUNDS);
        println!("fault suite: base seed {base:#x} (PROCPUMP_FAULT_SEED), soak {soak:?}");

        drop(Reactor::new().unwrap());
        drop(Handle::start().unwrap());
        let baseline = open_fds();
        assert!(live_children().is_empty(), "{:?}", live_children());
        let mut kept = Some(Reactor::new().unwrap());
        let with_kept = open_fds();

        let begin = Instant::now();
        let mut totals = Totals::default();
        for k in 0.. {
            let done = match soak {
                Some(limit) => begin.elapsed() >= limit,
                None => k >= rounds,
            };
            if done {
                break;
            }
            let seed = base.wrapping_add(k);
            let mode = Mode::of(seed);
            let round_begin = Instant::now();
            let reactor = kept.take().unwrap();
            let (reactor, outcome, round_totals) =
                within(ROUND_LIMIT, &format!("round seed {seed:#x}"), move || {
                    let mut reactor = reactor;
                    let mut totals = Totals::default();
                    let outcome = round(seed, mode, &mut reactor, with_kept, &mut totals);
                    (reactor, outcome, totals)
                });
            kept = Some(reactor);
            merge(&mut totals, round_totals);
            totals.rounds += 1;
            if soak.is_some() {
                println!(
                    "round {k} seed {seed:#x} {mode:?}: {:.2?}, {} children so far",
                    round_begin.elapsed(),
                    totals.children
                );
            }
            if let Err(failure) = outcome {
                println!("{}", totals.summary(begin.elapsed()));
                panic!(
                    "round {k} ({mode:?}) failed; replay with PROCPUMP_FAULT_SEED={seed:#x} \
                 PROCPUMP_FAULT_ROUNDS=1:\n{failure}"
                );
            }
        }
        drop(kept);
        assert_eq!(open_fds(), baseline, "{:?}", open_fd_list());
        assert!(live_children().is_empty(), "{:?}", live_children());
        println!("{}", totals.summary(begin.elapsed()));
        assert_eq!(totals.leaks, 0);
    });
}

fn merge(totals: &mut Totals, round: Totals) {
    totals.children += round.children;
    totals.bytes_checked += round.bytes_checked;
    totals.spawn_errors += round.spawn_errors;
    totals.timed_out += round.timed_out;
    totals.leaks += round.leaks;
    for (kind, count) in round.faults {
        *totals.faults.entry(kind).or_default() += count;
    }
}
