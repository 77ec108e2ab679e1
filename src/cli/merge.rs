//! `anac merge DIR -o OUT [--partial]`: writes the results of a store (`anac run --store DIR`,
//! possibly filled by many processes with `--units`) once its units are done; refuses while units
//! are missing, unless `--partial` (then the provenance says so). Nothing is computed: every
//! partial comes from the store, merged in plan order as a single run would.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The store folder.
    pub store: PathBuf,
    /// The results folder.
    #[arg(short, long, value_name = "DIR", default_value = "results")]
    pub output: PathBuf,
    /// Merge what is finished even if units are missing (said in provenance.json).
    #[arg(long)]
    pub partial: bool,
    /// Replace the output folder even if anac did not write it.
    #[arg(long)]
    pub force: bool,
    /// Also commit the merged histograms to this icechunk repository (made when missing): one
    /// Zarr group per histogram with `sumw` and `sumw2` arrays, the finished unit ids in the
    /// commit's metadata. Needs anac built with `--features icechunk`.
    #[arg(long, value_name = "REPO")]
    pub icechunk: Option<PathBuf>,
    #[arg(short, long)]
    pub quiet: bool,
}

/// Why `--icechunk` is refused by a build without the feature.
pub const NO_ICECHUNK: &str = "this anac was built without icechunk export: build it with \
     `cargo build --release --features icechunk`";

pub fn run(args: Args) -> ExitCode {
    if args.icechunk.is_some() && !cfg!(feature = "icechunk") {
        crate::errln!("error: {NO_ICECHUNK}");
        return ExitCode::from(super::EXIT_USAGE);
    }
    let desc = match crate::runtime::store::describe(&args.store) {
        Ok(v) => v,
        Err(e) => return super::Failure::from(e).report(),
    };
    let (Some(ana), Some(samples)) = (desc["analysis"].as_str(), desc["samples"].as_str()) else {
        crate::errln!(
            "error: `{}` does not name its analysis and samples",
            args.store.join("store.json").display()
        );
        return ExitCode::from(super::EXIT_USAGE);
    };
    super::run::run(super::run::Args {
        file: PathBuf::from(ana),
        samples: Some(PathBuf::from(samples)),
        output: args.output,
        jobs: None,
        chunk_size: 100_000,
        max_files: None,
        max_events: None,
        quiet: args.quiet,
        force: args.force,
        interpret: true,
        read_only: false,
        store: Some(args.store),
        force_new: false,
        batch: None,
        units: Vec::new(),
        merge_only: true,
        partial: args.partial,
        icechunk: args.icechunk,
    })
}
