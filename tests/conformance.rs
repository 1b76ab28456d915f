//! The built-in conformance suite: it passes against the reference
//! integration (snapshots included) and fails, against the broken one,
//! exactly the rules its four defects break.

use kommo_sandbox::scenario::model::Command;
use kommo_sandbox::scenario::runner::{self, Options};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Once;

/// Path of a built example; builds the examples once if they are missing
/// (`cargo test --test conformance` alone does not build them).
fn example(name: &str) -> PathBuf {
    static BUILD: Once = Once::new();
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(name);
    BUILD.call_once(|| {
        if !dir.join("reference_integration").exists() || !dir.join("broken_integration").exists() {
            let status = std::process::Command::new(env!("CARGO"))
                .args([
                    "build",
                    "--quiet",
                    "--example",
                    "reference_integration",
                    "--example",
                    "broken_integration",
                ])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("cargo build --examples");
            assert!(status.success());
        }
    });
    path
}

async fn run_suite(integration: &str, snapshots: bool) -> runner::Summary {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(&root).unwrap();
    let options = Options {
        jobs: 8,
        command: Some(Command::Argv(vec![example(integration)
            .display()
            .to_string()])),
        snapshots,
        ..Options::default()
    };
    runner::run(&[root.join("scenarios/conformance")], options)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_integration_passes_every_rule_and_snapshot() {
    let summary = run_suite("reference_integration", true).await;
    assert!(summary.load_errors.is_empty(), "{:?}", summary.load_errors);
    assert_eq!(summary.results.len(), 9);
    for r in &summary.results {
        assert!(r.passed, "{} failed:\n{}", r.name, r.problems());
        assert!(r.failed_rules().is_empty());
    }
    // Every rule is exercised by at least one scenario.
    let exercised: BTreeSet<&str> = summary
        .results
        .iter()
        .flat_map(|r| {
            r.rules
                .iter()
                .filter(|v| v.outcome == kommo_sandbox::scenario::rules::Outcome::Pass)
                .map(|v| v.id)
        })
        .collect();
    let all: BTreeSet<&str> = kommo_sandbox::scenario::rules::ids().collect();
    let missing: Vec<_> = all.difference(&exercised).collect();
    assert!(missing.is_empty(), "rules never exercised: {missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_integration_fails_exactly_its_defects() {
    let summary = run_suite("broken_integration", false).await;
    let forged = "webhook.forged_refused";
    let expected: BTreeMap<&str, Vec<&str>> = [
        ("connect", vec![forged]),
        ("incoming_message", vec!["messages.msgid_unique", forged]),
        ("outgoing_message", vec!["delivery.reported", forged]),
        ("delivery_failure", vec!["delivery.905_text", forged]),
        ("write_first", vec!["delivery.reported", forged]),
        ("history_import", vec!["messages.msgid_unique", forged]),
        ("file_message", vec![forged]),
        ("typing_reaction", vec![forged]),
        ("bot_and_history", vec![forged]),
    ]
    .into();
    for r in &summary.results {
        assert!(
            !r.passed,
            "{} passed against the broken integration",
            r.name
        );
        assert!(
            r.failure.is_none(),
            "{}: steps should pass, only rules fail: {:?}",
            r.name,
            r.failure
        );
        let mut got = r.failed_rules();
        got.sort();
        let mut want = expected[r.name.as_str()].clone();
        want.sort();
        assert_eq!(got, want, "{}", r.name);
    }
    assert_eq!(summary.results.len(), expected.len());
}
