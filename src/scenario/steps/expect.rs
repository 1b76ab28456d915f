//! `expect`: polls a source until enough records match the pattern, or fails
//! showing what was expected, what was seen, and the closest near-miss.

use crate::scenario::context::Ctx;
use crate::scenario::matchers::{check, Mismatch};
use crate::scenario::model::Expect;
use crate::scenario::sources;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const DEFAULT_TIMEOUT_MS: u64 = 5000;
const POLL: Duration = Duration::from_millis(10);

async fn fetch(ctx: &Ctx<'_>, kind: &str) -> Result<Vec<Value>, String> {
    match kind {
        "journal" => Ok(sources::journal(ctx)),
        "webhook" => sources::webhooks(ctx).await,
        "stub" => Ok(sources::stubs(ctx)),
        _ => sources::state(ctx).await,
    }
}

fn source(e: &Expect) -> (&'static str, Option<&Value>) {
    if e.journal.is_some() {
        ("journal", e.journal.as_ref())
    } else if e.webhook.is_some() {
        ("webhook", e.webhook.as_ref())
    } else if e.stub.is_some() {
        ("stub", e.stub.as_ref())
    } else {
        ("state", e.state.as_ref())
    }
}

/// Returns the last matching record (captures read from it).
pub async fn run(ctx: &mut Ctx<'_>, e: &Expect, label: &str) -> Result<Value, String> {
    let (kind, raw) = source(e);
    let pattern = match raw {
        Some(p) => Some(ctx.vars.value(p)?),
        None => None,
    };
    let mut paths = std::collections::BTreeMap::new();
    for (k, v) in &e.paths {
        paths.insert(ctx.vars.text(k)?, ctx.vars.value(v)?);
    }
    let pattern = pattern.filter(|p| !p.is_null());
    let wanted = e.count.unwrap_or(1);
    let deadline = Instant::now()
        + Duration::from_millis(e.timeout.map(|t| t.0).unwrap_or(DEFAULT_TIMEOUT_MS));
    loop {
        let records = fetch(ctx, kind).await?;
        let hits: Vec<&Value> = records
            .iter()
            .filter(|r| check(pattern.as_ref(), &paths, r).is_empty())
            .collect();
        let done = if e.absent {
            !hits.is_empty()
        } else {
            hits.len() >= wanted
        };
        if done || Instant::now() >= deadline {
            return conclude(
                ctx,
                e,
                kind,
                label,
                pattern.as_ref(),
                &paths,
                &records,
                &hits,
                wanted,
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

#[allow(clippy::too_many_arguments)]
fn conclude(
    ctx: &mut Ctx<'_>,
    e: &Expect,
    kind: &str,
    label: &str,
    pattern: Option<&Value>,
    paths: &std::collections::BTreeMap<String, Value>,
    records: &[Value],
    hits: &[&Value],
    wanted: usize,
) -> Result<Value, String> {
    let expected = json!({"pattern": pattern, "paths": paths});
    if e.absent {
        if let Some(hit) = hits.first() {
            return Err(format!(
                "{label}: expected no {kind} record like {expected}, but saw {}",
                sources::summary(kind, hit)
            ));
        }
        ctx.steps_log
            .push(json!({"expect": kind, "absent": true, "pattern": pattern}));
        return Ok(Value::Null);
    }
    if hits.len() >= wanted {
        let last = hits[hits.len() - 1].clone();
        let mut entry =
            json!({"expect": kind, "pattern": pattern, "matched": hits.len().min(wanted)});
        if !paths.is_empty() {
            entry["paths"] = json!(paths);
        }
        ctx.steps_log.push(entry);
        return Ok(last);
    }
    Err(near_miss(
        kind,
        label,
        &expected,
        records,
        hits.len(),
        wanted,
        pattern,
        paths,
    ))
}

#[allow(clippy::too_many_arguments)]
fn near_miss(
    kind: &str,
    label: &str,
    expected: &Value,
    records: &[Value],
    seen: usize,
    wanted: usize,
    pattern: Option<&Value>,
    paths: &std::collections::BTreeMap<String, Value>,
) -> String {
    let mut msg = format!("{label}: timed out waiting for {wanted} {kind} record(s) matching\n    {expected}\n  matched {seen} of {} record(s)", records.len());
    let scored: Vec<(Vec<Mismatch>, &Value)> = records
        .iter()
        .map(|r| (check(pattern, paths, r), r))
        .filter(|(m, _)| !m.is_empty())
        .collect();
    if let Some((mismatches, record)) = scored.iter().min_by_key(|(m, _)| m.len()) {
        msg.push_str(&format!("\n  closest: {}", sources::summary(kind, record)));
        for m in mismatches.iter().take(6) {
            msg.push_str(&format!("\n    {m}"));
        }
    } else if records.is_empty() {
        msg.push_str(&format!("\n  nothing at all arrived in the {kind}"));
    }
    msg
}
