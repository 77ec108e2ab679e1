//! `anac plan FILE.ana [--samples Y] [-o plan.json]`: checks the analysis, opens its inputs and
//! lists the work units (ids, samples, files, entry ranges, events) that `anac run --units`
//! runs and `anac merge` combines.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::runtime::{self, PrepareError};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The analysis file (`.ana`).
    pub file: PathBuf,
    /// Samples YAML to plan with, instead of the one the analysis names.
    #[arg(long, value_name = "FILE.yaml", long_help = super::SAMPLES_HELP)]
    pub samples: Option<PathBuf>,
    /// Where to write the plan (default: standard output).
    #[arg(short, long, value_name = "plan.json")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    let p = match runtime::prepare(&args.file, args.samples.as_deref(), &Default::default()) {
        Ok(p) => p,
        Err(PrepareError::Input(d)) => {
            crate::err!("{}", crate::diagnostics::render_human_list(&d, false));
            return ExitCode::from(super::EXIT_ERRORS);
        }
        Err(PrepareError::Io(d)) => {
            crate::err!("{}", crate::diagnostics::render_human(&d, false));
            return ExitCode::from(super::EXIT_USAGE);
        }
    };
    let rp = &p.units;
    let doc = serde_json::json!({
        "analysis": args.file.display().to_string(),
        "samples": p.samples_path.display().to_string(),
        "identity": runtime::store::identity(&p.plan, rp),
        "units": rp.units.iter().map(|u| {
            let job = &rp.jobs[u.job];
            let mut unit = serde_json::json!({
                "id": u.id,
                "process": job.process,
                "variation": job.variation,
                "file": job.files[u.file].path.display().to_string(),
                "entries": [u.range.start, u.range.end],
                "events": u.range.end - u.range.start,
            });
            // The friend trees the unit reads beside its file (samples with `friends` only).
            if !job.friends.is_empty() {
                unit["friends"] = job
                    .friends
                    .iter()
                    .zip(&job.files[u.file].friends)
                    .map(|(f, ff)| serde_json::json!({
                        "name": f.name,
                        "tree": f.tree,
                        "file": ff.path.display().to_string(),
                    }))
                    .collect();
            }
            unit
        }).collect::<Vec<_>>(),
    });
    let text = String::from_utf8_lossy(&crate::io::outputs::pretty(&doc)).to_string();
    match &args.output {
        None => crate::cli::out::stdout(&text),
        Some(path) => {
            if let Err(e) = std::fs::write(path, text) {
                crate::errln!("error: cannot write `{}`: {e}", path.display());
                return ExitCode::from(super::EXIT_USAGE);
            }
        }
    }
    ExitCode::SUCCESS
}
