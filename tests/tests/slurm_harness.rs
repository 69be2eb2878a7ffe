//! The test Slurm cluster (`procpump_tests::slurm`) against the real
//! daemons: steps with and without an allocation (`salloc`, `sbatch`),
//! steps ended by `scancel`, and that dropping the cluster leaves nothing
//! behind. Each test starts a cluster of its own and ends with no step
//! left in `squeue --steps`.
//!
//! What `srun` does when its step is ended, as these tests pin it down
//! (Slurm 22.05):
//! * `scancel JOB`: the tasks get `SIGTERM` (`SIGKILL` `KillWait` seconds
//!   later); `slurmstepd` prints `*** STEP JOB.0 ON NODE CANCELLED AT
//!   TIME ***` on srun's stderr, srun prints `srun: error: NODE: task 0:
//!   Terminated` and exits with 143 (128 + `SIGTERM`).
//! * `scancel JOB.STEP`: the tasks get `SIGKILL` at once; the same
//!   `CANCELLED AT` line, then `task 0: Killed`, and exit status 137.
//! * a time limit (`srun --time=1`, not tested here: Slurm's limits are
//!   whole minutes, checked every 30 s): `*** STEP JOB.0 ON NODE CANCELLED
//!   AT TIME DUE TO TIME LIMIT ***`, `task 0: Terminated`, exit status
//!   143.

use procpump_tests::slurm::Slurm;
use procpump_tests::{alive, eventually, within};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// How long one client command, or a step to show up or go away, may
/// take.
const LIMIT: Duration = Duration::from_secs(20);

/// A `sleep` argument no other test uses, to tell the steps apart: 300
/// seconds and a unique fraction.
fn marker() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("300.{}{n:03}", std::process::id())
}

/// Runs `command` to its end (within [`LIMIT`]), its output captured.
fn output(mut command: Command, what: &str) -> Output {
    within(LIMIT, what, move || {
        command.output().expect("run a Slurm client")
    })
}

/// Everything about a finished command, and the daemons' logs, for a
/// failure.
fn describe(output: &Output, slurm: &Slurm) -> String {
    format!(
        "{}\nstdout: {:?}\nstderr: {:?}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        slurm.logs()
    )
}

/// Checks that no step is left in `squeue --steps`.
fn assert_no_step_left(slurm: &Slurm) {
    let mut steps = Vec::new();
    let none = eventually(LIMIT, || {
        steps = slurm.steps();
        steps.is_empty()
    });
    assert!(none, "steps left: {steps:?}\n{}", slurm.logs());
}

/// Whether a process runs `sleep MARKER` (srun gives the task the
/// program's whole path: `/usr/bin/sleep MARKER`).
fn sleep_running(marker: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        matches!(args.as_slice(), [program, arg, b""]
            if program.ends_with(b"sleep") && *arg == marker.as_bytes())
    })
}

/// Starts `srun -N1 -n1 sleep MARKER` and waits until its task runs (a
/// step listed by squeue may still be starting on the node); returns srun
/// and the step's id (`JOB.0`).
fn start_sleeping_step(slurm: &Slurm, marker: &str) -> (Child, String) {
    let mut srun = slurm.srun();
    srun.args(["-N1", "-n1", "--job-name", marker, "sleep", marker]);
    let child = srun
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut step = None;
    let running = eventually(LIMIT, || {
        if !sleep_running(marker) {
            return false;
        }
        let mut squeue = slurm.squeue();
        squeue.args(["--steps", "-h", "-o", "%i", "--name", marker]);
        let listed = output(squeue, "squeue --steps");
        let text = String::from_utf8_lossy(&listed.stdout).into_owned();
        step = text.split_whitespace().next().map(str::to_owned);
        step.is_some()
    });
    assert!(
        running,
        "the step sleep {marker} did not start\n{}",
        slurm.logs()
    );
    (child, step.unwrap())
}

/// Waits for a srun started by [`start_sleeping_step`]; if it has not
/// ended within [`LIMIT`], kills it and fails with what it printed.
fn wait_srun(mut child: Child, slurm: &Slurm) -> Output {
    let ended = eventually(LIMIT, || child.try_wait().unwrap().is_some());
    if !ended {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        ended,
        "srun did not end within {LIMIT:?} of scancel: {}",
        describe(&out, slurm)
    );
    out
}

#[test]
fn srun_runs_a_step_on_the_node() {
    let slurm = Slurm::start();
    let mut srun = slurm.srun();
    srun.args(["-N1", "-n1", "hostname"]);
    let out = output(srun, "srun hostname");
    assert!(out.status.success(), "{}", describe(&out, &slurm));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", slurm.node())
    );
    assert_no_step_left(&slurm);
}

/// Twenty steps, one after the other, of one allocation: each a separate
/// srun, as a tool that runs jobs as steps starts them. (Twenty jobs of
/// one step each, srun without salloc, work too, but each waits up to
/// 2 s for the previous job to complete: docs/BENCHMARKS.md.)
#[test]
fn twenty_steps_in_a_row() {
    let slurm = Slurm::start();
    let script = r#"for i in $(seq 0 19); do srun -N1 -n1 echo "$i" || exit; done"#;
    let mut salloc = slurm.salloc();
    salloc.args(["-N1", "-n1", "sh", "-c", script]);
    let out = output(salloc, "salloc with 20 steps");
    assert!(out.status.success(), "{}", describe(&out, &slurm));
    let expected: String = (0..20).map(|i| format!("{i}\n")).collect();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        expected,
        "{}",
        describe(&out, &slurm)
    );
    assert_no_step_left(&slurm);
}

#[test]
fn an_exclusive_step_runs_inside_salloc() {
    let slurm = Slurm::start();
    let script = r#"echo "job $SLURM_JOB_ID"
        for i in 1 2; do
            srun --exclusive -N1 -n1 sh -c 'echo "step $SLURM_JOB_ID.$SLURM_STEP_ID on $(hostname)"'
        done"#;
    let mut salloc = slurm.salloc();
    salloc.args(["-N1", "-n1", "sh", "-c", script]);
    let out = output(salloc, "salloc");
    assert!(out.status.success(), "{}", describe(&out, &slurm));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let job = stdout
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("job "))
        .unwrap_or_else(|| panic!("no job id: {}", describe(&out, &slurm)));
    let node = slurm.node();
    let expected = format!("job {job}\nstep {job}.0 on {node}\nstep {job}.1 on {node}\n");
    assert_eq!(stdout, expected, "{}", describe(&out, &slurm));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("salloc: Granted job allocation {job}")),
        "{stderr}"
    );
    assert_no_step_left(&slurm);
}

#[test]
fn sbatch_runs_a_script_whose_step_writes_the_output_file() {
    let slurm = Slurm::start();
    let out_file = slurm.dir().join("batch.out");
    let mut sbatch = slurm.sbatch();
    // Not `--wait`: sbatch polls the job's state every few seconds.
    sbatch
        .args(["--parsable", "-N1", "-n1", "-o"])
        .arg(&out_file)
        .args(["--wrap", "srun -N1 -n1 hostname; echo done"]);
    let out = output(sbatch, "sbatch");
    assert!(out.status.success(), "{}", describe(&out, &slurm));
    let job = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(job.parse::<u32>().is_ok(), "{}", describe(&out, &slurm));
    let finished = eventually(LIMIT, || !slurm.jobs().contains(&job));
    assert!(finished, "batch job {job} still queued\n{}", slurm.logs());
    let written = std::fs::read_to_string(&out_file).unwrap_or_default();
    assert_eq!(
        written,
        format!("{}\ndone\n", slurm.node()),
        "{}",
        slurm.logs()
    );
    assert_no_step_left(&slurm);
}

#[test]
fn scancel_of_the_job_terminates_its_step_and_says_so() {
    let slurm = Slurm::start();
    let marker = marker();
    let (srun, step) = start_sleeping_step(&slurm, &marker);
    let job = step.split('.').next().unwrap().to_owned();
    let mut scancel = slurm.scancel();
    scancel.arg(&job);
    let cancelled = output(scancel, "scancel JOB");
    assert!(
        cancelled.status.success(),
        "{}",
        describe(&cancelled, &slurm)
    );
    let out = wait_srun(srun, &slurm);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{}", describe(&out, &slurm));
    let banner = format!("*** STEP {step} ON {} CANCELLED AT ", slurm.node());
    assert!(stderr.contains(&banner), "{}", describe(&out, &slurm));
    assert!(
        stderr.contains(&format!(
            "srun: error: {}: task 0: Terminated",
            slurm.node()
        )),
        "{}",
        describe(&out, &slurm)
    );
    assert_no_step_left(&slurm);
}

#[test]
fn scancel_of_a_step_kills_it_and_says_so() {
    let slurm = Slurm::start();
    let marker = marker();
    let (srun, step) = start_sleeping_step(&slurm, &marker);
    let mut scancel = slurm.scancel();
    scancel.arg(&step);
    let cancelled = output(scancel, "scancel JOB.STEP");
    assert!(
        cancelled.status.success(),
        "{}",
        describe(&cancelled, &slurm)
    );
    let out = wait_srun(srun, &slurm);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(137), "{}", describe(&out, &slurm));
    let banner = format!("*** STEP {step} ON {} CANCELLED AT ", slurm.node());
    assert!(stderr.contains(&banner), "{}", describe(&out, &slurm));
    assert!(
        stderr.contains(&format!("srun: error: {}: task 0: Killed", slurm.node())),
        "{}",
        describe(&out, &slurm)
    );
    assert_no_step_left(&slurm);
}

#[test]
fn dropping_the_cluster_leaves_no_process_and_no_directory() {
    let slurm = Slurm::start();
    let marker = marker();
    let (mut srun, _step) = start_sleeping_step(&slurm, &marker);
    let daemons = slurm.pids();
    assert_eq!(daemons.len(), 3, "munged, slurmctld, slurmd: {daemons:?}");
    let processes = slurm.processes();
    for pid in &daemons {
        assert!(
            processes.contains(&(*pid as i32)),
            "{pid} not in {processes:?}"
        );
    }
    // The daemons, the step's slurmstepd, its sleep and srun at least.
    assert!(processes.len() >= 6, "{processes:?}");
    let dir = slurm.dir().to_owned();
    drop(slurm);
    // srun was among the cluster's processes: killed, if it had not
    // given up on its own.
    within(LIMIT, "srun after the cluster", move || {
        srun.wait().unwrap()
    });
    let left: Vec<i32> = processes.into_iter().filter(|&p| alive(p)).collect();
    assert!(left.is_empty(), "still running after drop: {left:?}");
    assert!(!dir.exists(), "{} is still there", dir.display());
}
