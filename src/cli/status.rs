//! `anac status DIR`: what a store holds — units done and pending (with their events), from
//! `store.json` and the committed unit files. Usable while runs are filling the store.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The store folder.
    pub store: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let desc = match crate::runtime::store::describe(&args.store) {
        Ok(v) => v,
        Err(e) => {
            crate::errln!("error: {e}");
            return ExitCode::from(super::EXIT_USAGE);
        }
    };
    let units = desc["units"].as_array().cloned().unwrap_or_default();
    let (mut done, mut events_done, mut events_all) = (0usize, 0u64, 0u64);
    let mut pending = Vec::new();
    for u in &units {
        let id = u["id"].as_str().unwrap_or("");
        let n = match (u["entries"][0].as_u64(), u["entries"][1].as_u64()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => 0,
        };
        events_all += n;
        if args
            .store
            .join("units")
            .join(format!("{id}.unit"))
            .is_file()
        {
            done += 1;
            events_done += n;
        } else {
            pending.push(format!(
                "  pending {id} {}/{} {} entries {}..{}",
                u["process"].as_str().unwrap_or("?"),
                u["variation"].as_str().unwrap_or("?"),
                u["file"].as_str().unwrap_or("?"),
                u["entries"][0],
                u["entries"][1]
            ));
        }
    }
    crate::outln!(
        "store {} (analysis {}, identity {}): {done} of {} units done, {events_done} of {events_all} events",
        args.store.display(),
        desc["analysis"].as_str().unwrap_or("?"),
        desc["identity"].as_str().unwrap_or("?"),
        units.len()
    );
    for p in pending {
        crate::outln!("{p}");
    }
    ExitCode::SUCCESS
}
