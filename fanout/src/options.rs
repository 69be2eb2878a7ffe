//! The option table: every option's names, value and help, in one place.
//! The parser (`cli`) looks names up here, and `--help`, the manual page
//! and the shell completions (`manual`) are written from it, with the
//! manual's prose below, so that none of them is written twice.

/// What an option does: the parser's key to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    Jobs,
    KeepOrder,
    LineBuffer,
    Group,
    Tag,
    Tagstring,
    SeqTag,
    Joblog,
    Resume,
    ResumeFailed,
    Retries,
    Results,
    Halt,
    Timeout,
    Grace,
    Delay,
    DryRun,
    Progress,
    Null,
    ArgFile,
    LogDir,
    Tail,
    NoSummary,
    Sshlogin,
    SshloginFile,
    Ssh,
    // Files to and from the hosts, every host at once, the environment,
    // more about hosts (`remote_cli` parses them).
    Transferfile,
    Transfer,
    Return,
    Cleanup,
    Trc,
    Basefile,
    Workdir,
    Onall,
    Nonall,
    Env,
    RecordEnv,
    Sshdelay,
    FilterHosts,
    // What fanout shows of its jobs, and GNU parallel's habits.
    Summary,
    Habit,
    Trace,
    Verbose,
    Profile,
    Plain,
    RetryFailed,
    Ungroup,
    Nice,
    // --pipe and its family.
    Pipe,
    Block,
    Recend,
    Recstart,
    Man,
    Completions,
    Help,
    Version,
    // Arguments: several a job, replacement strings, input.
    MaxArgs,
    ExactArgs,
    Multiple,
    ContextReplace,
    Xargs,
    MaxLines,
    Lines,
    MaxChars,
    ExitTooLong,
    Replace,
    ReplaceDefault,
    ExtensionReplace,
    BasenameReplace,
    DirnameReplace,
    BasenameExtensionReplace,
    SeqReplace,
    Delimiter,
    Eof,
    EofDefault,
    Rpl,
    Link,
    Quote,
    Colsep,
    NoRunIfEmpty,
}

/// The value an option takes, named as the help shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// None: a flag.
    Flag,
    /// Any text (a number, a command…).
    Text(&'static str),
    /// A file's path.
    File(&'static str),
    /// A directory's path.
    Dir(&'static str),
    /// One of these words.
    Choice(&'static str, &'static [&'static str]),
}

impl Value {
    /// The value's name (`FILE`, `N|N%`); `None` for a flag.
    pub(crate) fn name(&self) -> Option<&'static str> {
        match *self {
            Value::Flag => None,
            Value::Text(name) | Value::File(name) | Value::Dir(name) => Some(name),
            Value::Choice(name, _) => Some(name),
        }
    }
}

/// One option.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Opt {
    pub(crate) key: Key,
    /// `-j`.
    pub(crate) short: Option<char>,
    /// `--jobs`: the name the help and the manual lead with.
    pub(crate) long: &'static str,
    /// Other long names for it (GNU parallel's: `--lb`, `--res`…).
    pub(crate) aliases: &'static [&'static str],
    pub(crate) value: Value,
    /// What it does: one or more sentences, no line breaks (the help and
    /// the manual wrap it); `` `code` `` is set as code in the manual.
    pub(crate) help: &'static str,
}

impl Opt {
    /// Every long name, the first one first.
    pub(crate) fn longs(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.long).chain(self.aliases.iter().copied())
    }

    /// The help's first sentence (for the completions).
    pub(crate) fn summary(&self) -> &'static str {
        let end = self.help.find("; ").or_else(|| self.help.find(". "));
        let end = end.unwrap_or(self.help.len());
        self.help[..end].trim_end_matches('.')
    }
}

const fn opt(key: Key, short: Option<char>, long: &'static str, value: Value) -> Opt {
    Opt {
        key,
        short,
        long,
        aliases: &[],
        value,
        help: "",
    }
}

const fn flag(key: Key, short: Option<char>, long: &'static str) -> Opt {
    opt(key, short, long, Value::Flag)
}

/// Every option, in the order the help lists them.
pub(crate) const OPTIONS: &[Opt] = &[
    Opt {
        help: "run at most N jobs at once; N% of the CPUs (default 100%), +N or -N: the \
               CPUs plus or minus N, 0: as many as can be open at once; FILE: the value \
               it holds, read again when a job ends",
        ..opt(Key::Jobs, Some('j'), "jobs", Value::Text("N|N%|+N|-N|FILE"))
    },
    Opt {
        help: "print the jobs' output in the order of the arguments: the oldest unfinished \
               job's lines live, the others held (in memory, then in unnamed temporary files)",
        ..flag(Key::KeepOrder, Some('k'), "keep-order")
    },
    Opt {
        aliases: &["lb"],
        help: "print lines whole as they arrive (the default)",
        ..flag(Key::LineBuffer, None, "line-buffer")
    },
    Opt {
        help: "print each job's output whole when it ends",
        ..flag(Key::Group, None, "group")
    },
    Opt {
        help: "prefix each line with the arguments (space-separated) and a TAB",
        ..flag(Key::Tag, None, "tag")
    },
    Opt {
        help: "prefix each line with STR (replacement strings work) and a TAB",
        ..opt(Key::Tagstring, None, "tagstring", Value::Text("STR"))
    },
    Opt {
        help: "prefix each line with `[N] `, N the job's number",
        ..flag(Key::SeqTag, None, "seq-tag")
    },
    Opt {
        help: "GNU parallel's job log: a header, then one tab-separated line per job when \
               it ends: Seq Host Starttime JobRuntime Send Receive Exitval Signal Command \
               (FILE `-`: on stdout; `+FILE`: appended, no header)",
        ..opt(Key::Joblog, None, "joblog", Value::File("FILE"))
    },
    Opt {
        help: "skip the jobs the --joblog FILE lists (give the same arguments); append to it",
        ..flag(Key::Resume, None, "resume")
    },
    Opt {
        help: "skip the jobs the --joblog FILE lists as succeeded, run the others again",
        ..flag(Key::ResumeFailed, None, "resume-failed")
    },
    Opt {
        help: "run a failing job up to N times in all; only the last run's output is \
               printed (held meanwhile) and logged",
        ..opt(Key::Retries, None, "retries", Value::Text("N"))
    },
    Opt {
        aliases: &["res"],
        help: "each job's output also in DIR/1/ARG/{stdout,stderr,seq} (and still printed)",
        ..opt(Key::Results, None, "results", Value::Dir("DIR"))
    },
    Opt {
        aliases: &["halt-on-error"],
        help: "stop after N (or N%) jobs failed (fail), succeeded (success) or ended \
               (done); WHEN: now (stop the running jobs too) or soon (let them end); 0, 1, \
               2 as GNU parallel (never, soon,fail=1, now,fail=1)",
        ..opt(Key::Halt, None, "halt", Value::Text("WHEN,WHY=N"))
    },
    Opt {
        help: "stop a job running longer: SIGTERM to its process group, SIGKILL after the \
               grace",
        ..opt(Key::Timeout, None, "timeout", Value::Text("SECS"))
    },
    Opt {
        help: "the time between SIGTERM and SIGKILL when fanout stops a job (default 2)",
        ..opt(Key::Grace, None, "grace", Value::Text("SECS"))
    },
    Opt {
        help: "wait at least SECS between the starts of two jobs",
        ..opt(Key::Delay, None, "delay", Value::Text("SECS"))
    },
    Opt {
        help: "print the commands instead of running them",
        ..flag(Key::DryRun, None, "dry-run")
    },
    Opt {
        aliases: &["bar", "progress"],
        help: "GNU parallel's progress texts on stderr, terminal or not: --eta the time \
               left and the hosts' counts, --progress the counts, --bar a bar (zenity reads \
               it); fanout's own progress line is then not drawn",
        ..flag(Key::Progress, None, "eta")
    },
    Opt {
        help: "arguments from stdin and files end with NUL, not newline",
        ..flag(Key::Null, Some('0'), "null")
    },
    Opt {
        help: "an input source, as `:::: FILE` (`-`: stdin)",
        ..opt(Key::ArgFile, Some('a'), "arg-file", Value::File("FILE"))
    },
    Opt {
        help: "each job's whole output also in DIR/<N>.out and DIR/<N>.err",
        ..opt(Key::LogDir, None, "log-dir", Value::Dir("DIR"))
    },
    Opt {
        help: "the last BYTES of a failed job's stderr in the summary (default 2048; 0: none)",
        ..opt(Key::Tail, None, "tail", Value::Text("BYTES"))
    },
    Opt {
        help: "no summary on stderr at the end, not even on a terminal",
        ..flag(Key::NoSummary, None, "no-summary")
    },
    Opt {
        help: "run jobs on SPEC: comma-separated [N/]HOST (N job slots, default -j) or `:` \
               (this machine); repeatable",
        ..opt(Key::Sshlogin, Some('S'), "sshlogin", Value::Text("SPEC"))
    },
    Opt {
        aliases: &["slf"],
        help: "the SPECs of -S, one a line (`#` starts a comment)",
        ..opt(
            Key::SshloginFile,
            None,
            "sshlogin-file",
            Value::File("FILE"),
        )
    },
    Opt {
        help: "the ssh command (default `ssh`), split into words as a shell does",
        ..opt(Key::Ssh, None, "ssh", Value::Text("CMD"))
    },
    // Files to and from the hosts, every host at once, the environment,
    // more about hosts.
    Opt {
        aliases: &["tf"],
        help: "copy FILE (replacement strings work) to the host before the job, with rsync \
               over the shared connection: relative paths under the work directory, \
               absolute ones where they are, what follows `/./` under the work directory; \
               a file that cannot be sent fails the job before it runs; repeatable",
        ..opt(Key::Transferfile, None, "transferfile", Value::File("FILE"))
    },
    Opt {
        help: "--transferfile {}: copy the argument's file to the host",
        ..flag(Key::Transfer, None, "transfer")
    },
    Opt {
        help: "copy FILE (replacement strings work) back from the host after the job, \
               placed as --transferfile places it (`DIR/./NAME`: NAME into DIR); a file \
               that cannot be brought back fails the job; repeatable",
        ..opt(Key::Return, None, "return", Value::File("FILE"))
    },
    Opt {
        help: "remove the transferred and returned files from the host after the job (and \
               the basefiles at the end, the `...` work directory with the job)",
        ..flag(Key::Cleanup, None, "cleanup")
    },
    Opt {
        help: "--transfer --return FILE --cleanup",
        ..opt(Key::Trc, None, "trc", Value::File("FILE"))
    },
    Opt {
        aliases: &["bf"],
        help: "copy FILE to each host once, before its first job (a host it cannot reach \
               fails its jobs); repeatable",
        ..opt(Key::Basefile, None, "basefile", Value::File("FILE"))
    },
    Opt {
        aliases: &["wd"],
        help: "run remote jobs in DIR on the host (made if missing; replacement strings \
               work): `.` the current directory (relative to the home directory when under \
               it), `...` a directory of its own for each job under ~/.parallel/tmp",
        ..opt(Key::Workdir, None, "workdir", Value::Dir("DIR"))
    },
    Opt {
        help: "run every job on every host of -S, one at a time on each host, in the \
               arguments' order; --tag prefixes the host",
        ..flag(Key::Onall, None, "onall")
    },
    Opt {
        help: "run the command once on every host of -S, with no argument; --tag prefixes \
               the host",
        ..flag(Key::Nonall, None, "nonall")
    },
    Opt {
        help: "pass the variable NAME, or the exported bash function NAME (then the job \
               runs with bash), to remote jobs; `_`: every variable and function but those \
               named in ~/.parallel/ignored_vars; repeatable, or comma-separated",
        ..opt(Key::Env, None, "env", Value::Text("NAME"))
    },
    Opt {
        help: "write the names of the variables and functions set now to \
               ~/.parallel/ignored_vars, for --env _, and exit",
        ..flag(Key::RecordEnv, None, "record-env")
    },
    Opt {
        help: "wait at least SECS between the starts of two jobs when a host is remote",
        ..opt(Key::Sshdelay, None, "sshdelay", Value::Text("SECS"))
    },
    Opt {
        help: "before the first job, drop the hosts that do not answer ssh (a warning \
               each)",
        ..flag(Key::FilterHosts, None, "filter-hosts")
    },
    // What fanout shows of its jobs, and GNU parallel's habits.
    Opt {
        help: "the summary on stderr at the end also when stderr is not a terminal (on a \
               terminal it is shown anyway)",
        ..flag(Key::Summary, None, "summary")
    },
    Opt {
        aliases: &["no-notice", "gnu"],
        help: "accepted for GNU parallel's habits: fanout prints no notice to silence",
        ..flag(Key::Habit, None, "will-cite")
    },
    Opt {
        help: "run again the jobs the --joblog FILE lists as failed, their commands as the \
               log gives them (the command line's TEMPLATE and arguments are not used)",
        ..flag(Key::RetryFailed, None, "retry-failed")
    },
    Opt {
        help: "GNU parallel's ungrouped output: fanout prints lines whole as they arrive, \
               its default, which is as fast",
        ..flag(Key::Ungroup, Some('u'), "ungroup")
    },
    Opt {
        help: "run the jobs with niceness N (`nice -n N`)",
        ..opt(Key::Nice, None, "nice", Value::Text("N"))
    },
    Opt {
        help: "read the options in the profile NAME (`~/.parallel/NAME`; `/…` or `./…`: \
               that file) instead of ~/.parallel/config, before $PARALLEL's and the \
               command line's; repeatable",
        ..opt(Key::Profile, Some('J'), "profile", Value::Text("NAME"))
    },
    Opt {
        help: "ignore $PARALLEL, ~/.parallel/config and --profile",
        ..flag(Key::Plain, None, "plain")
    },
    Opt {
        help: "print each command on stderr when it starts",
        ..flag(Key::Trace, Some('t'), "verbose")
    },
    Opt {
        help: "print each command on stdout, before its output (tagged, held, ordered \
               with it)",
        ..flag(Key::Verbose, Some('v'), "print-commands")
    },
    // --pipe and its family: stdin cut into blocks of whole records, a
    // block the stdin of each job.
    Opt {
        aliases: &["spreadstdin"],
        help: "cut stdin into blocks of whole records (see --block, --recend, --recstart, -N) \
               and give each block to one job as its stdin; the TEMPLATE gets no argument",
        ..flag(Key::Pipe, None, "pipe")
    },
    Opt {
        aliases: &["block-size", "bs"],
        help: "blocks of about SIZE bytes for --pipe, never cutting a record (default 1M; \
               suffixes K, M, G: powers of 1024)",
        ..opt(Key::Block, None, "block", Value::Text("SIZE"))
    },
    Opt {
        help: "records for --pipe end with these bytes (default a newline; empty: none)",
        ..opt(Key::Recend, None, "recend", Value::Text("STR"))
    },
    Opt {
        help: "records for --pipe start with these bytes (default none); with --recend too, \
               a record boundary is where an end is followed at once by a start",
        ..opt(Key::Recstart, None, "recstart", Value::Text("STR"))
    },
    // Arguments: several a job, replacement strings, input.
    Opt {
        aliases: &["maxargs"],
        help: "up to N arguments a job (`{}`: all of them, space-separated; `{1}`..: each); \
               N at least 1",
        ..opt(Key::MaxArgs, Some('n'), "max-args", Value::Text("N"))
    },
    Opt {
        aliases: &["maxreplaceargs"],
        help: "N arguments a job, `{1}`..`{N}` each of them (the last job may have fewer); \
               a word holding `{}` is repeated for each; -N 0: one job per argument, \
               none put in; N records a job instead of a size under --pipe",
        ..opt(
            Key::ExactArgs,
            Some('N'),
            "max-replace-args",
            Value::Text("N"),
        )
    },
    Opt {
        help: "as many arguments a job as the command line's length limit allows, `{}` all \
               of them space-separated; at the end, the last ones spread over the job slots",
        ..flag(Key::Multiple, Some('m'), "multiple")
    },
    Opt {
        help: "as -m, a word holding `{}` repeated for each argument (`a{}b` of 1 2: `a1b \
               a2b`)",
        ..flag(Key::ContextReplace, Some('X'), "context-replace")
    },
    Opt {
        help: "as many arguments a job as the length limit allows, as xargs (not spread)",
        ..flag(Key::Xargs, None, "xargs")
    },
    Opt {
        help: "N lines of input a job, a word holding `{}` repeated for each",
        ..opt(Key::MaxLines, Some('L'), "max-lines", Value::Text("N"))
    },
    Opt {
        help: "-l[N] (N attached): as -L N, N 1 when not given",
        ..flag(Key::Lines, Some('l'), "lines")
    },
    Opt {
        aliases: &["maxchars"],
        help: "a command line shorter than N bytes (default: the system's longest less 3000, \
               halved, as GNU parallel); an argument that does not fit is an error",
        ..opt(Key::MaxChars, Some('s'), "max-chars", Value::Text("N"))
    },
    Opt {
        help: "accepted (an argument too long for -s is always an error)",
        ..flag(Key::ExitTooLong, Some('x'), "exit")
    },
    Opt {
        help: "STR instead of `{}` (and `{N}`)",
        ..opt(
            Key::Replace,
            Some('I'),
            "replace-string",
            Value::Text("STR"),
        )
    },
    Opt {
        help: "-i[STR] (STR attached): as -I STR, `{}` when not given",
        ..flag(Key::ReplaceDefault, Some('i'), "replace")
    },
    Opt {
        aliases: &["er"],
        help: "STR instead of `{.}`",
        ..opt(
            Key::ExtensionReplace,
            None,
            "extensionreplace",
            Value::Text("STR"),
        )
    },
    Opt {
        aliases: &["bnr"],
        help: "STR instead of `{/}`",
        ..opt(
            Key::BasenameReplace,
            None,
            "basenamereplace",
            Value::Text("STR"),
        )
    },
    Opt {
        aliases: &["dnr"],
        help: "STR instead of `{//}`",
        ..opt(
            Key::DirnameReplace,
            None,
            "dirnamereplace",
            Value::Text("STR"),
        )
    },
    Opt {
        aliases: &["bner"],
        help: "STR instead of `{/.}`",
        ..opt(
            Key::BasenameExtensionReplace,
            None,
            "basenameextensionreplace",
            Value::Text("STR"),
        )
    },
    Opt {
        help: "STR instead of `{#}`",
        ..opt(Key::SeqReplace, None, "seqreplace", Value::Text("STR"))
    },
    Opt {
        help: "arguments from stdin and files end with DELIM (one character, or \\n, \\t, \
               \\0, \\xHH, \\NNN), not newline",
        ..opt(Key::Delimiter, Some('d'), "delimiter", Value::Text("DELIM"))
    },
    Opt {
        help: "an argument STR ends its input source (it and the rest are not read)",
        ..opt(Key::Eof, Some('E'), "end-of-file", Value::Text("STR"))
    },
    Opt {
        help: "-e[STR] (STR attached): as -E STR; none when not given",
        ..flag(Key::EofDefault, Some('e'), "eof")
    },
    Opt {
        help: "GNU parallel's Perl replacement strings: refused, as `{= perl =}` is (fanout \
               runs no Perl)",
        ..opt(Key::Rpl, None, "rpl", Value::Text("'TAG PERL'"))
    },
    Opt {
        aliases: &["xapply"],
        help: "link the input sources: one argument of each at a time, the shorter ones \
               wrapping around (`:::+`, `::::+`: linked to the source before, as long as \
               the shorter)",
        ..flag(Key::Link, None, "link")
    },
    Opt {
        help: "quote each word of the TEMPLATE whole for the shell (after its replacement \
               strings): the command runs as typed, no shell code",
        ..flag(Key::Quote, Some('q'), "quote")
    },
    Opt {
        aliases: &["col-sep"],
        help: "split each argument into columns on REGEX: `{1}`, `{2}`… are the columns",
        ..opt(Key::Colsep, Some('C'), "colsep", Value::Text("REGEX"))
    },
    Opt {
        help: "skip blank arguments (empty or only whitespace)",
        ..flag(Key::NoRunIfEmpty, Some('r'), "no-run-if-empty")
    },
    // End of arguments.
    Opt {
        help: "print the manual page (roff) on stdout",
        ..flag(Key::Man, None, "man")
    },
    Opt {
        help: "print the completion script of SHELL (bash or zsh) on stdout",
        ..opt(
            Key::Completions,
            None,
            "completions",
            Value::Choice("SHELL", &["bash", "zsh"]),
        )
    },
    Opt {
        help: "print this help",
        ..flag(Key::Help, Some('h'), "help")
    },
    Opt {
        help: "print fanout's version (and the commit it was built from)",
        ..flag(Key::Version, Some('V'), "version")
    },
];

/// The option named `-c`.
pub(crate) fn short(c: char) -> Option<&'static Opt> {
    OPTIONS.iter().find(|opt| opt.short == Some(c))
}

/// The option named `--name`.
pub(crate) fn long(name: &str) -> Option<&'static Opt> {
    OPTIONS.iter().find(|opt| opt.longs().any(|l| l == name))
}

/// The synopsis, after `usage: `.
pub(crate) const SYNOPSIS: &str = "fanout [OPTIONS] [TEMPLATE ...] [::: ARGS ...] [:::: FILES ...]";

/// What fanout is, in one line (the manual page's NAME).
pub(crate) const PURPOSE: &str =
    "run commands in parallel with GNU parallel's syntax, their output line by line";

/// What fanout does, a paragraph each.
pub(crate) const DESCRIPTION: &[&str] = &[
    "Runs TEMPLATE once per argument, through `sh -c`, many at once, and streams the \
     output line by line as it arrives (GNU parallel's syntax). Several `:::`/`::::` groups \
     give every combination (the last varies fastest); with none, the arguments are \
     stdin's lines. With no TEMPLATE, each argument is a command line itself: \
     `fanout ::: 'seq 1 3' 'uname -s'`.",
    "Options come before the TEMPLATE; everything after its first word belongs to it.",
];

/// The replacement strings, and what each is. An argument put in is
/// shell-quoted; a TEMPLATE without any gets the arguments appended.
pub(crate) const REPLACEMENTS: &[(&str, &str)] = &[
    ("{}", "the argument (several sources: all, space-separated)"),
    ("{.}", "the argument without its extension"),
    ("{/}", "its basename"),
    ("{//}", "its directory (`.` for a bare name)"),
    ("{/.}", "its basename without the extension"),
    ("{#}", "the job's number, from 1"),
    ("{%}", "the job's slot, 1..N (N: -j)"),
    (
        "{N} {N.} {N/} {N//} {N/.}",
        "the same, of the Nth input source",
    ),
];

/// The paragraph before the replacement strings.
pub(crate) const REPLACEMENTS_INTRO: &str = "The arguments put in are shell-quoted; a \
     TEMPLATE with no replacement string gets the arguments appended.";

/// How jobs run and stop, a paragraph each.
pub(crate) const JOBS: &[&str] = &[
    "A job whose command line has no shell syntax (quotes other than fanout's own, $, \
     globs, operators, redirections, an assignment, a builtin) runs its program directly, \
     split into words as sh would; any other runs through `sh -c` (a lone simple command \
     with `exec`), so that its exit status or signal is its own; each in a process group \
     of its own, stdin from /dev/null, with PARALLEL_SEQ, PARALLEL_JOBSLOT and \
     FANOUT_INDEX (= PARALLEL_SEQ) set.",
    "Ctrl-C (SIGINT), SIGTERM and SIGHUP stop the running jobs' process groups \
     (SIGTERM, then SIGKILL after the grace; a second Ctrl-C: SIGKILL at once); fanout \
     prints the summary and exits with 128 + the signal (130 for Ctrl-C).",
];

/// The exit status.
pub(crate) const EXIT_STATUS: &str = "0 when all jobs succeeded; else the number of failed \
     jobs (101 when more than 100); with --halt: after fail=1 the failing job's own status, \
     after fail=N% the percentage of the jobs that failed, after success=N 0; 128 + N when \
     stopped by signal N; 255 for a usage error or another error.";
