//! `--bar`, `--eta` and `--progress` as GNU parallel 20221122 prints them
//! on stderr, terminal or not (`--bar` is what scripts pipe into `zenity
//! --progress`): the same texts, redrawn with `\r`, and a last one with a
//! newline at the end. fanout's own progress line is not drawn then.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// How often the text is redrawn (GNU parallel: about once a second, and
/// when a job starts or ends).
const REDRAW: Duration = Duration::from_millis(500);

/// The width GNU parallel pads the bar to when it finds no terminal.
const COLUMNS: usize = 80;

/// Which of GNU parallel's progress texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// `--bar`: a bar, the percentage and the ETA, zenity's lines first.
    Bar,
    /// `--eta`: `ETA: …s Left: … AVG: …s` and the hosts' counts.
    Eta,
    /// `--progress`: the hosts' counts.
    Progress,
}

/// One host's counts, as the texts show them.
#[derive(Clone, Debug)]
pub(crate) struct HostCounts {
    /// `local` for this machine.
    pub(crate) name: String,
    /// `None`: unknown (a remote host).
    pub(crate) cpus: Option<usize>,
    pub(crate) slots: usize,
    pub(crate) running: usize,
    pub(crate) completed: u64,
}

/// The state the texts are made from.
#[derive(Debug)]
pub(crate) struct GnuProgress {
    style: Style,
    began: Instant,
    first_completed: Option<Instant>,
    smoothed: f64,
    last_eta: u64,
    drawn: Option<Instant>,
}

/// What the run says at a redraw.
pub(crate) struct Now<'a> {
    pub(crate) hosts: &'a [HostCounts],
    pub(crate) started: u64,
    pub(crate) completed: u64,
    /// All the jobs, when known.
    pub(crate) total: Option<u64>,
    /// The newest job's arguments, space-separated.
    pub(crate) newest: &'a str,
}

impl Style {
    /// The style of `--bar`, `--eta` or `--progress`, by the name given.
    pub(crate) fn of_option(name: &str) -> Style {
        match name {
            "--bar" => Style::Bar,
            "--progress" => Style::Progress,
            _ => Style::Eta,
        }
    }
}

impl GnuProgress {
    pub(crate) fn new(style: Style) -> GnuProgress {
        GnuProgress {
            style,
            began: Instant::now(),
            first_completed: None,
            smoothed: 0.0,
            last_eta: 0,
            drawn: None,
        }
    }

    /// What is printed before the jobs start (`--eta`, `--progress`: the
    /// hosts and the heading).
    pub(crate) fn start(&self, hosts: &[HostCounts]) -> String {
        if self.style == Style::Bar {
            return String::new();
        }
        let mut text = "\nComputers / CPU cores / Max jobs to run\n".to_owned();
        for (n, host) in hosts.iter().enumerate() {
            let cpus = host.cpus.map_or("-".to_owned(), |n| n.to_string());
            let _ = writeln!(text, "{}:{} / {cpus} / {}", n + 1, host.name, host.slots);
        }
        text + "\nComputer:jobs running/jobs completed/%of started jobs/Average seconds to \
                complete\n"
    }

    /// How long until the next redraw.
    pub(crate) fn redraw_in(&self) -> Duration {
        self.drawn.map_or(Duration::ZERO, |drawn| {
            REDRAW.saturating_sub(drawn.elapsed())
        })
    }

    /// The redrawn text when it is due (`last`: the end, always drawn,
    /// with its newline).
    pub(crate) fn draw(&mut self, now: &Now<'_>, last: bool) -> Option<String> {
        if !last && self.redraw_in() > Duration::ZERO {
            return None;
        }
        self.drawn = Some(Instant::now());
        let text = match self.style {
            Style::Bar => self.bar(now),
            Style::Eta => {
                let (left, avg, eta) = self.eta(now);
                format!(
                    "\rETA: {eta}s Left: {left} AVG: {avg:.2}s  {}",
                    self.hosts(now)
                )
            }
            Style::Progress => format!("\r{}", self.hosts(now)),
        };
        Some(if last { text + "\n" } else { text })
    }

    /// `local:R/C/P%/T.Ts` per host, each with a space after it.
    fn hosts(&self, now: &Now<'_>) -> String {
        let elapsed = self.began.elapsed().as_secs_f64();
        let mut text = String::new();
        for host in now.hosts {
            let time = match host.completed {
                0 => 0.0,
                completed => elapsed.floor() / completed as f64,
            };
            let share = (host.running as u64 + host.completed) * 100 / now.started.max(1);
            let _ = write!(
                text,
                "{}:{}/{}/{share}%/{time:.1}s ",
                host.name, host.running, host.completed
            );
        }
        text
    }

    /// Jobs left, the average time a job and the smoothed ETA in seconds,
    /// as GNU parallel's `compute_eta`.
    fn eta(&mut self, now: &Now<'_>) -> (u64, f64, u64) {
        let total = now.total.unwrap_or(now.started).max(now.completed);
        let left = total - now.completed;
        if now.completed == 0 {
            return (left, 0.0, 0);
        }
        let done = (now.completed as f64 / total as f64).min(100.0);
        let first = *self.first_completed.get_or_insert_with(Instant::now);
        let avg = first.elapsed().as_secs_f64().floor() / now.completed as f64;
        if self.smoothed == 0.0 {
            self.smoothed = avg;
        }
        self.smoothed = (1.0 - done) * self.smoothed + done * avg;
        let mut eta = (left as f64 * self.smoothed) as u64;
        if (eta as f64) * 0.9 < self.last_eta as f64 && self.last_eta < eta {
            eta = self.last_eta;
        } else {
            self.last_eta = eta;
        }
        (left, avg, eta)
    }

    /// `--bar`: zenity's `# ETA sec ARG` line and percentage, then the bar
    /// in reverse video up to the share done.
    fn bar(&mut self, now: &Now<'_>) -> String {
        let (left, _, eta) = self.eta(now);
        let total = now.total.unwrap_or(now.started).max(now.completed);
        let done = match now.completed {
            0 => 0.0,
            completed => (completed as f64 / total as f64).min(100.0),
        };
        let percent = done * 100.0;
        let text = format!(
            "{}% {}:{left}={} {}",
            percent as u64,
            now.completed,
            time_units(eta),
            now.newest
        );
        let mut bar: String = format!("{text:COLUMNS$}").chars().take(COLUMNS).collect();
        let width = (COLUMNS as f64 * done) as usize;
        let at = bar.char_indices().nth(width).map_or(bar.len(), |(i, _)| i);
        bar.insert_str(at, "\x1b[0m");
        let zenity: String = format!("#   {eta} sec {}", now.newest)
            .chars()
            .take(COLUMNS)
            .collect();
        format!(
            "\r{zenity:COLUMNS$}\r{}\r\x1b[7m{bar}\x1b[0m",
            perl_number(percent)
        )
    }
}

/// Seconds as GNU parallel writes them: `5s`, `1m05s`, `2h01m05s`,
/// `1d02h01m05s`.
pub(crate) fn time_units(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (d, h, m) {
        (1.., _, _) => format!("{d}d{h:02}h{m:02}m{s:02}s"),
        (0, 1.., _) => format!("{h}h{m:02}m{s:02}s"),
        (0, 0, 1..) => format!("{m}m{s:02}s"),
        _ => format!("{s}s"),
    }
}

/// A number as Perl prints it: whole ones without a point, else 15
/// significant digits.
fn perl_number(x: f64) -> String {
    if x.fract() == 0.0 {
        return format!("{}", x as i64);
    }
    let digits = 14usize.saturating_sub(x.abs().log10().floor() as usize);
    let text = format!("{x:.digits$}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(running: usize, completed: u64) -> Vec<HostCounts> {
        vec![HostCounts {
            name: "local".into(),
            cpus: Some(2),
            slots: 2,
            running,
            completed,
        }]
    }

    #[test]
    fn the_texts_gnu_parallel_prints() {
        let progress = GnuProgress::new(Style::Progress);
        assert_eq!(
            progress.start(&local(0, 0)),
            "\nComputers / CPU cores / Max jobs to run\n1:local / 2 / 2\n\nComputer:jobs \
             running/jobs completed/%of started jobs/Average seconds to complete\n"
        );
        let hosts = local(2, 0);
        let now = Now {
            hosts: &hosts,
            started: 2,
            completed: 0,
            total: Some(4),
            newest: "2",
        };
        let mut eta = GnuProgress::new(Style::Eta);
        assert_eq!(
            eta.draw(&now, false).unwrap(),
            "\rETA: 0s Left: 4 AVG: 0.00s  local:2/0/100%/0.0s "
        );
        assert_eq!(eta.draw(&now, false), None, "not due yet");
        let mut bar = GnuProgress::new(Style::Bar);
        let drawn = bar.draw(&now, true).unwrap();
        let zenity = format!("\r{:80}\r0\r\x1b[7m", "#   0 sec 2");
        assert!(drawn.starts_with(&zenity), "{drawn:?}");
        assert!(
            drawn.ends_with(&format!("\x1b[0m{:80}\x1b[0m\n", "0% 0:4=0s 2")),
            "{drawn:?}"
        );
    }

    #[test]
    fn numbers_as_gnu_parallel_writes_them() {
        assert_eq!(time_units(5), "5s");
        assert_eq!(time_units(65), "1m05s");
        assert_eq!(time_units(7265), "2h01m05s");
        assert_eq!(time_units(93_665), "1d02h01m05s");
        assert_eq!(perl_number(100.0), "100");
        assert_eq!(perl_number(100.0 / 3.0), "33.3333333333333");
        assert_eq!(perl_number(12.5), "12.5");
    }
}
