//! Records an `expect` can wait for, as plain JSON views: the Chats API
//! journal of the scenario's account, webhook attempts, stub requests, state.

use super::context::Ctx;
use crate::journal::{Entry, Filter};
use serde_json::{json, Map, Value};

/// The body as JSON when it parses, else as text.
pub fn parse_body(text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

pub fn journal_view(e: &Entry) -> Value {
    let headers: Map<String, Value> = e
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), Value::from(v.as_str())))
        .collect();
    let signature = match &e.signature {
        None => "none",
        Some(v) if v.ok => "ok",
        Some(_) => "failed",
    };
    let problems = e
        .signature
        .as_ref()
        .map(|v| v.problems.clone())
        .unwrap_or_default();
    json!({
        "seq": e.seq, "at_ms": e.at_ms, "method": e.method, "path": e.path, "query": e.query, "status": e.status,
        "headers": headers, "body": parse_body(&e.body), "raw_body": e.body, "response": parse_body(&e.response_body),
        "signature": signature, "signature_problems": problems,
    })
}

/// Chats API requests of this account: scoped ones plus connect/disconnect naming it.
pub fn journal(ctx: &Ctx) -> Vec<Value> {
    let entries = ctx.shared.sandbox.journal.query(&Filter {
        surface: Some("chats_api".into()),
        ..Default::default()
    });
    entries
        .iter()
        .filter(|e| {
            e.account_id.as_deref() == Some(&ctx.amojo_id)
                || names_account(e, &ctx.amojo_id)
                || e.path.contains(&ctx.channel_id)
        })
        .map(journal_view)
        .collect()
}

fn names_account(e: &Entry, amojo_id: &str) -> bool {
    (e.path.ends_with("/connect") || e.path.ends_with("/disconnect")) && e.body.contains(amojo_id)
}

/// Webhook attempts to this account (`GET /_sandbox/webhooks`), bodies parsed.
pub async fn webhooks(ctx: &Ctx<'_>) -> Result<Vec<Value>, String> {
    let url = format!(
        "{}/_sandbox/webhooks?account_id={}",
        ctx.shared.sandbox_url, ctx.amojo_id
    );
    let resp = ctx
        .shared
        .client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Err("this sandbox has no /_sandbox/webhooks yet".into());
    }
    let v: Value = resp.json().await.map_err(|e| format!("GET {url}: {e}"))?;
    let attempts = v["attempts"].as_array().cloned().unwrap_or_default();
    Ok(attempts
        .into_iter()
        .filter(|a| a["account_id"].as_str().is_none_or(|id| id == ctx.amojo_id))
        .map(webhook_view)
        .collect())
}

fn webhook_view(mut a: Value) -> Value {
    let body = parse_body(a["request_body"].as_str().unwrap_or(""));
    let response = parse_body(a["response_body"].as_str().unwrap_or(""));
    if let Some(o) = a.as_object_mut() {
        o.insert("body".into(), body);
        o.insert("response".into(), response);
    }
    a
}

pub async fn state(ctx: &Ctx<'_>) -> Result<Vec<Value>, String> {
    let url = format!(
        "{}/_sandbox/accounts/{}",
        ctx.shared.sandbox_url, ctx.amojo_id
    );
    let resp = ctx
        .shared
        .client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    Ok(vec![resp
        .json()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?])
}

pub fn stubs(ctx: &Ctx) -> Vec<Value> {
    ctx.shared.stubs.requests(&ctx.stub_key)
}

/// One line describing a record, for near-miss messages.
pub fn summary(kind: &str, r: &Value) -> String {
    let s = |k: &str| {
        r[k].as_str()
            .map(str::to_string)
            .unwrap_or_else(|| r[k].to_string())
    };
    match kind {
        "journal" => format!("{} {} → {}", s("method"), s("path"), s("status")),
        "webhook" => format!(
            "{} hook → {} {}",
            s("hook"),
            s("status"),
            r["error"].as_str().unwrap_or("")
        ),
        "stub" => format!("{} {} {}", s("stub"), s("method"), s("path")),
        _ => "account state".into(),
    }
}
