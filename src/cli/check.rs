//! `kommo-sandbox check`: validate scenario files without running them.

use kommo_sandbox::scenario::{load, runner};
use std::path::PathBuf;

/// Validate scenario files: every error with file, line, column and a hint.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  kommo-sandbox check\n  kommo-sandbox check scenarios/my_flow.yaml"
)]
pub struct Args {
    /// Files or directories (default: scenarios/).
    paths: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<(), String> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        args.paths
    };
    let files = runner::discover(&paths);
    if files.is_empty() {
        return Err(format!(
            "no scenario files under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut errors = 0;
    for f in &files {
        match load::load(f) {
            Ok(l) => println!("ok   {} ({} steps)", f.display(), l.scenario.steps.len()),
            Err(es) => {
                for e in &es {
                    eprintln!("{e}");
                }
                errors += es.len();
            }
        }
    }
    if errors > 0 {
        return Err(format!(
            "{errors} error(s) in {} file(s) checked",
            files.len()
        ));
    }
    Ok(())
}
