//! `anac check FILE.ana [--samples FILE.yaml] [--format human|json] [--deny-warnings]`:
//! runs `crate::check` and renders its diagnostics.
//!
//! Exit codes: 0 clean (warnings allowed), 1 errors (or warnings with `--deny-warnings`),
//! 2 when the analysis or samples file cannot be read. Human output goes to stderr (miette plus a
//! summary line); JSON goes to stdout, one document, for editors and CI.

use crate::check::{Options, RootOpener, check_path};
use crate::diagnostics::{Diagnostic, render_human_list, render_json};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The analysis file (`.ana`).
    pub file: PathBuf,
    /// Samples YAML to check against, instead of the one the analysis names (a relative path is
    /// relative to the current directory).
    #[arg(long, value_name = "FILE.yaml", long_help = super::SAMPLES_HELP)]
    pub samples: Option<PathBuf>,
    /// Output format: `human` (stderr) or `json` (stdout).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub fn run(args: Args) -> ExitCode {
    let options = Options {
        samples: args.samples.clone(),
    };
    let (diags, fatal) = match check_path(&args.file, &options, &RootOpener) {
        Ok(diags) => (diags, false),
        Err(d) => (vec![*d], true),
    };
    emit(&args, &diags);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if fatal {
        ExitCode::from(super::EXIT_USAGE)
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(super::EXIT_ERRORS)
    } else {
        ExitCode::SUCCESS
    }
}

fn emit(args: &Args, diags: &[Diagnostic]) {
    match args.format {
        Format::Json => crate::outln!("{}", render_json(diags)),
        Format::Human => {
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            crate::err!("{}", render_human_list(diags, color));
            crate::errln!("{}", summary(diags, &args.file));
        }
    }
}

/// `check: 2 errors, 1 warning in analyses/ttbar/ttbar.ana`.
pub fn summary(diags: &[Diagnostic], file: &std::path::Path) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    format!(
        "check: {}, {} in {}",
        plural(errors, "error"),
        plural(warnings, "warning"),
        file.display()
    )
}
