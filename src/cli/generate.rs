//! `anac generate toy [-o DIR]`: writes the toy AGC-layout fileset (`crate::io::toy`) that lets
//! the AGC analysis run on a fresh clone: `DIR/toy/*.root` and `DIR/toy.yaml`.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to generate: `toy` (the only kind so far).
    #[arg(value_parser = ["toy"])]
    pub what: String,
    /// Folder for `toy.yaml` and the `toy/` files.
    #[arg(short, long, value_name = "DIR", default_value = "analyses/ttbar")]
    pub output: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    match crate::io::toy::write(&args.output) {
        Ok(n) => {
            crate::errln!(
                "wrote {n} toy files to {} and {}",
                args.output.join("toy").display(),
                args.output.join("toy.yaml").display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::errln!("error: {e}");
            ExitCode::from(super::EXIT_USAGE)
        }
    }
}
