//! Results and their renderings: terminal lines, JUnit XML, JSON.

use super::load::Loaded;
use super::rules::{Outcome, Verdict};
use super::snapshot::{self, Policy};
use serde_json::{json, Value};
use std::fmt::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct StepResult {
    pub label: String,
    pub file: String,
    pub line: usize,
    pub ok: bool,
    pub ms: f64,
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ScenarioResult {
    pub name: String,
    pub path: PathBuf,
    pub passed: bool,
    pub seconds: f64,
    pub steps: Vec<StepResult>,
    pub rules: Vec<Verdict>,
    pub snapshot: Option<(PathBuf, snapshot::Outcome)>,
    /// A step or setup failure, with what was expected and seen.
    pub failure: Option<String>,
    /// Tail of the integration's output.
    pub output: String,
    pub transcript: Value,
}

impl ScenarioResult {
    pub fn new(l: &Loaded) -> ScenarioResult {
        ScenarioResult {
            name: l.name.clone(),
            path: l.path.clone(),
            passed: false,
            seconds: 0.0,
            steps: vec![],
            rules: vec![],
            snapshot: None,
            failure: None,
            output: String::new(),
            transcript: Value::Null,
        }
    }

    pub fn fail_setup(mut self, e: String, started: Instant) -> ScenarioResult {
        self.failure = Some(format!("setup: {e}"));
        self.seconds = started.elapsed().as_secs_f64();
        self
    }

    pub fn finish(mut self, started: Instant, policy: &Policy) -> ScenarioResult {
        let snapshot_ok = self.snapshot.as_ref().is_none_or(|(_, o)| o.passed(policy));
        self.passed =
            self.failure.is_none() && !self.rules.iter().any(Verdict::is_problem) && snapshot_ok;
        self.seconds = started.elapsed().as_secs_f64();
        self
    }

    /// Ids of the rules that failed (expected or not).
    pub fn failed_rules(&self) -> Vec<&'static str> {
        self.rules
            .iter()
            .filter(|v| v.failed())
            .map(|v| v.id)
            .collect()
    }

    /// Everything that went wrong, as text.
    pub fn problems(&self) -> String {
        let mut out = String::new();
        if let Some(f) = &self.failure {
            let _ = writeln!(out, "  {}", f.replace('\n', "\n  "));
        }
        for v in self.rules.iter().filter(|v| v.is_problem()) {
            match &v.outcome {
                Outcome::Fail(why) => {
                    let _ = writeln!(out, "  rule {} ({}) failed: {}", v.id, v.spec, v.title);
                    for w in why.iter().take(5) {
                        let _ = writeln!(out, "    - {w}");
                    }
                }
                _ => {
                    let _ = writeln!(out, "  rule {} was expected to fail but did not", v.id);
                }
            }
        }
        if let Some((
            path,
            snapshot::Outcome::Differs {
                diff,
                pending,
                missing,
            },
        )) = &self.snapshot
        {
            let what = if *missing { "is missing" } else { "differs" };
            let _ = writeln!(
                out,
                "  snapshot {} {what}{}",
                path.display(),
                pending
                    .as_ref()
                    .map(|p| format!("; new one in {}", p.display()))
                    .unwrap_or_default()
            );
            for l in diff.lines().take(60) {
                let _ = writeln!(out, "    {l}");
            }
            let _ = writeln!(
                out,
                "    review with `kommo-sandbox review` or `cargo insta review`"
            );
        }
        if !self.passed && !self.output.is_empty() {
            let _ = writeln!(out, "  integration output (tail):");
            for l in self
                .output
                .lines()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                let _ = writeln!(out, "    | {l}");
            }
        }
        out
    }
}

pub fn terminal(r: &ScenarioResult) -> String {
    let mark = if r.passed { "PASS" } else { "FAIL" };
    let rules = r
        .rules
        .iter()
        .filter(|v| v.outcome == Outcome::Pass)
        .count();
    let mut s = format!(
        "{mark} {} ({:.2}s, {} steps, {rules}/{} rules pass)\n",
        r.name,
        r.seconds,
        r.steps.len(),
        r.rules.len()
    );
    if !r.passed {
        s.push_str(&r.problems());
    }
    s
}

pub fn closing_line(passed: usize, failed: usize) -> String {
    format!("{passed} passed, {failed} failed")
}

fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: one testsuite, a testcase per scenario, rules as properties.
pub fn junit(results: &[ScenarioResult], seconds: f64) -> String {
    let failures = results.iter().filter(|r| !r.passed).count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites tests=\"{}\" failures=\"{failures}\" time=\"{seconds:.3}\">",
        results.len()
    );
    let _ = writeln!(s, "  <testsuite name=\"kommo-sandbox\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{seconds:.3}\">", results.len());
    for r in results {
        let _ = writeln!(
            s,
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{:.3}\">",
            xml(&r.name),
            xml(&r.path.display().to_string()),
            xml(&r.path.display().to_string()),
            r.seconds
        );
        s.push_str("      <properties>\n");
        for v in &r.rules {
            let _ = writeln!(
                s,
                "        <property name=\"rule.{}\" value=\"{}\"/>",
                v.id,
                super::transcript::outcome_word(&v.outcome)
            );
        }
        s.push_str("      </properties>\n");
        if !r.passed {
            let first = r
                .problems()
                .lines()
                .next()
                .unwrap_or("failed")
                .trim()
                .to_string();
            let _ = writeln!(
                s,
                "      <failure message=\"{}\">{}</failure>",
                xml(&first),
                xml(&r.problems())
            );
        }
        s.push_str("    </testcase>\n");
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

pub fn json_report(results: &[ScenarioResult], seconds: f64) -> Value {
    let passed = results.iter().filter(|r| r.passed).count();
    let scenarios: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({
                "name": r.name, "file": r.path.display().to_string(), "passed": r.passed, "seconds": r.seconds,
                "failure": r.failure,
                "steps": r.steps.iter().map(|s| json!({"step": s.label, "file": s.file, "line": s.line, "ok": s.ok, "ms": s.ms, "error": s.error})).collect::<Vec<_>>(),
                "rules": r.rules,
                "snapshot": r.snapshot.as_ref().map(|(p, o)| json!({"path": p.display().to_string(), "outcome": format!("{o:?}").split(['(', ' ', '{']).next().unwrap_or("").to_string()})),
            })
        })
        .collect();
    json!({"passed": passed, "failed": results.len() - passed, "seconds": seconds, "scenarios": scenarios})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, passed: bool, failure: Option<&str>) -> ScenarioResult {
        ScenarioResult {
            name: name.into(),
            path: PathBuf::from("s/x.yaml"),
            passed,
            seconds: 0.5,
            steps: vec![],
            rules: vec![],
            snapshot: None,
            failure: failure.map(str::to_string),
            output: String::new(),
            transcript: Value::Null,
        }
    }

    #[test]
    fn junit_counts_and_escapes() {
        let xml = junit(
            &[
                result("ok", true, None),
                result("a<b>", false, Some("expected \"v2\" & saw v1")),
            ],
            1.0,
        );
        assert!(xml.contains("tests=\"2\" failures=\"1\""));
        assert!(xml.contains("name=\"a&lt;b&gt;\""));
        assert!(xml.contains("expected &quot;v2&quot; &amp; saw v1"));
        assert_eq!(closing_line(1, 1), "1 passed, 1 failed");
        let j = json_report(&[result("ok", true, None)], 1.0);
        assert_eq!(
            (j["passed"].as_u64(), j["failed"].as_u64()),
            (Some(1), Some(0))
        );
    }
}
