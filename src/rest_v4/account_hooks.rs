//! Delivers account events to `/api/v4/webhooks` subscribers (spec
//! kommo-rest-v4.md §7.3): one form-encoded POST per subscription whose
//! settings include the event, PHP bracket keys, every scalar a string. Each
//! attempt goes to the webhook log (`hook: "account"`); more than 100 invalid
//! answers in 2 h disable the subscription; refused answers are retried on
//! Kommo's schedule (5 min, 15 min, 15 min, 1 h) on the sandbox clock.

use crate::domain::webhooks::{retry_delay, ANSWER_WITHIN_MS};
use crate::domain::{AccountEvent, HookRetry, Webhook};
use crate::webhooks::Attempt;
use crate::Sandbox;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Sends `event` to every subscription of its account that wants it.
pub async fn deliver_account_event(sandbox: Arc<Sandbox>, event: AccountEvent) {
    let targets: Vec<i64> = {
        let world = sandbox.world();
        let Some(a) = world.account(&event.account_id) else {
            return;
        };
        a.webhooks
            .iter()
            .filter(|w| wants(w, &event))
            .map(|w| w.id)
            .collect()
    };
    for id in targets {
        send_one(&sandbox, &event, id, 1).await;
    }
}

/// Sends the retries that came due on the sandbox clock (taken by every flush).
pub fn send_retries(sandbox: &Arc<Sandbox>, due: Vec<HookRetry>) {
    for r in due {
        let sb = sandbox.clone();
        tokio::spawn(async move { send_one(&sb, &r.event, r.webhook_id, r.attempt).await });
    }
}

fn wants(w: &Webhook, event: &AccountEvent) -> bool {
    !w.disabled && w.settings.contains(&event.event)
}

/// One attempt to one subscription; a refused answer schedules the next try.
async fn send_one(sandbox: &Arc<Sandbox>, event: &AccountEvent, webhook_id: i64, attempt: u32) {
    let Some((url, body)) = prepare(sandbox, event, webhook_id) else {
        return;
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(sandbox.settings.webhook_timeout))
        .build()
        .expect("http client");
    let sent = post(&client, sandbox, event, &url, &body).await;
    record_outcome(sandbox, &event.account_id, webhook_id, in_time(&sent));
    if let Some(delay) = retry_delay(attempt, sent.status) {
        schedule(
            sandbox,
            HookRetry {
                due_at: sandbox.clock.now_secs() + delay,
                attempt: attempt + 1,
                account_id: event.account_id.clone(),
                webhook_id,
                event: event.clone(),
            },
            delay,
        );
    }
    sandbox.webhooks.push(sent);
}

/// Queues a retry; on a running clock a timer flushes when it is due, on a
/// frozen one it goes out with the first flush after the clock passes it.
fn schedule(sandbox: &Arc<Sandbox>, retry: HookRetry, delay: i64) {
    sandbox.world().hook_retries.push(retry);
    if !sandbox.clock.is_frozen() {
        let sb = sandbox.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(delay as u64)).await;
            sb.flush();
        });
    }
}

/// Kommo's rule: an answer with HTTP 100–299 within 2 s.
pub fn in_time(a: &Attempt) -> bool {
    a.status.is_some_and(|s| (100..300).contains(&s)) && a.latency_ms <= ANSWER_WITHIN_MS
}

/// Too many invalid answers disable the subscription, as Kommo does.
fn record_outcome(sandbox: &Sandbox, account_id: &str, webhook_id: i64, valid: bool) {
    let now = sandbox.clock.now_secs();
    let mut world = sandbox.world();
    if let Some(w) = world
        .account_mut(account_id)
        .and_then(|a| a.webhooks.iter_mut().find(|w| w.id == webhook_id))
    {
        w.record(valid, now);
    }
}

/// The destination and the encoded body, if the subscription still wants the event.
fn prepare(sandbox: &Sandbox, event: &AccountEvent, webhook_id: i64) -> Option<(String, String)> {
    let world = sandbox.world();
    let a = world.account(&event.account_id)?;
    let w = a
        .webhooks
        .iter()
        .find(|w| w.id == webhook_id && wants(w, event))?;
    let payload = json!({
        event.entity.clone(): {event.action.clone(): [event.data]},
        "account": {"subdomain": a.subdomain, "id": a.id, "_links": {"self": sandbox.base_url()}},
    });
    Some((w.destination.clone(), encode(&payload)))
}

async fn post(
    client: &reqwest::Client,
    sandbox: &Sandbox,
    event: &AccountEvent,
    url: &str,
    body: &str,
) -> Attempt {
    let started = Instant::now();
    let at_ms = sandbox.clock.now_ms();
    let sent = client
        .post(url)
        .header("Content-Type", CONTENT_TYPE)
        .body(body.to_string())
        .send()
        .await;
    let (status, response_body, error) = match sent {
        Ok(r) => {
            let status = r.status().as_u16();
            (Some(status), r.text().await.unwrap_or_default(), None)
        }
        Err(e) if e.is_timeout() => (None, String::new(), Some("timeout".to_string())),
        Err(e) => (None, String::new(), Some(format!("connection: {e}"))),
    };
    Attempt {
        seq: 0,
        at_ms,
        hook: "account".into(),
        scope_id: None,
        account_id: event.account_id.clone(),
        url: url.to_string(),
        request_headers: vec![("Content-Type".into(), CONTENT_TYPE.into())],
        request_body: body.to_string(),
        message_id: None,
        status,
        response_body,
        latency_ms: started.elapsed().as_millis() as u64,
        error,
    }
}

/// PHP `http_build_query`: nested keys in brackets, nulls left out, booleans 1/0.
pub fn encode(value: &Value) -> String {
    let mut pairs = vec![];
    flatten("", value, &mut pairs);
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}[{k}]")
        }
    };
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| flatten(&key(k), v, out)),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .for_each(|(i, v)| flatten(&key(&i.to_string()), v, out)),
        Value::Null => {}
        Value::Bool(b) => out.push((prefix.to_string(), if *b { "1" } else { "0" }.into())),
        Value::Number(n) => out.push((prefix.to_string(), n.to_string())),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_php() {
        let body = encode(
            &json!({"leads": {"add": [{"id": 8080, "name": "A b", "x": null, "ok": true}]}, "account": {"id": 1, "subdomain": "acme"}}),
        );
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("leads[add][0][id]".into(), "8080".into()),
                ("leads[add][0][name]".into(), "A b".into()),
                ("leads[add][0][ok]".into(), "1".into()),
                ("account[id]".into(), "1".into()),
                ("account[subdomain]".into(), "acme".into()),
            ]
        );
    }
}
