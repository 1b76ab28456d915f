//! The scenario commands end to end: `schema` equals the committed schema,
//! `check` locates errors, `new` scaffolds a valid file, `run` prints the
//! closing line, writes reports, exits non-zero on failure and shows near-misses.

use std::path::Path;
use std::process::{Command, Output};

fn cli(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kommo-sandbox"))
        .args(args)
        .current_dir(dir)
        .env("CI", "true")
        .output()
        .expect("run kommo-sandbox")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_schema_is_current() {
    let out = cli(&["schema"], root());
    assert!(out.status.success());
    let committed = std::fs::read_to_string(root().join("docs/scenario.schema.json")).unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        committed,
        "run `kommo-sandbox schema > docs/scenario.schema.json`"
    );
}

#[test]
fn check_reports_every_error_with_location_and_hint() {
    let dir = tempfile::tempdir().unwrap();
    let bad =
        "name: bad\nsteps:\n  - acton: message\n  - expect:\n      jornal: {}\n  - log: ${nope}\n";
    std::fs::write(dir.path().join("bad.yaml"), bad).unwrap();
    let out = cli(&["check", "bad.yaml"], dir.path());
    let t = text(&out);
    assert!(!out.status.success());
    assert!(
        t.contains("bad.yaml:3:5: steps[0]: unknown field `acton`"),
        "{t}"
    );
    assert!(t.contains("did you mean `action`?"), "{t}");
    assert!(
        t.contains("bad.yaml:5:7:") && t.contains("did you mean `journal`?"),
        "{t}"
    );

    std::fs::write(
        dir.path().join("bad.yaml"),
        "steps:\n  - log: ${nope}\n  - log: ok\n    sleep: 1\n",
    )
    .unwrap();
    let t = text(&cli(&["check", "bad.yaml"], dir.path()));
    assert!(t.contains("bad.yaml:2:1: unknown variable ${nope}"), "{t}");
    assert!(
        t.contains("bad.yaml:3:1: a step does exactly one thing; found sleep and log"),
        "{t}"
    );
}

#[test]
fn every_shipped_scenario_checks() {
    let out = cli(&["check", "scenarios"], root());
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn new_scaffolds_a_valid_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(&["new", "order_status"], dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let written = std::fs::read_to_string(dir.path().join("scenarios/order_status.yaml")).unwrap();
    assert!(written.starts_with("# yaml-language-server: $schema=../docs/scenario.schema.json"));
    assert!(cli(&["check"], dir.path()).status.success());
    assert!(
        !cli(&["new", "order_status"], dir.path()).status.success(),
        "does not overwrite"
    );
}

const PASSING: &str = r#"
name: by_hand
steps:
  - chats_api:
      path: ${channel_id}/connect
      body: {account_id: "${account_id}", title: T, hook_api_version: v2}
    capture: {scope: $.scope_id}
  - set: {greeting: hello}
  - log: ${greeting} ${scope}
"#;

const FAILING: &str = r#"
name: waits_in_vain
steps:
  - chats_api:
      path: ${channel_id}/connect
      body: {account_id: "${account_id}", title: T, hook_api_version: v1}
  - expect:
      journal: {path: =~/connect$, body: {hook_api_version: v2}}
      timeout: 50ms
"#;

#[test]
fn run_reports_and_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("s")).unwrap();
    std::fs::write(dir.path().join("s/pass.yaml"), PASSING).unwrap();
    let out = cli(
        &[
            "run",
            "s",
            "--junit",
            "j.xml",
            "--json",
            "r.json",
            "--no-snapshots",
        ],
        dir.path(),
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l == "1 passed, 0 failed"),
        "{t}"
    );
    let junit = std::fs::read_to_string(dir.path().join("j.xml")).unwrap();
    assert!(
        junit.contains("<testcase name=\"by_hand\"") && junit.contains("rule.connect.v2"),
        "{junit}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(json["passed"], 1);

    std::fs::write(dir.path().join("s/fail.yaml"), FAILING).unwrap();
    let out = cli(
        &["run", "s", "--no-snapshots", "--filter", "waits"],
        dir.path(),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l == "0 passed, 1 failed"),
        "{t}"
    );
    assert!(
        t.contains("closest: POST /v2/origin/custom/")
            && t.contains(".body.hook_api_version: expected \"v2\", saw \"v1\""),
        "{t}"
    );
    assert!(t.contains("rule connect.v2"), "{t}");
}

#[test]
fn snapshots_follow_insta_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("s")).unwrap();
    std::fs::write(dir.path().join("s/pass.yaml"), PASSING).unwrap();
    let snap = dir.path().join("s/snapshots/by_hand.snap");
    // In CI a missing snapshot fails and nothing is written.
    let out = cli(&["run", "s"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(!snap.exists() && !dir.path().join("s/snapshots/by_hand.snap.new").exists());
    // Locally it becomes pending; `accept` moves it in place; then runs match.
    let local = Command::new(env!("CARGO_BIN_EXE_kommo-sandbox"))
        .args(["run", "s"])
        .current_dir(dir.path())
        .env("CI", "false")
        .output()
        .unwrap();
    assert_eq!(local.status.code(), Some(1));
    assert!(dir.path().join("s/snapshots/by_hand.snap.new").exists());
    assert!(cli(&["accept", "s"], dir.path()).status.success());
    let written = std::fs::read_to_string(&snap).unwrap();
    assert!(written.starts_with("---\nsource: "), "{written}");
    assert!(written.contains("expression: transcript\n---\n"));
    let again = cli(&["run", "s"], dir.path());
    assert!(again.status.success(), "{}", text(&again));
    // INSTA_FORCE_PASS lets a mismatch through.
    std::fs::write(&snap, written.replace("hello", "bonjour")).unwrap();
    assert_eq!(cli(&["run", "s"], dir.path()).status.code(), Some(1));
    let forced = Command::new(env!("CARGO_BIN_EXE_kommo-sandbox"))
        .args(["run", "s"])
        .current_dir(dir.path())
        .env("CI", "true")
        .env("INSTA_FORCE_PASS", "1")
        .output()
        .unwrap();
    assert!(forced.status.success());
}
