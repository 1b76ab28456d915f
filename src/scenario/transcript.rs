//! The transcript of a scenario: what the runner did, what the integration
//! sent to amojo, the hooks it got, what reached the stubs, and the rule
//! verdicts; normalised so that ids, times and ports are stable across runs.

use super::rules::{Outcome, Verdict};
use regex::Regex;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

pub struct Parts<'a> {
    pub steps: &'a [Value],
    pub journal: &'a [Value],
    pub webhooks: Option<&'a [Value]>,
    pub stubs: &'a [Value],
    pub forged: Option<&'a Result<u16, String>>,
    pub rules: &'a [Verdict],
}

pub fn build(p: &Parts) -> Value {
    let request = |e: &Value| json!({"request": format!("{} {}", e["method"].as_str().unwrap_or(""), e["path"].as_str().unwrap_or("")), "body": e["body"], "status": e["status"], "response": e["response"], "signature": e["signature"]});
    // Delivery statuses are reported asynchronously, racing the integration's
    // other calls; listing them apart keeps the transcript in one order.
    let is_status = |e: &&Value| {
        e["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("/delivery_status"))
    };
    let amojo: Vec<Value> = p
        .journal
        .iter()
        .filter(|e| !is_status(e))
        .map(request)
        .collect();
    let statuses: Vec<Value> = p.journal.iter().filter(is_status).map(request).collect();
    let hooks: Option<Vec<Value>> = p.webhooks.map(|w| w.iter().map(|h| json!({"hook": h["hook"], "body": h["body"], "status": h["status"], "error": h["error"]})).collect());
    let stubs: Vec<Value> = p.stubs.iter().map(|s| json!({"stub": s["stub"], "request": format!("{} {}", s["method"].as_str().unwrap_or(""), s["path"].as_str().unwrap_or("")), "body": s["body"]})).collect();
    let rules: Map<String, Value> = p
        .rules
        .iter()
        .map(|v| (v.id.to_string(), Value::from(outcome_word(&v.outcome))))
        .collect();
    let forged = match p.forged {
        None => Value::Null,
        Some(Ok(s)) => json!(s),
        Some(Err(e)) => json!(e),
    };
    normalise(
        &json!({"steps": p.steps, "amojo": amojo, "delivery_statuses": statuses, "webhooks": hooks, "stubs": stubs, "forged_webhook": forged, "rules": rules}),
    )
}

pub fn outcome_word(o: &Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Fail(_) => "FAIL",
        Outcome::NotApplicable => "n/a",
    }
}

/// Renders the transcript as the snapshot body (YAML, stable key order).
pub fn render(v: &Value) -> String {
    serde_yaml::to_string(v).unwrap_or_else(|e| format!("unrenderable transcript: {e}"))
}

fn patterns() -> &'static [(Regex, &'static str)] {
    static P: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    P.get_or_init(|| {
        [
            (
                r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                "uuid",
            ),
            (r"\b[0-9a-f]{40}\b", "hex40"),
            (r"\b[0-9a-f]{32}\b", "md5"),
            (
                r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}",
                "date",
            ),
            (
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?",
                "date",
            ),
            (r"127\.0\.0\.1:\d+", "host"),
            (r"\b1\d{9}(\d{3})?\b", "time"),
        ]
        .into_iter()
        .map(|(re, name)| (Regex::new(re).expect("static regex"), name))
        .collect()
    })
}

/// Replaces volatile values by placeholders numbered in order of first appearance.
pub fn normalise(v: &Value) -> Value {
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    walk(v, None, &mut seen)
}

fn placeholder(kind: &str, value: &str, seen: &mut HashMap<(String, String), usize>) -> String {
    if kind == "time" || kind == "date" || kind == "host" {
        return format!("[{kind}]");
    }
    let n = seen.iter().filter(|((k, _), _)| k == kind).count() + 1;
    let id = *seen
        .entry((kind.to_string(), value.to_string()))
        .or_insert(n);
    format!("[{kind}-{id}]")
}

fn text(s: &str, seen: &mut HashMap<(String, String), usize>) -> String {
    let mut out = s.to_string();
    for (re, kind) in patterns() {
        if !re.is_match(&out) {
            continue;
        }
        let mut result = String::new();
        let mut last = 0;
        for m in re.find_iter(&out) {
            result.push_str(&out[last..m.start()]);
            result.push_str(&placeholder(kind, m.as_str(), seen));
            last = m.end();
        }
        result.push_str(&out[last..]);
        out = result;
    }
    out
}

fn walk(v: &Value, key: Option<&str>, seen: &mut HashMap<(String, String), usize>) -> Value {
    match v {
        Value::String(s) => Value::String(text(s, seen)),
        Value::Number(n) => match (n.as_i64(), key) {
            (Some(i), _)
                if (1_000_000_000..10_000_000_000).contains(&i)
                    || (1_000_000_000_000..10_000_000_000_000).contains(&i) =>
            {
                json!("[time]")
            }
            (Some(i), Some(k)) if (k == "id" || k.ends_with("_id")) && i > 1000 => {
                json!(placeholder("id", &i.to_string(), seen))
            }
            _ => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(|x| walk(x, key, seen)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), walk(x, Some(k), seen)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_placeholders_in_order() {
        let v = json!({
            "a": "5d0c1a7e-2f3b-4c4d-9e5f-60718293a4b5",
            "b": ["11112222-3333-4444-8555-666677778888", "see 5d0c1a7e-2f3b-4c4d-9e5f-60718293a4b5"],
            "time": 1700000400, "msec": 1700000400123u64, "n": 3,
            "lead_id": 30000123, "url": "http://127.0.0.1:45123/hook",
            "date": "Thu, 16 Dec 2021 13:15:29 +0000"
        });
        let n = normalise(&v);
        assert_eq!(n["a"], "[uuid-1]");
        assert_eq!(n["b"], json!(["[uuid-2]", "see [uuid-1]"]));
        assert_eq!(n["time"], "[time]");
        assert_eq!(n["msec"], "[time]");
        assert_eq!(n["n"], 3);
        assert_eq!(n["lead_id"], "[id-1]");
        assert_eq!(n["url"], "http://[host]/hook");
        assert_eq!(n["date"], "[date]");
    }
}
