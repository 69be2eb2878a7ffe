//! `-j` in GNU parallel's forms: `N`, `N%`, `+N`, `-N` (of this machine's
//! CPUs), `0` (as many as can run), and a FILE holding one of them, read
//! again when a job ends. The slots used (`{%}`) are checked beside GNU
//! parallel's on jobs long enough for every slot to fill.

use crate::gnu::parallel;
use crate::support::run;

/// The highest slot (`{%}`) the jobs of `args` used.
fn most_slots(ran: &crate::support::Ran) -> usize {
    ran.stdout
        .lines()
        .filter_map(|l| l.parse().ok())
        .max()
        .unwrap_or(0)
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[test]
fn the_forms_of_j_give_gnu_parallels_slots() {
    let jobs: Vec<String> = (1..=12).map(|n| n.to_string()).collect();
    for (form, slots) in [
        ("0", 12),
        ("+1", cpus() + 1),
        ("-1", cpus().saturating_sub(1).max(1)),
        ("50%", (cpus() / 2).max(1)),
        ("200%", cpus() * 2),
        ("3", 3),
    ] {
        let mut args = vec!["-j", form, "sleep 0.4; echo {%}", ":::"];
        args.extend(jobs.iter().map(String::as_str));
        let (ran, gnu) = (run(&args), parallel(&args));
        assert_eq!(
            (ran.code(), gnu.code()),
            (0, 0),
            "-j {form}: {}",
            ran.stderr
        );
        assert_eq!(most_slots(&ran), most_slots(&gnu), "-j {form}");
        assert_eq!(most_slots(&ran), slots.min(12), "-j {form}");
    }
}

#[test]
fn a_jobs_file_is_read_again_when_a_job_ends() {
    let path = std::env::temp_dir().join(format!("fanout-jobs-file-{}", std::process::id()));
    let file = path.to_str().unwrap();
    let jobs: Vec<String> = (1..=8).map(|n| n.to_string()).collect();
    let mut args = vec!["-j", file, "sleep 1; echo {%}", ":::"];
    args.extend(jobs.iter().map(String::as_str));
    for run_it in [run, parallel] {
        std::fs::write(&path, "1\n").unwrap();
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || {
                // While the second job runs: read again when it ends.
                std::thread::sleep(std::time::Duration::from_millis(1500));
                std::fs::write(&path, "3\n").unwrap();
            })
        };
        let ran = run_it(&args);
        writer.join().unwrap();
        assert_eq!(ran.code(), 0, "{}", ran.stderr);
        assert_eq!(most_slots(&ran), 3, "{}", ran.stdout);
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_bad_j_is_one_line_naming_it() {
    let ran = run(&["-j", "nope", "true"]);
    let gnu = parallel(&["-j", "nope", "true"]);
    assert_eq!((ran.code(), gnu.code()), (255, 255));
    assert_eq!(
        ran.stderr,
        "fanout: -j needs N, N%, +N, -N, 0 or a file holding one of them, not \"nope\"\n"
    );
}
