//! Delivers account events to `/api/v4/webhooks` subscribers (spec
//! kommo-rest-v4.md §7.3): one form-encoded POST per subscription whose
//! settings include the event, PHP bracket keys, every scalar a string. The
//! subscribers of one event are served at once, through the bounded [`Pool`].
//! Each attempt goes to the webhook log (`hook: "account"`); more than 100
//! invalid answers in 2 h disable the subscription; refused answers are
//! retried on Kommo's schedule (5 min, 15 min, 15 min, 1 h) on the sandbox clock.
//!
//! [`Pool`]: super::pool::Pool

use super::form::encode;
use super::http;
use super::Attempt;
use crate::domain::webhooks::{retry_delay, ANSWER_WITHIN_MS};
use crate::domain::{AccountEvent, HookRetry, Webhook};
use crate::Sandbox;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Sends `event`, queued in generation `of`, to every subscription of its
/// account that wants it, all at once.
pub async fn deliver_account_event(sandbox: Arc<Sandbox>, of: u64, event: AccountEvent) {
    let targets: Vec<i64> = {
        let world = sandbox.world();
        let Some(a) = world
            .account(&event.account_id)
            .filter(|_| world.generation == of)
        else {
            return;
        };
        a.webhooks
            .iter()
            .filter(|w| wants(w, &event))
            .map(|w| w.id)
            .collect()
    };
    let sends = targets
        .into_iter()
        .map(|id| send_one(&sandbox, of, &event, id, 1));
    futures::future::join_all(sends).await;
}

/// Sends the retries that came due on the sandbox clock (taken by every flush).
pub fn send_retries(sandbox: &Arc<Sandbox>, of: u64, due: Vec<HookRetry>) {
    for r in due {
        let sb = sandbox.clone();
        tokio::spawn(async move { send_one(&sb, of, &r.event, r.webhook_id, r.attempt).await });
    }
}

fn wants(w: &Webhook, event: &AccountEvent) -> bool {
    !w.disabled && w.settings.contains(&event.event)
}

/// One attempt to one subscription; a refused answer schedules the next try.
/// A reset while it waits or runs ends it with nothing sent or recorded.
async fn send_one(
    sandbox: &Arc<Sandbox>,
    of: u64,
    event: &AccountEvent,
    webhook_id: i64,
    attempt: u32,
) {
    let Some((url, body)) = prepare(sandbox, event, webhook_id) else {
        return;
    };
    let delivery = &sandbox.delivery;
    let sent = delivery.resets.run(of, async {
        let _slot = delivery.account.slot(&url).await;
        post(sandbox, event, &url, &body).await
    });
    let Some(sent) = sent.await else {
        return;
    };
    let retry = retry_delay(attempt, sent.status).map(|delay| HookRetry {
        due_at: sandbox.clock.now_secs() + delay,
        attempt: attempt + 1,
        account_id: event.account_id.clone(),
        webhook_id,
        event: event.clone(),
    });
    if settle(sandbox, of, webhook_id, sent, retry.clone()) {
        if let Some(r) = retry {
            wake_at(sandbox, r.due_at - sandbox.clock.now_secs());
        }
    }
}

/// Counts the outcome (too many invalid answers disable the subscription, as
/// Kommo does), queues the retry and logs the attempt, all under the world's
/// lock so a reset either comes before (nothing kept) or after (all cleared).
fn settle(
    sandbox: &Sandbox,
    of: u64,
    webhook_id: i64,
    sent: Attempt,
    retry: Option<HookRetry>,
) -> bool {
    let now = sandbox.clock.now_secs();
    let mut world = sandbox.world();
    if world.generation != of {
        return false;
    }
    if let Some(w) = world
        .account_mut(&sent.account_id)
        .and_then(|a| a.webhooks.iter_mut().find(|w| w.id == webhook_id))
    {
        w.record(in_time(&sent), now);
    }
    world.hook_retries.extend(retry);
    sandbox.webhooks.push(sent);
    true
}

/// On a running clock a timer flushes when a retry is due; on a frozen one it
/// goes out with the first flush after the clock passes it.
fn wake_at(sandbox: &Arc<Sandbox>, delay: i64) {
    if !sandbox.clock.is_frozen() {
        let sb = sandbox.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(delay.max(0) as u64)).await;
            sb.flush();
        });
    }
}

/// Kommo's rule: an answer with HTTP 100–299 within 2 s.
pub fn in_time(a: &Attempt) -> bool {
    a.status.is_some_and(|s| (100..300).contains(&s)) && a.latency_ms <= ANSWER_WITHIN_MS
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

async fn post(sandbox: &Sandbox, event: &AccountEvent, url: &str, body: &str) -> Attempt {
    let at_ms = sandbox.clock.now_ms();
    let request = http::client()
        .post(url)
        .header("Content-Type", CONTENT_TYPE)
        .body(body.to_string());
    let answer = http::post(
        request,
        Duration::from_secs(sandbox.settings.webhook_timeout),
    )
    .await;
    let sent = Attempt {
        seq: 0,
        at_ms,
        hook: "account".into(),
        scope_id: None,
        account_id: event.account_id.clone(),
        url: url.to_string(),
        request_headers: vec![("Content-Type".into(), CONTENT_TYPE.into())],
        request_body: body.to_string(),
        message_id: None,
        ..Attempt::default()
    };
    sent.answered(answer)
}
