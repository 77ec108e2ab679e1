//! `anac slurm --submit` on a real Slurm: a one-node cluster started by the test on localhost
//! (munged, `slurmctld -D`, `slurmd -D`, no systemd: `proctrack/linuxproc`, `task/none`, its own
//! ports and state folder), the AGC analysis on `../shared/data/agc-small` as a 4-task array plus
//! the merge job, compared byte for byte with a one-process run.
//!
//! Needs Debian's `slurmctld slurmd slurm-client munge` and root (slurmd runs jobs as their
//! user); `.ci/run` installs them. Outside CI the test skips, saying so, when they are missing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The daemons of the test cluster, stopped when dropped (also when the test fails).
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
    daemons: Vec<Child>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("scancel")
            .args(["--user", "root"])
            .env("SLURM_CONF", &self.conf)
            .status();
        for d in &mut self.daemons {
            let _ = d.kill();
            let _ = d.wait();
        }
    }
}

fn sh(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", cmd])
        .status()
        .is_ok_and(|s| s.success())
}

fn start_cluster(dir: &Path) -> Cluster {
    let host = String::from_utf8(Command::new("hostname").arg("-s").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    for sub in ["state", "spool", "log"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let d = dir.display();
    let conf = dir.join("slurm.conf");
    std::fs::write(
        &conf,
        format!(
            "ClusterName=anactest\nSlurmctldHost={host}\nSlurmctldPort=6917\nSlurmdPort=6918\n\
             SlurmUser=root\nSlurmdUser=root\nAuthType=auth/munge\n\
             ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n\
             SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\n\
             StateSaveLocation={d}/state\nSlurmdSpoolDir={d}/spool\n\
             SlurmctldPidFile={d}/slurmctld.pid\nSlurmdPidFile={d}/slurmd.pid\n\
             SlurmctldLogFile={d}/log/slurmctld.log\nSlurmdLogFile={d}/log/slurmd.log\n\
             JobCompType=jobcomp/none\nAccountingStorageType=accounting_storage/none\n\
             MpiDefault=none\nReturnToService=2\nSchedulerParameters=defer_batch\n\
             NodeName={host} CPUs={cpus} State=UNKNOWN\n\
             PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n"
        ),
    )
    .unwrap();
    // munged: one per machine; start it when it is not running.
    if !sh("pgrep -x munged >/dev/null") {
        assert!(
            sh("mkdir -p /run/munge && chown munge:munge /run/munge && \
                runuser -u munge -- munged"),
            "cannot start munged"
        );
    }
    let spawn = |exe: &str, name: &str| {
        let log = std::fs::File::create(dir.join("log").join(format!("{name}.out"))).unwrap();
        Command::new(exe)
            .args(["-D", "-f"])
            .arg(&conf)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {exe}: {e}"))
    };
    let mut cluster = Cluster {
        dir: dir.to_path_buf(),
        conf: conf.clone(),
        daemons: Vec::new(),
    };
    cluster.daemons.push(spawn("slurmctld", "slurmctld"));
    cluster.daemons.push(spawn("slurmd", "slurmd"));
    let t0 = Instant::now();
    loop {
        let o = Command::new("sinfo")
            .args(["-h", "-o", "%T"])
            .env("SLURM_CONF", &conf)
            .output();
        if o.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle") {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the test cluster did not come up: {}",
            std::fs::read_to_string(cluster.dir.join("log/slurmctld.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    cluster
}

fn anac(dir: &Path, conf: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_anac"))
        .args(args)
        .current_dir(dir)
        .env("SLURM_CONF", conf)
        .output()
        .expect("anac runs")
}

#[test]
fn a_slurm_array_and_its_merge_equal_one_process() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let tools = ["slurmctld", "slurmd", "sbatch", "squeue", "munged"];
    if !tools.iter().all(|t| have(t)) || !is_root() {
        assert!(
            !ci,
            "CI=true but Slurm ({}) or root is missing: .ci/run installs them",
            tools.join(", ")
        );
        eprintln!(
            "skipping: Slurm daemons or root not available (apt-get install slurmctld slurmd slurm-client munge)"
        );
        return;
    }
    let Some(data) = anac::testing::shared_data() else {
        return;
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("anac-slurm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let cluster = start_cluster(&dir.join("cluster"));
    let conf = cluster.conf.clone();
    let ana = repo.join("analyses/ttbar/ttbar_deterministic.ana");
    let samples = repo.join("analyses/ttbar/samples.yaml");
    assert!(data.join("agc-small").is_dir());
    let (ana, samples) = (ana.to_str().unwrap(), samples.to_str().unwrap());

    let one = anac(
        &dir,
        &conf,
        &["run", ana, "--samples", samples, "-q", "-o", "one"],
    );
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    let o = anac(
        &dir,
        &conf,
        &[
            "slurm",
            ana,
            "--samples",
            samples,
            "--store",
            "store",
            "--units-per-task",
            "3",
            "-o",
            "merged",
            "--submit",
        ],
    );
    let said = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(said.contains("(4 tasks)"), "{said}");
    // Wait for the array and the merge job to leave the queue.
    let t0 = Instant::now();
    loop {
        let q = Command::new("squeue")
            .args(["-h", "-o", "%i %T"])
            .env("SLURM_CONF", &conf)
            .output()
            .unwrap();
        if q.status.success() && q.stdout.is_empty() {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(300),
            "jobs still queued after 300 s: {}",
            String::from_utf8_lossy(&q.stdout)
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    let merged = dir.join("merged/histograms.json");
    assert!(
        merged.is_file(),
        "the merge job wrote no results; logs: {:?}",
        std::fs::read_dir(dir.join("store/slurm/logs"))
            .map(|r| r.flatten().map(|e| e.path()).collect::<Vec<_>>())
    );
    assert_eq!(
        std::fs::read(&merged).unwrap(),
        std::fs::read(dir.join("one/histograms.json")).unwrap(),
        "the Slurm results differ from one process"
    );
    // Every unit was run by an array task, recorded in the store's history.
    let history: Vec<String> = std::fs::read_dir(dir.join("store/history"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert_eq!(history.len(), 11, "one done marker per unit");
    let tasks: std::collections::BTreeSet<String> = history
        .iter()
        .map(|h| {
            let v: serde_json::Value = serde_json::from_str(h).unwrap();
            v["slurm_job"].as_str().unwrap_or("none").to_string()
        })
        .collect();
    assert_eq!(tasks.len(), 4, "{tasks:?}");
    let status = anac(&dir, &conf, &["status", "store"]);
    assert!(String::from_utf8_lossy(&status.stdout).contains("11 of 11 units done"));
    // A second `anac slurm` has nothing left to run.
    let again = anac(
        &dir,
        &conf,
        &["slurm", ana, "--samples", samples, "--store", "store"],
    );
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to run"));
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);
}
