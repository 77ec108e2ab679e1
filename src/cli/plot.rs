//! `anac plot DIR`: re-makes the plots of a results folder (`DIR/plots/*.png`, `*.svg`) from its
//! `histograms.json` and `provenance.json` (`crate::io::plots`).

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A results folder written by `anac run`.
    pub results: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let read = |name: &str| crate::io::text::read_json(&args.results.join(name));
    let (h, p) = match (read("histograms.json"), read("provenance.json")) {
        (Ok(h), Ok(p)) => (h, p),
        (Err(e), _) | (_, Err(e)) => return super::Failure::from(e).report(),
    };
    let files = crate::io::plots::make(&h, &p);
    for (name, bytes) in &files {
        let path = args.results.join(name);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, bytes));
        if let Err(e) = written {
            crate::errln!("error: cannot write `{}`: {e}", path.display());
            return ExitCode::from(super::EXIT_USAGE);
        }
    }
    crate::errln!(
        "wrote {} plot files to {}",
        files.len(),
        args.results.join("plots").display()
    );
    ExitCode::SUCCESS
}
