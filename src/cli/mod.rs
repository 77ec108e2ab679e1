//! Subcommands, one file each. They parse nothing themselves beyond their arguments: each calls
//! into the library and maps the outcome to an exit code (0 ok, 1 errors in the input, 2 usage or
//! I/O problems).

pub mod check;
pub mod explain;
pub mod generate;
pub mod inspect;
pub mod ir;
pub mod merge;
pub mod out;
pub mod plan;
pub mod plot;
pub mod run;
pub mod slurm;
pub mod status;
mod summary;
pub mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code for problems found in the user's analysis or data.
pub const EXIT_ERRORS: u8 = 1;
/// Exit code for usage and I/O problems (a missing file, bad flags).
pub const EXIT_USAGE: u8 = 2;

/// The long help of every `--samples` flag: the forms a samples file takes and the
/// normalisation rule (the same words as docs/language.md, "Normalisation").
pub const SAMPLES_HELP: &str = "\
Samples file to use instead of the one the analysis names (a relative path is relative to the \
current directory; paths inside it are relative to it).

Forms:
  YAML        PROCESS: {VARIATION: {files: [PATH or {path, nevts, size_bytes}], xsec: PB,
              nevts_total: N, is_data: BOOL, tree: NAME, lumi_mask: GOLDEN.json}}
              (`nominal` is the nominal sample; every other variation is a sample variation)
  overlay     {fileset: FILESET.json, xsec: {PROCESS: PB}, data: [PROCESS]} where the fileset
              is the AGC's nanoaod_inputs.json form (PROCESS: {VARIATION: {files, nevts_total}})
              or coffea's form (DATASET: {files: {PATH: TREE}, metadata: {process, variation,
              xsec, is_data}})
  File lists take globs (one that matches nothing is an error).

Normalisation: `nevts` is the number of entries of the files processed for that sample, counted
from the files (a declared `nevts` or `nevts_total` is checked, never used in their place): with
--max-files N the first N files as listed, with --max-events N the first N events. `sumw` is the
sum of genEventSumw over the files' `Runs` trees (whole files); normalise a skimmed sample, or one
with negative weights, with `weight genWeight * xsec * lumi / sumw`. Data (`is_data: true`) has
weight 1 and no variations.";

/// A command's failure: its message and the exit code of the contract.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// Bad input: exit 1.
    pub fn input(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_ERRORS,
            message: message.into(),
        }
    }

    /// Printed as `error: ...`, with its exit code.
    pub fn report(self) -> ExitCode {
        crate::errln!("error: {}", self.message);
        ExitCode::from(self.code)
    }
}

/// Usage or I/O: exit 2.
impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure {
            code: EXIT_USAGE,
            message,
        }
    }
}

/// An unreadable JSON file is I/O (exit 2); one that is not JSON is bad input (exit 1).
impl From<crate::io::text::JsonError> for Failure {
    fn from(e: crate::io::text::JsonError) -> Failure {
        match e {
            crate::io::text::JsonError::Unreadable(m) => Failure::from(m),
            crate::io::text::JsonError::Invalid(m) => Failure::input(m),
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "anac",
    version,
    about = "Compile, check and run declarative particle-physics analyses"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an analysis against its samples and their files, without running it.
    Check(check::Args),
    /// Print the documentation of a diagnostic code (e.g. `anac explain sema::unknown-field`).
    Explain(explain::Args),
    /// Show a ROOT file's trees, branches and collections; `--scan` prints values.
    Inspect(inspect::Args),
    /// Run an analysis over its samples and write histograms, cutflows and event lists.
    Run(run::Args),
    /// Print an analysis' plan (IR) before and after the optimisation passes.
    Ir(ir::Args),
    /// Write the toy AGC-layout fileset the README's main command runs on.
    Generate(generate::Args),
    /// Compare a results folder with reference histograms in the AGC's format.
    Validate(validate::Args),
    /// Re-make the plots of a results folder.
    Plot(plot::Args),
    /// List the work units of an analysis (for `run --units` and `merge`).
    Plan(plan::Args),
    /// Write the results of a store whose units are done.
    Merge(merge::Args),
    /// What a store holds: units done and pending.
    Status(status::Args),
    /// Spread an analysis over a Slurm job array that fills a store, and merge it after.
    Slurm(slurm::Args),
}

pub fn run(cli: Cli) -> ExitCode {
    let code = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Run(args) => run::run(args),
        Command::Ir(args) => ir::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Status(args) => status::run(args),
        Command::Slurm(args) => slurm::run(args),
    };
    out::exit_code(code)
}
