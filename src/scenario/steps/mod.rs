//! Executing steps. Each kind lives in its own file; this one dispatches and
//! applies what request steps share: expected status, response pattern, captures.

mod browser;
mod browser_open;
mod browser_records;
mod browser_wait;
mod expect;
mod request;

use super::context::Ctx;
use super::matchers::{capture, check};
use super::model::Step;
use super::sources::parse_body;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub use browser_open::widget_dir;
pub use request::send_forged_webhook;

/// A request step's outcome.
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

pub async fn run(ctx: &mut Ctx<'_>, step: &Step) -> Result<(), String> {
    if let Some(ms) = step.sleep {
        tokio::time::sleep(ms.duration()).await;
        return Ok(());
    }
    if let Some(set) = &step.set {
        for (k, v) in set {
            let value = ctx.vars.value(v)?;
            ctx.vars.set(k, value);
        }
        return Ok(());
    }
    if let Some(line) = &step.log {
        let text = ctx.vars.text(line)?;
        ctx.steps_log.push(json!({"log": text}));
        return Ok(());
    }
    if let Some(b) = &step.browser {
        let record = browser::run(ctx, step, b).await?;
        return captures(ctx, step, &record);
    }
    if let Some(e) = &step.expect {
        let record = expect::run(ctx, e, &step.label()).await?;
        return captures(ctx, step, &record);
    }
    let reply = if let Some(action) = &step.action {
        request::action(ctx, action, step.with.as_ref()).await?
    } else if let Some(call) = &step.chats_api {
        request::chats_api(ctx, call).await?
    } else if let Some(call) = &step.http {
        request::http(ctx, call).await?
    } else {
        return Err(format!("step {:?} does nothing", step.label()));
    };
    check_reply(ctx, step, &reply)?;
    captures(ctx, step, &reply.body)
}

fn check_reply(ctx: &mut Ctx<'_>, step: &Step, reply: &Reply) -> Result<(), String> {
    let status_pattern = match &step.status {
        Some(p) => ctx.vars.value(p)?,
        None => json!("@2xx"),
    };
    let mut problems = check(
        Some(&status_pattern),
        &BTreeMap::new(),
        &json!(reply.status),
    );
    if let Some(p) = &step.response {
        let p = ctx.vars.value(p)?;
        problems.extend(check(Some(&p), &BTreeMap::new(), &reply.body));
    }
    if problems.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = problems.iter().map(|m| format!("  {m}")).collect();
    Err(format!(
        "the answer differs from what was expected:\n{}\n  answer: {} {}",
        lines.join("\n"),
        reply.status,
        reply.body
    ))
}

fn captures(ctx: &mut Ctx<'_>, step: &Step, record: &Value) -> Result<(), String> {
    for (name, path) in &step.capture {
        let value = capture(path, record)
            .ok_or_else(|| format!("capture {name}: nothing at {path} in {}", short(record)))?;
        ctx.vars.set(name, value);
    }
    Ok(())
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(300).map(|(i, _)| i).unwrap_or(s.len())]
        )
    } else {
        s
    }
}

pub(crate) fn reply_from(status: u16, text: &str) -> Reply {
    Reply {
        status,
        body: parse_body(text),
    }
}
