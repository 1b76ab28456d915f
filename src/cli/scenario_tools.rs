//! `schema`, `new`, `review` and `accept`: the small scenario commands.

use kommo_sandbox::scenario::{scaffold, schema_json, snapshot};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// Print the JSON Schema of scenario files (for `# yaml-language-server: $schema=`).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  kommo-sandbox schema > scenario.schema.json\n  # then, first line of a scenario file:\n  # yaml-language-server: $schema=./scenario.schema.json"
)]
pub struct SchemaArgs {}

pub fn schema(_: SchemaArgs) -> Result<(), String> {
    print!("{}", schema_json());
    Ok(())
}

/// Write a new scenario skeleton.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  kommo-sandbox new order_status   # writes scenarios/order_status.yaml"
)]
pub struct NewArgs {
    /// Scenario name (file name without extension), or a path ending in .yaml.
    name: String,
    /// Directory for the file.
    #[arg(long, default_value = "scenarios")]
    dir: PathBuf,
}

pub fn new(args: NewArgs) -> Result<(), String> {
    let path = if args.name.ends_with(".yaml") || args.name.ends_with(".yml") {
        PathBuf::from(&args.name)
    } else {
        args.dir.join(format!("{}.yaml", args.name))
    };
    if path.exists() {
        return Err(format!("{} exists; pick another name", path.display()));
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let depth = path.parent().map(|p| p.components().count()).unwrap_or(0);
    let schema = format!("{}docs/scenario.schema.json", "../".repeat(depth));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(&path, scaffold(&name, &schema))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!(
        "wrote {}; run it with `kommo-sandbox run {}`",
        path.display(),
        path.display()
    );
    Ok(())
}

/// Review pending snapshots (`.snap.new`) one by one.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  kommo-sandbox review\n  kommo-sandbox review scenarios/conformance"
)]
pub struct ReviewArgs {
    /// Where to look (default: scenarios/).
    paths: Vec<PathBuf>,
}

fn roots(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        paths
    }
}

pub fn review(args: ReviewArgs) -> Result<(), String> {
    let pending = snapshot::pending_under(&roots(args.paths));
    if pending.is_empty() {
        println!("no pending snapshots");
        return Ok(());
    }
    let stdin = std::io::stdin();
    for p in pending {
        show(&p)?;
        print!("[a]ccept, [r]eject, [s]kip? ");
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        stdin
            .lock()
            .read_line(&mut answer)
            .map_err(|e| e.to_string())?;
        match answer.trim() {
            "a" | "accept" => println!(
                "accepted {}",
                snapshot::accept(&p).map_err(|e| e.to_string())?.display()
            ),
            "r" | "reject" => {
                std::fs::remove_file(&p).map_err(|e| e.to_string())?;
                println!("rejected");
            }
            _ => println!("skipped"),
        }
    }
    Ok(())
}

fn show(p: &Path) -> Result<(), String> {
    let new = std::fs::read_to_string(p).map_err(|e| e.to_string())?;
    let old_path = PathBuf::from(p.to_string_lossy().trim_end_matches(".new"));
    let old = std::fs::read_to_string(&old_path)
        .map(|t| snapshot::body_of(&t))
        .unwrap_or_default();
    println!("── {} ──", old_path.display());
    print!("{}", snapshot::unified(&old, &snapshot::body_of(&new)));
    Ok(())
}

/// Accept every pending snapshot.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  kommo-sandbox accept\n  kommo-sandbox accept scenarios/examples"
)]
pub struct AcceptArgs {
    /// Where to look (default: scenarios/).
    paths: Vec<PathBuf>,
}

pub fn accept(args: AcceptArgs) -> Result<(), String> {
    let pending = snapshot::pending_under(&roots(args.paths));
    for p in &pending {
        println!(
            "accepted {}",
            snapshot::accept(p).map_err(|e| e.to_string())?.display()
        );
    }
    println!("{} snapshot(s) accepted", pending.len());
    Ok(())
}
