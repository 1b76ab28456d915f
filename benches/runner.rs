//! Scenario runner benchmark: the built-in conformance suite against the
//! reference integration (target < 5 s on 2 cores), and the runner's own
//! overhead per step on no-op and plain steps (target < 1 ms).
//!
//! `cargo bench --bench runner` (builds the reference integration first).

use kommo_sandbox::scenario::load::load;
use kommo_sandbox::scenario::model::Command;
use kommo_sandbox::scenario::runner::{self, Options};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `cargo bench` passes `--bench`; `cargo test --all-targets` runs this in
/// test mode, where it stays quick and uses the debug build of the example.
fn quick() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

fn build_reference(root: &Path) -> PathBuf {
    let profile = if quick() { "debug" } else { "release" };
    let path = root.join(format!("target/{profile}/examples/reference_integration"));
    if quick() && path.exists() {
        return path;
    }
    let mut args = vec!["build", "--quiet", "--example", "reference_integration"];
    if !quick() {
        args.push("--release");
    }
    let status = std::process::Command::new(env!("CARGO"))
        .args(&args)
        .current_dir(root)
        .status()
        .expect("cargo build");
    assert!(status.success());
    path
}

/// A scenario of `steps()` copies of one step, written to a temp dir.
fn repeated(dir: &Path, name: &str, step: &str) -> PathBuf {
    let mut text =
        format!("name: {name}\nsnapshot: false\nrules: {{forged_webhook: false}}\nsteps:\n");
    for _ in 0..steps() {
        text.push_str(step);
    }
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn steps() -> usize {
    if quick() {
        200
    } else {
        2000
    }
}

async fn per_step(shared: &runner::Shared, path: &Path) -> f64 {
    let loaded = load(path).unwrap();
    let started = Instant::now();
    let results = runner::run_loaded(shared, std::slice::from_ref(&loaded)).await;
    let elapsed = started.elapsed().as_secs_f64();
    assert!(results[0].passed, "{}", results[0].problems());
    elapsed * 1000.0 / steps() as f64
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(&root).unwrap();
    let reference = build_reference(&root);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let options = Options { jobs: 8, command: Some(Command::Argv(vec![reference.display().to_string()])), snapshots: true, ..Options::default() };
        for round in 1..=if quick() { 1 } else { 3 } {
            let started = Instant::now();
            let summary = runner::run(&[root.join("scenarios/conformance")], options.clone()).await.unwrap();
            let secs = started.elapsed().as_secs_f64();
            let steps: usize = summary.results.iter().map(|r| r.steps.len()).sum();
            println!("conformance suite, round {round}: {} scenarios, {steps} steps, {} passed, {secs:.3} s", summary.results.len(), summary.passed());
            for r in summary.results.iter().filter(|r| !r.passed) {
                println!("  FAIL {}\n{}", r.name, r.problems());
            }
        }

        let dir = tempfile::tempdir().unwrap();
        let shared = runner::start_shared(Options { snapshots: false, ..Options::default() }).await.unwrap();
        let cases = [
            ("noop_set", "  - set: {x: 1}\n"),
            ("noop_log", "  - log: step ${counter}\n"),
            ("expect_journal", "  - expect: {journal: {method: POST}, absent: true, timeout: 0}\n"),
            ("http_health", "  - http: {url: \"${sandbox_url}/_sandbox/health\"}\n"),
        ];
        for (name, step) in cases {
            let ms = per_step(&shared, &repeated(dir.path(), name, step)).await;
            println!("per-step time, {name:<15}: {:.4} ms ({} steps)", ms, steps());
        }
    });
}
