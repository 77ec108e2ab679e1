//! `anac slurm FILE.ana [--samples Y] --store DIR [--units-per-task N] [--partition P ...]
//! [--submit]`: spreads an analysis over a Slurm job array. It opens (or creates) the store, takes
//! the units not yet committed there, groups them into tasks of N units in plan order and writes
//! into `DIR/slurm/`:
//!
//! - `tasks-G.txt` — line i: the comma-separated unit ids of array task i (G counts the
//!   submissions, so a running array never sees its task list change);
//! - `array-G.sh` — the array job: task `$SLURM_ARRAY_TASK_ID` runs `anac run --store DIR --units
//!   (its line)` with `$SLURM_CPUS_PER_TASK` threads; logs in `DIR/slurm/logs/`;
//! - `merge-G.sh` — `anac merge DIR -o RESULTS`, to run after the array with `afterany`, so it
//!   runs (and reports the missing units) even when tasks fail.
//!
//! With `--submit` both are submitted with `sbatch` (the merge depending on the array). Run again
//! after failures: only the units still missing are submitted.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::runtime::{self, PrepareError};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The analysis file (`.ana`).
    pub file: PathBuf,
    /// Samples YAML to run on, instead of the one the analysis names.
    #[arg(long, value_name = "FILE.yaml", long_help = super::SAMPLES_HELP)]
    pub samples: Option<PathBuf>,
    /// The store the tasks commit their units to (created if absent).
    #[arg(long, value_name = "DIR")]
    pub store: PathBuf,
    /// Work units per array task.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub units_per_task: u32,
    /// Threads (Slurm CPUs) per task.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub cpus_per_task: u32,
    /// Slurm partition (`#SBATCH --partition`).
    #[arg(long, value_name = "P")]
    pub partition: Option<String>,
    /// Time limit per task (`#SBATCH --time`, e.g. `2:00:00`).
    #[arg(long, value_name = "T")]
    pub time: Option<String>,
    /// Memory per task (`#SBATCH --mem`, e.g. `4G`).
    #[arg(long, value_name = "M")]
    pub mem: Option<String>,
    /// Account to charge (`#SBATCH --account`).
    #[arg(long, value_name = "A")]
    pub account: Option<String>,
    /// Any other `#SBATCH` option, e.g. `--sbatch=--qos=short` (repeatable).
    #[arg(long = "sbatch", value_name = "OPTION", allow_hyphen_values = true)]
    pub sbatch: Vec<String>,
    /// The results folder the merge job writes.
    #[arg(short, long, value_name = "DIR", default_value = "results")]
    pub output: PathBuf,
    /// Submit the array and the merge job with `sbatch` (otherwise print the commands).
    #[arg(long)]
    pub submit: bool,
    /// Empty a store made for another analysis or other inputs instead of refusing it.
    #[arg(long)]
    pub force_new: bool,
}

/// `s` as one word for bash.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// An absolute form of `p` (the jobs may start in another directory).
fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    })
}

pub fn run(args: Args) -> ExitCode {
    match generate(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.report(),
    }
}

fn generate(args: &Args) -> Result<(), super::Failure> {
    let p = match runtime::prepare(&args.file, args.samples.as_deref(), &Default::default()) {
        Ok(p) => p,
        Err(PrepareError::Input(d)) => {
            crate::err!("{}", crate::diagnostics::render_human_list(&d, false));
            return Err(super::Failure::input(
                "the analysis cannot run; nothing written",
            ));
        }
        Err(PrepareError::Io(d)) => {
            crate::err!("{}", crate::diagnostics::render_human(&d, false));
            return Err("nothing written".to_string().into());
        }
    };
    let id = runtime::store::identity(&p.plan, &p.units);
    let origin = runtime::store::Origin {
        analysis: args.file.clone(),
        samples: p.samples_path.clone(),
    };
    let store = runtime::store::Store::open(&args.store, &id, &p.units, &origin, args.force_new)?;
    let all = p.units.units.len();
    let pending: Vec<&str> = p
        .units
        .units
        .iter()
        .map(|u| u.id.as_str())
        .filter(|id| !store.has(id))
        .collect();
    let store_dir = absolute(&args.store);
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot tell where the anac executable is: {e}"))?;
    let (ana, samples) = (absolute(&args.file), absolute(&p.samples_path));
    let results = absolute(&args.output);
    let slurm = store_dir.join("slurm");
    let logs = slurm.join("logs");
    std::fs::create_dir_all(&logs)
        .map_err(|e| format!("cannot write `{}`: {e}", logs.display()))?;
    let generation = (1..)
        .find(|g| !slurm.join(format!("array-{g}.sh")).exists())
        .unwrap_or(1);
    let name = args
        .file
        .file_stem()
        .map_or("anac".to_string(), |s| s.to_string_lossy().to_string());
    let mut common = Vec::new();
    for (key, value) in [
        ("partition", &args.partition),
        ("time", &args.time),
        ("mem", &args.mem),
        ("account", &args.account),
    ] {
        if let Some(v) = value {
            common.push(format!("#SBATCH --{key}={v}"));
        }
    }
    common.extend(args.sbatch.iter().map(|o| format!("#SBATCH {o}")));
    let write = |file: &str, text: &str| -> Result<PathBuf, super::Failure> {
        let path = slurm.join(file);
        std::fs::write(&path, text)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        Ok(path)
    };
    let merge_script = format!(
        "#!/bin/bash\n# Written by `anac slurm`: merges store {store} once the array is over.\n\
         #SBATCH --job-name=anac-{name}-merge\n#SBATCH --output={logs}/merge-{generation}_%j.log\n\
         {common}exec {exe} merge {store_q} -o {results}\n",
        store = store_dir.display(),
        logs = logs.display(),
        common = lines(&common),
        exe = quote(&exe.to_string_lossy()),
        store_q = quote(&store_dir.to_string_lossy()),
        results = quote(&results.to_string_lossy()),
    );
    let merge = write(&format!("merge-{generation}.sh"), &merge_script)?;
    if pending.is_empty() {
        crate::errln!(
            "all {all} units are already in {}: nothing to run; `sbatch {}` (or `anac merge`) \
             writes the results",
            store_dir.display(),
            merge.display()
        );
        if args.submit {
            let m = sbatch(&[merge.as_os_str()])?;
            crate::outln!("submitted merge job {m}");
        }
        return Ok(());
    }
    let per = args.units_per_task as usize;
    let tasks: Vec<String> = pending.chunks(per).map(|c| c.join(",")).collect();
    let task_file = write(
        &format!("tasks-{generation}.txt"),
        &(tasks.join("\n") + "\n"),
    )?;
    let array_script = format!(
        "#!/bin/bash\n# Written by `anac slurm`: {n} units of {all} in {t} tasks; task i runs line \
         i + 1 of {tasks}.\n#SBATCH --job-name=anac-{name}\n#SBATCH --array=0-{last}\n\
         #SBATCH --cpus-per-task={cpus}\n#SBATCH --output={logs}/array-{generation}_%A_%a.log\n\
         {common}set -euo pipefail\n\
         units=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" {tasks_q})\n\
         exec {exe} run {ana} --samples {samples} --store {store} --units \"$units\" -q \
         -j \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\"\n",
        n = pending.len(),
        t = tasks.len(),
        tasks = task_file.display(),
        last = tasks.len() - 1,
        cpus = args.cpus_per_task,
        logs = logs.display(),
        common = lines(&common),
        tasks_q = quote(&task_file.to_string_lossy()),
        exe = quote(&exe.to_string_lossy()),
        ana = quote(&ana.to_string_lossy()),
        samples = quote(&samples.to_string_lossy()),
        store = quote(&store_dir.to_string_lossy()),
    );
    let array = write(&format!("array-{generation}.sh"), &array_script)?;
    crate::errln!(
        "{} of {all} units pending in {}: {} array tasks of up to {per} units; scripts in {}",
        pending.len(),
        store_dir.display(),
        tasks.len(),
        slurm.display()
    );
    if args.submit {
        let a = sbatch(&[array.as_os_str()])?;
        let dep = format!("--dependency=afterany:{a}");
        let m = sbatch(&[std::ffi::OsStr::new(&dep), merge.as_os_str()])?;
        crate::outln!(
            "submitted array job {a} ({} tasks) and merge job {m} (after it); `anac status {}` \
             shows the progress",
            tasks.len(),
            args.store.display()
        );
    } else {
        crate::outln!(
            "submit with:\n  a=$(sbatch --parsable {}) && sbatch --dependency=afterany:$a {}\n\
             or run `anac slurm ... --submit`",
            quote(&array.to_string_lossy()),
            quote(&merge.to_string_lossy())
        );
    }
    Ok(())
}

fn lines(v: &[String]) -> String {
    v.iter().map(|l| format!("{l}\n")).collect()
}

/// Runs `sbatch --parsable ARGS`; returns the job id.
fn sbatch(args: &[&std::ffi::OsStr]) -> Result<String, super::Failure> {
    let out = std::process::Command::new("sbatch")
        .arg("--parsable")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `sbatch` ({e}): is this a Slurm submit host?"))?;
    if !out.status.success() {
        return Err(format!(
            "sbatch failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // `--parsable` prints `JOBID` or `JOBID;CLUSTER`.
    let id = text.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("sbatch printed no job id: {:?}", text.trim()).into());
    }
    Ok(id)
}
