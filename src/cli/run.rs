//! `kommo-sandbox run`: execute scenario files against a chat integration.

use kommo_sandbox::scenario::model::Command;
use kommo_sandbox::scenario::report::{closing_line, json_report, junit};
use kommo_sandbox::scenario::runner::{self, parse_shard, Options};
use std::path::PathBuf;

/// Run scenarios: each in its own sandbox account, conformance rules checked, transcripts snapshotted.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  kommo-sandbox run                                   # everything under scenarios/\n  kommo-sandbox run scenarios/conformance --command 'target/debug/examples/reference_integration'\n  kommo-sandbox run --filter write_first --jobs 8 --junit junit.xml\n  kommo-sandbox run --shard 2/4 --json report.json\n\nSnapshots follow insta: INSTA_UPDATE=auto|always|unseen|new|no|force, CI, INSTA_FORCE_PASS=1."
)]
pub struct Args {
    /// Scenario files or directories (default: scenarios/).
    paths: Vec<PathBuf>,
    /// Scenarios run at once.
    #[arg(long, short, default_value_t = 4)]
    jobs: usize,
    /// Only scenarios whose name, path or tags match this regex.
    #[arg(long)]
    filter: Option<String>,
    /// Run slice K of N (1-based), e.g. 2/4, for CI parallelism.
    #[arg(long)]
    shard: Option<String>,
    /// Start this command as the integration (overrides each scenario's `integration.command`).
    #[arg(long)]
    command: Option<String>,
    /// Use an integration already running at this URL.
    #[arg(long)]
    url: Option<String>,
    /// Write a JUnit XML report.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a JSON report.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Port of the sandbox the runner starts (default: any free one); fix it when
    /// the integration runs on its own (`--url`) and must know where amojo is.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Do not compare snapshots.
    #[arg(long)]
    no_snapshots: bool,
}

/// Screenshots of failing browser steps go beside the reports.
fn report_dir(args: &Args) -> Option<PathBuf> {
    let report = args.json.as_ref().or(args.junit.as_ref())?;
    Some(
        report
            .parent()
            .map(|p| p.to_path_buf())
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from(".")),
    )
}

pub fn run(args: Args) -> Result<(), String> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        args.paths.clone()
    };
    let options = Options {
        jobs: args.jobs,
        filter: args.filter.clone(),
        shard: args.shard.as_deref().map(parse_shard).transpose()?,
        command: args.command.clone().map(Command::Shell),
        url: args.url.clone(),
        snapshots: !args.no_snapshots,
        port: args.port,
        print: true,
        report_dir: report_dir(&args),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let summary = rt.block_on(runner::run(&paths, options))?;
    if let Some(path) = &args.junit {
        std::fs::write(path, junit(&summary.results, summary.seconds))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&json_report(&summary.results, summary.seconds))
            .unwrap_or_default();
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if summary.results.is_empty() && summary.load_errors.is_empty() {
        eprintln!("no scenarios selected under {} (files: .yaml, .yml, .json; fixtures/ and _files are skipped)", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    println!("{}", closing_line(summary.passed(), summary.failed()));
    rt.shutdown_background();
    if summary.failed() > 0 || (summary.results.is_empty() && summary.load_errors.is_empty()) {
        std::process::exit(1);
    }
    Ok(())
}
