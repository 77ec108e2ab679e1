//! `anac ir FILE.ana [--samples Y]`: prints the analysis' plan before and after the passes, and
//! the branches a run reads. Exit codes as `anac check`.

use std::io::Write;
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
    /// Also print the Cranelift IR (CLIF) of every native kernel.
    #[arg(long)]
    pub asm: bool,
}

pub fn run(args: Args) -> ExitCode {
    let p = match runtime::prepare(&args.file, args.samples.as_deref(), &Default::default()) {
        Ok(p) => p,
        Err(PrepareError::Input(diags)) => {
            for d in &diags {
                crate::err!("{}", crate::diagnostics::render_human(d, false));
            }
            return ExitCode::from(super::EXIT_ERRORS);
        }
        Err(PrepareError::Io(d)) => {
            crate::err!("{}", crate::diagnostics::render_human(&d, false));
            return ExitCode::from(super::EXIT_USAGE);
        }
    };
    // A friend's branch (`calib.X`) says which tree it is read from.
    let friends: Vec<(&str, &str)> = p
        .units
        .jobs
        .iter()
        .flat_map(|j| j.friends.iter().map(|f| (f.name.as_str(), f.tree.as_str())))
        .collect();
    let branches: Vec<String> = p
        .plan
        .branches()
        .into_iter()
        .map(|b| {
            let names: Vec<&str> = friends.iter().map(|(n, _)| *n).collect();
            match crate::io::schema::friend_branch(&names, &b) {
                Some((i, own)) => format!(
                    "{b}  (friend {}: `{own}` of tree {})",
                    friends[i].0, friends[i].1
                ),
                None => b,
            }
        })
        .collect();
    let text = format!(
        "== lowered (before passes) ==\n{}\n== optimized (after fold, prune, share) ==\n{}\n== branches to read ({}) ==\n{}\n== work units ({}) ==\n",
        p.lowered,
        p.plan,
        branches.len(),
        branches.join("\n"),
        p.units.units.len()
    );
    let mut text = text;
    if args.asm {
        // The whole-event kernels `anac run` uses; when the compiler does not cover the
        // analysis, the expression kernels the interpreter calls instead.
        match crate::codegen::event::compile(&p.plan, &crate::runtime::native::HOOKS, true) {
            Ok(k) => {
                text.push_str(&format!(
                    "== native kernels ({} functions, compiled in {:.1} ms) ==\n",
                    k.clif.len(),
                    k.compile_time.as_secs_f64() * 1e3
                ));
                for (name, f) in &k.clif {
                    text.push_str(&format!("; {name}\n{f}\n"));
                }
            }
            Err(why) => match crate::codegen::compile_with_clif(&p.plan) {
                Ok((k, clif)) => {
                    text.push_str(&format!(
                        "== native kernels: expression kernels only ({}, compiled in {:.1} ms); \
                         the whole-event compiler does not cover {why} yet ==\n",
                        clif.len(),
                        k.compile_time.as_secs_f64() * 1e3
                    ));
                    for (node, f) in clif {
                        text.push_str(&format!("; kernel for %{node}\n{f}\n"));
                    }
                }
                Err(e) => {
                    crate::errln!("error: internal error compiling kernels: {e}");
                    return ExitCode::from(super::EXIT_ERRORS);
                }
            },
        }
    }
    let mut out = std::io::stdout().lock();
    let mut write = || -> std::io::Result<()> {
        out.write_all(text.as_bytes())?;
        for u in &p.units.units {
            let j = &p.units.jobs[u.job];
            writeln!(
                out,
                "{} {}/{} {} entries {}..{}",
                u.id,
                j.process,
                j.variation,
                j.files[u.file].path.display(),
                u.range.start,
                u.range.end
            )?;
            for (friend, ff) in j.friends.iter().zip(&j.files[u.file].friends) {
                writeln!(
                    out,
                    "    friend {} (tree {}) {}",
                    friend.name,
                    friend.tree,
                    ff.path.display()
                )?;
            }
        }
        out.flush()
    };
    match write() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            crate::errln!("error: cannot write the plan: {e}");
            ExitCode::from(super::EXIT_USAGE)
        }
    }
}
