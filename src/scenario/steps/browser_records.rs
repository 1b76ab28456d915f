//! `sdk_call` and `notification`: wait until the sandbox recorded what the
//! pages did (JS SDK calls) or what they left in the notification centre.

use crate::scenario::context::Ctx;
use crate::scenario::matchers::{check, Mismatch};
use crate::scenario::model_browser::BrowserStep;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(20);

fn records(ctx: &Ctx<'_>, kind: &str) -> Vec<Value> {
    if kind == "sdk_call" {
        let calls = crate::browser::driver::sdk_calls(&ctx.shared.sandbox, &ctx.amojo_id, "");
        return calls
            .iter()
            .filter_map(|c| serde_json::to_value(c).ok())
            .collect();
    }
    let world = ctx.shared.sandbox.world();
    let notes = world
        .account(&ctx.amojo_id)
        .map(|a| a.notifications.clone())
        .unwrap_or_default();
    notes
        .iter()
        .filter_map(|n| serde_json::to_value(n).ok())
        .collect()
}

/// Returns the last matching record.
pub async fn wait(
    ctx: &mut Ctx<'_>,
    kind: &str,
    pattern: &Value,
    b: &BrowserStep,
) -> Result<(Value, Value), String> {
    let wanted = b.count.unwrap_or(1);
    let deadline = Instant::now() + Duration::from_millis(b.timeout_ms());
    loop {
        let all = records(ctx, kind);
        let hits: Vec<&Value> = all
            .iter()
            .filter(|r| check(Some(pattern), &b.paths, r).is_empty())
            .collect();
        if hits.len() >= wanted {
            let mut entry = json!({"browser": kind, "pattern": pattern, "matched": wanted});
            if !b.paths.is_empty() {
                entry["paths"] = json!(b.paths);
            }
            return Ok((hits[hits.len() - 1].clone(), entry));
        }
        if Instant::now() > deadline {
            return Err(near_miss(
                kind,
                pattern,
                &b.paths,
                &all,
                hits.len(),
                wanted,
                b.timeout_ms(),
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

fn near_miss(
    kind: &str,
    pattern: &Value,
    paths: &BTreeMap<String, Value>,
    all: &[Value],
    seen: usize,
    wanted: usize,
    timeout_ms: u64,
) -> String {
    let mut msg = format!("timed out after {timeout_ms} ms waiting for {wanted} {kind} record(s)\n  expected: {pattern}");
    if !paths.is_empty() {
        msg.push_str(&format!(" with {}", json!(paths)));
    }
    msg.push_str(&format!(
        "\n  saw: {seen} matching of {} recorded",
        all.len()
    ));
    let scored: Vec<(Vec<Mismatch>, &Value)> = all
        .iter()
        .map(|r| (check(Some(pattern), paths, r), r))
        .filter(|(m, _)| !m.is_empty())
        .collect();
    if let Some((mismatches, record)) = scored.iter().min_by_key(|(m, _)| m.len()) {
        msg.push_str(&format!("\n  closest: {}", summary(kind, record)));
        for m in mismatches.iter().take(6) {
            msg.push_str(&format!("\n    {m}"));
        }
    }
    if kind == "sdk_call" && !all.is_empty() {
        let methods: Vec<&str> = all.iter().filter_map(|r| r["method"].as_str()).collect();
        msg.push_str(&format!("\n  methods recorded: {}", methods.join(", ")));
    }
    msg
}

fn summary(kind: &str, r: &Value) -> String {
    match kind {
        "sdk_call" => format!(
            "{} {} (from {})",
            r["method"].as_str().unwrap_or("?"),
            r["args"],
            r["page"].as_str().unwrap_or("?")
        ),
        _ => format!(
            "{} notification {:?}",
            r["kind"].as_str().unwrap_or("?"),
            r["text"].as_str().unwrap_or("")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_miss_shows_the_closest_call() {
        let all = vec![
            json!({"seq": 1, "method": "APP.notifications.add_call", "args": [{"from": "+1"}], "page": "widget-host:w"}),
            json!({"seq": 2, "method": "widget.render", "args": [], "page": "widget-host:w"}),
        ];
        let m = near_miss(
            "sdk_call",
            &json!({"method": "APP.notifications.add_call", "args": [{"from": "+2"}]}),
            &BTreeMap::new(),
            &all,
            0,
            1,
            100,
        );
        assert!(
            m.contains(
                r#"expected: {"method":"APP.notifications.add_call","args":[{"from":"+2"}]}"#
            ),
            "{m}"
        );
        assert!(m.contains("saw: 0 matching of 2 recorded"), "{m}");
        assert!(m.contains("closest: APP.notifications.add_call"), "{m}");
        assert!(
            m.contains(".args[0].from: expected \"+2\", saw \"+1\""),
            "{m}"
        );
        assert!(
            m.contains("methods recorded: APP.notifications.add_call, widget.render"),
            "{m}"
        );
    }
}
