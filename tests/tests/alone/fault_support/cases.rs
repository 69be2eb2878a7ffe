//! The faults: for each kind, how to make a child that misbehaves that
//! way, and what its report must then say.

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use procpump::{Job, Signal, StreamEnd};
use procpump_tests::bin;
use procpump_tests::programs::{pp_cat, pp_emit, pp_exit, pp_fault, pp_signal};

use super::{pattern_input, Content, Rng, Verify};

/// The largest line a `line` child prints: the first child of every round.
pub const HUGE_LINE: u64 = 100 << 20;

/// What a child does wrong (`Echo` and `Merged` are well-behaved company).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Never reads its stdin, fed more than a pipe holds; exits, or not.
    NeverReadsStdin,
    /// Sleeps for ever: its timeout's stop signal (any) ends it.
    NeverExits,
    /// Writes, closes stdout and stderr, and keeps running (or exits).
    ClosesStdout,
    /// Writes its output one `write(2)` per byte.
    OneByteAtATime,
    /// Starts grandchildren that hold its pipes, then exits (or sleeps in
    /// a group that its timeout kills).
    GrandchildrenHoldPipes,
    /// Exits at once with a code.
    ExitsAtOnce,
    /// Cannot be executed: missing, or a directory.
    ExecFails,
    /// Prints binary garbage on both streams.
    BinaryGarbage,
    /// Prints one line of up to 100 MiB.
    LongLine,
    /// Floods stderr, prints nothing on stdout.
    FloodsStderr,
    /// Ignores `SIGTERM`: only the grace's `SIGKILL` ends it.
    IgnoresTerm,
    /// Prints for ever; its sink kills it after so many bytes.
    KilledBySink,
    /// Kills itself with a signal.
    DiesOfSignal,
    /// Copies its stdin to its stdout.
    Echo,
    /// Alternates small writes to stdout and stderr, merged.
    Merged,
}

/// Each kind with its weight in a mix.
pub const MIX: &[(Kind, u64)] = &[
    (Kind::NeverReadsStdin, 8),
    (Kind::NeverExits, 8),
    (Kind::ClosesStdout, 8),
    (Kind::OneByteAtATime, 8),
    (Kind::GrandchildrenHoldPipes, 10),
    (Kind::ExitsAtOnce, 8),
    (Kind::ExecFails, 5),
    (Kind::BinaryGarbage, 8),
    (Kind::LongLine, 3),
    (Kind::FloodsStderr, 6),
    (Kind::IgnoresTerm, 6),
    (Kind::KilledBySink, 5),
    (Kind::DiesOfSignal, 3),
    (Kind::Echo, 8),
    (Kind::Merged, 4),
];

/// How the child must end.
#[derive(Clone, Debug, PartialEq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    /// Never started: `Error::Spawn` with this raw OS error.
    SpawnError(i32),
}

/// How stdin must end, for a source of `len` bytes.
#[derive(Clone, Debug)]
pub enum StdinEnd {
    /// All written, then closed.
    Eof(u64),
    /// The child stopped reading: written + unsent == len, written < len.
    ChildClosed(u64),
}

/// Everything one child's report must say.
#[derive(Clone, Debug)]
pub struct Expect {
    pub kind: Kind,
    /// A short description of the variant, for failure messages.
    pub what: String,
    pub program: String,
    pub exit: Exit,
    pub timed_out: bool,
    /// The report may not come sooner after the start.
    pub not_before: Duration,
    pub stdin: Option<StdinEnd>,
    pub stdout: Option<StreamEnd>,
    pub stderr: Option<StreamEnd>,
    /// Grandchildren left to die on their own: they must be gone by then
    /// (after the round's end).
    pub orphans_for: Option<Duration>,
}

impl Expect {
    pub fn new(kind: Kind, what: String, program: String, exit: Exit) -> Expect {
        Expect {
            kind,
            what,
            program,
            exit,
            timed_out: false,
            not_before: Duration::ZERO,
            stdin: None,
            stdout: Some(StreamEnd::Eof),
            stderr: Some(StreamEnd::Eof),
            orphans_for: None,
        }
    }
}

/// The tags that every `pp-fault` process of a round carries: one for
/// grandchildren in a killed group, one for those left to die alone.
pub struct Tags {
    pub group: String,
    pub orphan: String,
    pub other: String,
}

/// One child to run: the job, and what its report must say.
pub struct Case {
    pub job: Job,
    pub expect: Expect,
}

/// `pp-fault MODE ARGS --tag TAG`.
fn tagged_fault(mode: &str, args: &[String], tag: &str) -> Command {
    let mut command = pp_fault(mode);
    command.args(args).args(["--tag", tag]);
    command
}

fn args(pairs: &[(&str, u64)]) -> Vec<String> {
    pairs
        .iter()
        .flat_map(|(name, value)| [format!("--{name}"), value.to_string()])
        .collect()
}

fn program_of(command: &Command) -> String {
    command.get_program().to_string_lossy().into_owned()
}

/// A job wired with `Verify` sinks for stdout and stderr.
fn wired(command: Command, stdout: Content, stderr: Content) -> Job {
    Job::new(command)
        .stdout(Verify::new(stdout))
        .stderr(Verify::new(stderr))
}

const STOP_SIGNALS: &[Signal] = &[
    Signal::TERM,
    Signal::INT,
    Signal::HUP,
    Signal::USR1,
    Signal::USR2,
    Signal::KILL,
];

/// Makes child `index` of a round: its kind drawn from [`MIX`] (the first
/// child of a round is always a 100 MiB line), its sizes and times from
/// `rng`.
pub fn make_case(rng: &mut Rng, index: usize, tags: &Tags) -> Case {
    let kind = if index == 0 {
        Kind::LongLine
    } else {
        let total: u64 = MIX.iter().map(|&(_, weight)| weight).sum();
        let mut pick = rng.range(0, total - 1);
        MIX.iter()
            .find(|&&(_, weight)| {
                let found = pick < weight;
                pick = pick.saturating_sub(weight);
                found
            })
            .map(|&(kind, _)| kind)
            .unwrap()
    };
    let seed = rng.next() >> 1;
    let mut case = make_kind(kind, rng, seed, index, tags);
    // A timeout far away on some children that end by themselves: a timer
    // left behind must not hit anyone.
    if case.expect.not_before.is_zero()
        && !matches!(case.expect.exit, Exit::SpawnError(_))
        && rng.percent(30)
    {
        case.job = case.job.timeout(Duration::from_secs(60));
    }
    case
}

fn make_kind(kind: Kind, rng: &mut Rng, seed: u64, index: usize, tags: &Tags) -> Case {
    let tag = tags.other.as_str();
    match kind {
        Kind::NeverReadsStdin => never_reads_stdin(rng, seed, tag),
        Kind::NeverExits => never_exits(rng, tag),
        Kind::ClosesStdout => closes_stdout(rng, seed, tag),
        Kind::OneByteAtATime => one_byte_at_a_time(rng, seed, tag),
        Kind::GrandchildrenHoldPipes => grandchildren(rng, seed, tags),
        Kind::ExitsAtOnce => exits_at_once(rng, index),
        Kind::ExecFails => exec_fails(rng, seed, index),
        Kind::BinaryGarbage => binary_garbage(rng, seed),
        Kind::LongLine => long_line(rng, seed, index, tag),
        Kind::FloodsStderr => floods_stderr(rng, seed),
        Kind::IgnoresTerm => ignores_term(rng, tag),
        Kind::KilledBySink => killed_by_sink(rng, seed),
        Kind::DiesOfSignal => dies_of_signal(rng),
        Kind::Echo => echo(rng, seed),
        Kind::Merged => merged(rng, tag),
    }
}

fn never_reads_stdin(rng: &mut Rng, seed: u64, tag: &str) -> Case {
    let kind = Kind::NeverReadsStdin;
    let out = rng.range(0, 64 << 10);
    // More than a pipe holds, even enlarged to 1 MiB.
    let stdin = rng.range(4 << 20, 6 << 20);
    let exits = rng.percent(50);
    let mut options = vec![("stdout", out), ("seed", seed)];
    let ms = rng.range(0, 300);
    if exits {
        options.push(("ms", ms));
    }
    let command = tagged_fault("hold", &args(&options), tag);
    let program = program_of(&command);
    let mut job = wired(
        command,
        Content::Pattern { seed, len: out },
        Content::empty(),
    )
    .stdin(pattern_input(seed, stdin));
    let mut expect = if exits {
        Expect::new(kind, format!("exits after {ms} ms"), program, Exit::Code(0))
    } else {
        let timeout = rng.millis(200, 900);
        job = job.timeout(timeout);
        let mut expect = Expect::new(
            kind,
            format!("never exits, timeout {timeout:?}"),
            program,
            Exit::Signal(15),
        );
        expect.timed_out = true;
        expect.not_before = timeout;
        expect
    };
    expect.stdin = Some(StdinEnd::ChildClosed(stdin));
    Case { job, expect }
}

fn never_exits(rng: &mut Rng, tag: &str) -> Case {
    let kind = Kind::NeverExits;
    let signal = rng.pick(STOP_SIGNALS);
    let (timeout, grace) = (rng.millis(100, 900), rng.millis(100, 500));
    let group = rng.percent(50);
    let command = tagged_fault("sleep", &[], tag);
    let program = program_of(&command);
    let job = Job::new(command)
        .stdout(Verify::new(Content::empty()))
        .timeout(timeout)
        .grace(grace)
        .stop_signal(signal)
        .process_group(group);
    let mut expect = Expect::new(
        kind,
        format!("stop signal {signal}, timeout {timeout:?}, group {group}"),
        program,
        Exit::Signal(signal.number()),
    );
    expect.timed_out = true;
    expect.not_before = timeout;
    expect.stderr = None;
    Case { job, expect }
}

fn closes_stdout(rng: &mut Rng, seed: u64, tag: &str) -> Case {
    let kind = Kind::ClosesStdout;
    let out = rng.range(0, 256 << 10);
    let exits = rng.percent(50);
    let ms = rng.range(0, 500);
    let mut options = vec![("stdout", out), ("seed", seed), ("close", 1)];
    if exits {
        options.push(("ms", ms));
    }
    let command = tagged_fault("hold", &args(&options), tag);
    let program = program_of(&command);
    let mut job = wired(
        command,
        Content::Pattern { seed, len: out },
        Content::empty(),
    );
    let expect = if exits {
        Expect::new(kind, format!("exits {ms} ms later"), program, Exit::Code(0))
    } else {
        let timeout = rng.millis(200, 900);
        job = job.timeout(timeout);
        let mut expect = Expect::new(
            kind,
            format!("runs on, timeout {timeout:?}"),
            program,
            Exit::Signal(15),
        );
        expect.timed_out = true;
        expect.not_before = timeout;
        expect
    };
    Case { job, expect }
}

fn one_byte_at_a_time(rng: &mut Rng, seed: u64, tag: &str) -> Case {
    let kind = Kind::OneByteAtATime;
    let len = rng.range(1, 3000);
    let command = tagged_fault("trickle", &args(&[("len", len), ("seed", seed)]), tag);
    let program = program_of(&command);
    let job = wired(command, Content::Pattern { seed, len }, Content::empty());
    let what = format!("{len} bytes");
    Case {
        job,
        expect: Expect::new(kind, what, program, Exit::Code(0)),
    }
}

fn exits_at_once(rng: &mut Rng, index: usize) -> Case {
    let kind = Kind::ExitsAtOnce;
    let code = rng.range(0, 5) as i32;
    let (out, err) = (format!("out {index}\n"), format!("err {index}"));
    let command = pp_exit(code, &out, &err);
    let program = program_of(&command);
    let group = rng.percent(30);
    let job = wired(
        command,
        Content::Exact(out.into_bytes()),
        Content::Exact(err.into_bytes()),
    )
    .process_group(group);
    let what = format!("code {code}, group {group}");
    Case {
        job,
        expect: Expect::new(kind, what, program, Exit::Code(code)),
    }
}

fn exec_fails(rng: &mut Rng, seed: u64, index: usize) -> Case {
    let kind = Kind::ExecFails;
    // Missing: ENOENT; a directory: EACCES.
    let (path, errno) = if rng.percent(50) {
        (format!("/nonexistent/pp-fault-missing-{index}"), 2)
    } else {
        ("/".to_owned(), 13)
    };
    let job = wired(Command::new(&path), Content::empty(), Content::empty())
        .stdin(pattern_input(seed, 1000));
    let mut expect = Expect::new(kind, format!("exec {path}"), path, Exit::SpawnError(errno));
    expect.stdout = None;
    expect.stderr = None;
    Case { job, expect }
}

fn binary_garbage(rng: &mut Rng, seed: u64) -> Case {
    let kind = Kind::BinaryGarbage;
    let (out, err) = (rng.range(0, 2 << 20), rng.range(0, 1 << 20));
    let chunk = rng.range(1, 256 << 10);
    let command = pp_emit()
        .stdout(out)
        .stderr(err)
        .chunk(chunk)
        .seed(seed)
        .command();
    let program = program_of(&command);
    let job = wired(
        command,
        Content::Pattern { seed, len: out },
        Content::Pattern {
            seed: seed + 1,
            len: err,
        },
    );
    let what = format!("{out} + {err} bytes in chunks of {chunk}");
    Case {
        job,
        expect: Expect::new(kind, what, program, Exit::Code(0)),
    }
}

fn long_line(rng: &mut Rng, seed: u64, index: usize, tag: &str) -> Case {
    let kind = Kind::LongLine;
    let len = if index == 0 {
        HUGE_LINE
    } else {
        rng.range(1 << 20, 4 << 20)
    };
    let command = tagged_fault("line", &args(&[("len", len), ("seed", seed)]), tag);
    let program = program_of(&command);
    let job = wired(command, Content::Line { seed, len }, Content::empty());
    let what = format!("a line of {len} bytes");
    Case {
        job,
        expect: Expect::new(kind, what, program, Exit::Code(0)),
    }
}

fn floods_stderr(rng: &mut Rng, seed: u64) -> Case {
    let kind = Kind::FloodsStderr;
    let err = rng.range(1 << 20, 8 << 20);
    let command = pp_emit().stderr(err).chunk(64 << 10).seed(seed).command();
    let program = program_of(&command);
    let job = wired(
        command,
        Content::empty(),
        Content::Pattern {
            seed: seed + 1,
            len: err,
        },
    );
    let what = format!("{err} bytes on stderr");
    Case {
        job,
        expect: Expect::new(kind, what, program, Exit::Code(0)),
    }
}

fn ignores_term(rng: &mut Rng, tag: &str) -> Case {
    let kind = Kind::IgnoresTerm;
    // At least half a second, so that the shell has set its trap
    // before TERM comes even on a loaded machine.
    let (timeout, grace) = (rng.millis(500, 1000), rng.millis(100, 500));
    let group = rng.percent(50);
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!(
            r#"trap "" TERM; echo ready; exec "$0" sleep --tag {tag}"#
        ))
        .arg(bin("pp-fault"));
    let job = Job::new(command)
        .stdout(Verify::new(Content::Exact(b"ready\n".to_vec())))
        .timeout(timeout)
        .grace(grace)
        .process_group(group);
    let mut expect = Expect::new(
        kind,
        format!("timeout {timeout:?}, grace {grace:?}, group {group}"),
        "sh".to_owned(),
        Exit::Signal(9),
    );
    expect.timed_out = true;
    expect.not_before = timeout + grace;
    expect.stderr = None;
    Case { job, expect }
}

fn killed_by_sink(rng: &mut Rng, seed: u64) -> Case {
    let kind = Kind::KilledBySink;
    let after = rng.range(1, 1 << 20);
    let chunk = rng.range(1 << 10, 64 << 10);
    let command = pp_emit().stdout(64 << 30).chunk(chunk).seed(seed).command();
    let program = program_of(&command);
    let job = Job::new(command)
        .stdout(Verify::new(Content::Prefix { seed, min: after }).killing_after(after))
        .stderr(Verify::new(Content::empty()))
        // A backstop, should the kill not work.
        .timeout(Duration::from_secs(20));
    let what = format!("killed after {after} bytes");
    Case {
        job,
        expect: Expect::new(kind, what, program, Exit::Signal(9)),
    }
}

fn dies_of_signal(rng: &mut Rng) -> Case {
    let kind = Kind::DiesOfSignal;
    let signal = rng.pick(&[9, 15, 1]);
    let command = pp_signal(signal);
    let program = program_of(&command);
    let job = wired(
        command,
        Content::Exact(b"about to die\n".to_vec()),
        Content::empty(),
    );
    let what = format!("signal {signal}");
    Case {
        job,
        expect: Expect::new(kind, what, program, Exit::Signal(signal)),
    }
}

fn echo(rng: &mut Rng, seed: u64) -> Case {
    let kind = Kind::Echo;
    let len = rng.range(0, 2 << 20);
    let command = pp_cat();
    let program = program_of(&command);
    let job = wired(command, Content::Pattern { seed, len }, Content::empty())
        .stdin(pattern_input(seed, len));
    let mut expect = Expect::new(kind, format!("{len} bytes"), program, Exit::Code(0));
    expect.stdin = Some(StdinEnd::Eof(len));
    Case { job, expect }
}

fn merged(rng: &mut Rng, tag: &str) -> Case {
    let kind = Kind::Merged;
    let count = rng.range(1, 3000);
    let command = tagged_fault("interleave", &args(&[("count", count)]), tag);
    let program = program_of(&command);
    let mut text = String::new();
    for i in 0..count {
        let _ = write!(text, "o{i}\ne{i}\n");
    }
    let job = Job::new(command).merged(Verify::new(Content::Exact(text.into_bytes())));
    let mut expect = Expect::new(kind, format!("{count} pairs"), program, Exit::Code(0));
    expect.stderr = None;
    Case { job, expect }
}

/// A child that writes, starts grandchildren holding its stdout and
/// stderr, and exits (or sleeps, in a group that its timeout kills).
fn grandchildren(rng: &mut Rng, seed: u64, tags: &Tags) -> Case {
    let kind = Kind::GrandchildrenHoldPipes;
    let out = rng.range(0, 64 << 10);
    let more = rng.range(1, 64 << 10);
    let holders = rng.range(1, 4);
    let variant = rng.range(0, 2);
    let (hold, tag) = match variant {
        // Within the linger: everything arrives.
        0 => (rng.range(20, 400), &tags.orphan),
        // Past the linger: the reactor closes the pipes.
        1 => (rng.range(1500, 2000), &tags.orphan),
        // In a group: the timeout kills the child and them.
        _ => (60_000, &tags.group),
    };
    let mut options = vec![
        ("stdout", out),
        ("more", more),
        ("hold-ms", hold),
        ("holders", holders),
        ("seed", seed),
    ];
    if variant == 2 {
        options.push(("ms", 60_000));
    }
    let command = tagged_fault("grandchild", &args(&options), tag);
    let program = program_of(&command);
    match variant {
        0 => {
            let job = wired(
                command,
                Content::Pattern {
                    seed,
                    len: out + more,
                },
                Content::empty(),
            )
            .linger(Duration::from_secs(5));
            let what = format!("{holders} grandchildren for {hold} ms, within the linger");
            let mut expect = Expect::new(kind, what, program, Exit::Code(0));
            expect.orphans_for = Some(Duration::from_millis(hold));
            Case { job, expect }
        }
        1 => {
            let linger = rng.millis(100, 300);
            let job = wired(
                command,
                Content::Pattern { seed, len: out },
                Content::empty(),
            )
            .linger(linger);
            let what = format!("{holders} grandchildren for {hold} ms, linger {linger:?}");
            let mut expect = Expect::new(kind, what, program, Exit::Code(0));
            expect.stdout = Some(StreamEnd::ForceClosed);
            expect.stderr = Some(StreamEnd::ForceClosed);
            expect.not_before = linger;
            expect.orphans_for = Some(Duration::from_millis(hold));
            Case { job, expect }
        }
        _ => {
            let timeout = rng.millis(200, 900);
            let job = wired(
                command,
                Content::Pattern { seed, len: out },
                Content::empty(),
            )
            .process_group(true)
            .timeout(timeout);
            let what = format!("{holders} grandchildren in a group, timeout {timeout:?}");
            let mut expect = Expect::new(kind, what, program, Exit::Signal(15));
            expect.timed_out = true;
            expect.not_before = timeout;
            Case { job, expect }
        }
    }
}
