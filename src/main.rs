//! The `anac` command: parses arguments and hands each subcommand to `anac::cli`.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = anac::cli::Cli::parse();
    anac::cli::run(cli)
}
