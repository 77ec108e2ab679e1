//! `anac explain CODE`: print a diagnostic code's page; `anac explain --list` lists them all.

use crate::diagnostics::{Code, explain};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The code, with or without the `anac::` prefix.
    #[arg(required_unless_present_any = ["list", "builtins"])]
    pub code: Option<String>,
    /// List every documented code.
    #[arg(long)]
    pub list: bool,
    /// List the builtin functions with their signatures.
    #[arg(long)]
    pub builtins: bool,
}

pub fn run(args: Args) -> ExitCode {
    if args.builtins {
        let width = crate::sema::BUILTIN_SIGNATURES
            .iter()
            .map(|(s, _)| s.chars().count())
            .max()
            .unwrap_or(0);
        for (sig, what) in crate::sema::BUILTIN_SIGNATURES {
            crate::outln!("{sig:<width$}  {what}");
        }
        return ExitCode::SUCCESS;
    }
    if args.list {
        for code in Code::documented() {
            crate::outln!("{code}");
        }
        return ExitCode::SUCCESS;
    }
    let code = args.code.unwrap_or_default();
    match explain(&code) {
        Some(page) => {
            crate::cli::out::stdout(page);
            ExitCode::SUCCESS
        }
        None => {
            let known: Vec<&str> = Code::documented().collect();
            let suggestion = known
                .iter()
                .map(|k| (strsim::jaro_winkler(k, &code), *k))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, k)| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            crate::errln!(
                "error: no diagnostic code `{code}`{suggestion} (`anac explain --list` lists them)"
            );
            ExitCode::from(super::EXIT_USAGE)
        }
    }
}
