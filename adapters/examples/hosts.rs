//! `hosts`: runs one shell command on several machines through `ssh`, their
//! lines tagged with the host as they arrive, then a summary.
//!
//! ```text
//! cargo run -p procpump-adapters --example hosts -- [--ssh 'ssh -F config'] HOST... -- COMMAND
//! cargo run -p procpump-adapters --example hosts -- web1 web2 db1 -- uptime
//! ```
//!
//! A remote command is a child like any other: `ssh HOST -- sh -c COMMAND`,
//! its stdout and stderr read by one reactor thread into `Tagged` sinks
//! (`[host] ` before each line, lines never mixed), its stderr's last 2 KiB
//! kept for the summary. `ssh` runs in `BatchMode` (no password prompt) with
//! a connection timeout, so a host that cannot be reached fails on its own,
//! with ssh's own words in the summary, and the others go on. Its stdin is
//! `/dev/null` (procpump's default): the remote command reads nothing.
//!
//! Exit status: 0 when the command succeeded on every host, 1 otherwise, 2
//! for a usage error.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io;
use std::process::{Command, ExitCode};
use std::time::Duration;

use procpump::{Job, Reactor, Stream};
use procpump_adapters::{Tagged, Tail, Tee};

/// Splits `ssh -F 'a b'`-style words (single and double quotes, no escapes).
fn words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quote, mut any) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => (quote, any) = (Some(c), true),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if any {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (_, c) => (word, any) = (word + &c.to_string(), true),
        }
    }
    if any {
        words.push(word);
    }
    words
}

/// The command line, quoted for the remote shell.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut ssh = vec!["ssh".to_string()];
    if args.first().map(String::as_str) == Some("--ssh") && args.len() > 1 {
        ssh = words(&args[1]);
        args.drain(..2);
    }
    let Some(split) = args.iter().position(|arg| arg == "--") else {
        eprintln!("usage: hosts [--ssh CMD] HOST... -- COMMAND");
        return ExitCode::from(2);
    };
    let (hosts, command) = (&args[..split], args[split + 1..].join(" "));
    if hosts.is_empty() || command.is_empty() || ssh.is_empty() {
        eprintln!("usage: hosts [--ssh CMD] HOST... -- COMMAND");
        return ExitCode::from(2);
    }
    match run(&ssh, hosts, &command) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("hosts: {err}");
            ExitCode::from(2)
        }
    }
}

/// Runs `command` on every host; true if it succeeded everywhere.
fn run(ssh: &[String], hosts: &[String], command: &str) -> procpump::Result<bool> {
    let out = Tagged::writer(io::stdout());
    let err = Tagged::writer(io::stderr());
    let mut reactor = Reactor::new()?;
    for host in hosts {
        let mut remote = Command::new(&ssh[0]);
        remote
            .args(&ssh[1..])
            .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"])
            .args([host.as_str(), "--", "sh", "-c", &quoted(command)]);
        let tag = format!("[{host}] ");
        let mut stderr = Tee::new();
        stderr.push(err.sink(tag.clone()));
        stderr.push(Tail::new(2048));
        reactor.spawn(
            Job::new(remote)
                .stdout(out.sink(tag))
                .stderr(stderr)
                .timeout(Duration::from_secs(3600))
                .label(host.clone()),
        );
    }
    let mut all_ok = true;
    let mut summary = String::from("hosts: summary\n");
    for mut report in reactor.run()? {
        let host = report.take_label::<String>().unwrap_or_default();
        let outcome = match (report.code(), report.signal()) {
            _ if report.success() => "ok".to_string(),
            (Some(255), _) => "ssh failed (exit 255)".to_string(),
            (Some(code), _) => format!("exit {code}"),
            (None, Some(signal)) => format!("killed by signal {signal}"),
            (None, None) => report.error().map_or("failed".into(), |e| e.to_string()),
        };
        all_ok &= report.success();
        let lines = report.stdout().map_or(0, |stdout| stdout.bytes());
        summary += &format!(
            "{host:<24} {outcome:<24} {lines} bytes out, {:.3}s\n",
            report.duration().as_secs_f64()
        );
        if !report.success() {
            let tail = report
                .take_sink::<Tee>(Stream::Stderr)
                .and_then(|mut tee| tee.take::<Tail>(1))
                .map(|tail| String::from_utf8_lossy(&tail.bytes()).into_owned())
                .unwrap_or_default();
            for line in tail.lines() {
                summary += &format!("    {line}\n");
            }
        }
    }
    eprint!("{summary}");
    Ok(all_ok)
}
