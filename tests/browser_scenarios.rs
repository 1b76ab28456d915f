//! Browser steps end to end: the three browser example scenarios through the
//! real runner with real Chromium, next to a scenario that fails on purpose
//! (its message names what was expected and seen, and it leaves a screenshot).
//! One run, so Chromium is launched once.

use kommo_sandbox::scenario::load::load;
use kommo_sandbox::scenario::report::ScenarioResult;
use kommo_sandbox::scenario::runner::{self, Options};
use std::path::{Path, PathBuf};

const EXAMPLES: [&str; 3] = ["voip_widget", "greeting_site", "web1on1_site"];

const FAILING: &str = r#"
name: greets_the_wrong_visitor
snapshot: false
steps:
  - http:
      url: ${sandbox_url}/_sandbox/accounts/${account_id}/online_chat/bot
      json: {welcome: "Hello, {{bot_params.username}}!"}
  - browser:
      open: {button: {bot_params: {username: Maria}, queue: [[runChatShow]]}}
  - name: the greeting names Bob
    browser:
      wait_for: {selector: .ksb-in .ksb-text, text: "Hello, Bob!"}
      timeout: 3s
"#;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/examples/{name}.yaml"))
}

fn run(paths: Vec<PathBuf>, report_dir: &Path) -> Vec<ScenarioResult> {
    let options = Options {
        jobs: 4,
        report_dir: Some(report_dir.to_path_buf()),
        ..Options::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let summary = rt.block_on(runner::run(&paths, options)).unwrap();
    assert!(summary.load_errors.is_empty(), "{:?}", summary.load_errors);
    summary.results
}

#[test]
fn browser_examples_pass_and_a_failing_step_shows_expected_seen_and_a_screenshot() {
    let dir = tempfile::tempdir().unwrap();
    let failing = dir.path().join("failing.yaml");
    std::fs::write(&failing, FAILING).unwrap();
    let mut paths: Vec<PathBuf> = EXAMPLES.iter().map(|n| example(n)).collect();
    paths.push(failing);
    let results = run(paths, dir.path());
    for name in EXAMPLES {
        let r = results
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("{name} did not run"));
        assert!(r.passed, "{name} failed:\n{}", r.problems());
    }
    let bad = results
        .iter()
        .find(|r| r.name == "greets_the_wrong_visitor")
        .unwrap();
    assert!(!bad.passed);
    let failure = bad.failure.clone().unwrap();
    assert!(
        failure.contains("step \"the greeting names Bob\""),
        "{failure}"
    );
    assert!(
        failure.contains(
            "expected: an element matching `.ksb-in .ksb-text` containing \"Hello, Bob!\""
        ),
        "{failure}"
    );
    assert!(
        failure.contains("saw: ") && failure.contains("Hello, Maria!"),
        "{failure}"
    );
    let shot = failure
        .lines()
        .find_map(|l| l.trim().strip_prefix("screenshot: "))
        .unwrap_or_else(|| panic!("no screenshot in {failure}"));
    assert!(
        shot.starts_with(&dir.path().join("screenshots").display().to_string()),
        "{shot}"
    );
    let png = std::fs::read(shot).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
}

#[test]
fn check_locates_a_bad_browser_step() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, "steps:\n  - log: ok\n  - browser: {click: '#a', press: Enter}\n  - browser:\n      open: {widget: {path: missing}}\n").unwrap();
    let errors: Vec<String> = load(&file)
        .unwrap_err()
        .iter()
        .map(|e| e.to_string())
        .collect();
    let f = file.display().to_string();
    assert!(
        errors.iter().any(|e| e.starts_with(&format!(
            "{f}:3:1: a browser step does exactly one thing; found click and press"
        ))),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(
            |e| e.starts_with(&format!("{f}:4:1: browser.open.widget.path:"))
                && e.contains("has no manifest.json")
        ),
        "{errors:?}"
    );
}
