//! Benchmark: parse + check of the AGC analysis (`analyses/ttbar/ttbar.ana`) with its input
//! schema and its processes already in memory — the front end's own cost, without opening files.
//! The schema is the one of the shipped toy fileset (`analyses/ttbar/toy/`, the AGC's NanoAOD
//! branch set) and the processes those of `analyses/ttbar/toy.yaml`.
//!
//! Usage: `cargo bench --bench check_agc [-- REPS [FILE]]` (default 100 repetitions; FILE: a
//! NanoAOD file whose `Events` schema to check against instead of the toy's, e.g. the real
//! 947-branch `../shared/data/nanoAOD_2015_CMS_Open_Data_ttbar.root`). Prints the median, the
//! fastest and the slowest time of one parse + check. Not run by `cargo test`.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anac::diagnostics::{Severity, SourceFile};
use anac::sema::{SemaEnv, check_source};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let reps: usize = args.first().map(|a| a.parse()).transpose()?.unwrap_or(100);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ana = root.join("analyses/ttbar/ttbar.ana");
    let text = std::fs::read_to_string(&ana)?;
    let (samples, diags) = anac::io::samples::load(&root.join("analyses/ttbar/toy.yaml"))
        .map_err(|d| format!("{d:?}"))?;
    let samples = samples.ok_or_else(|| format!("toy.yaml: {diags:?}"))?;
    let processes = anac::check::process_infos(&samples);
    let first = args.get(1).map_or_else(
        || root.join("analyses/ttbar/toy/ttbar__nominal__0000.root"),
        std::path::PathBuf::from,
    );
    let (_file, dataset) = anac::io::dataset::open(&first, "Events")?;
    let schema = dataset.schema();
    let env = SemaEnv {
        schema: Some(&schema),
        processes: Some(&processes),
        schema_processes: None,
    };
    let source: Arc<SourceFile> = SourceFile::new(ana.display().to_string(), text);
    // The analysis must check clean, or the figure means nothing.
    let (checked, diags) = check_source(&source, &env);
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if checked.is_none() || errors > 0 {
        return Err(format!("ttbar.ana does not check clean: {errors} errors").into());
    }
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        let (checked, diags) = check_source(&source, &env);
        std::hint::black_box((checked, diags));
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "parse + check of ttbar.ana ({} bytes, {} branches in the schema): median {:.3} ms, \
         fastest {:.3} ms, slowest {:.3} ms over {reps} runs",
        source.text.len(),
        schema.branches.len()
            + schema
                .collections
                .iter()
                .map(|c| c.fields.len())
                .sum::<usize>(),
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
    Ok(())
}
