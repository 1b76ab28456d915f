//! Sends chat hooks: POST the exact body with `X-Signature` = HMAC-SHA1(secret,
//! body), once, with the configured timeout (5 s), no retry (spec §5.1).
//! Hooks of one scope go out in order; scopes do not wait for each other.
//! Redirects are not followed and only a prefix of the answer is kept
//! ([`super::http`]); a reset drops what its old state queued.

use super::http;
use super::log::Attempt;
use crate::domain::ChatHook;
use crate::signature::sign_webhook;
use crate::Sandbox;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// A hook and the generation of the state that queued it.
type Queued = (u64, ChatHook);

#[derive(Debug, Default)]
pub struct Dispatcher {
    queues: Mutex<HashMap<String, UnboundedSender<Queued>>>,
}

impl Dispatcher {
    /// Queues a hook, queued in generation `of`, behind the earlier ones of its scope.
    pub fn enqueue(&self, sandbox: &Arc<Sandbox>, of: u64, hook: ChatHook) {
        let scope_id = hook.scope_id.clone();
        let hook = (of, hook);
        let mut queues = self.queues.lock().unwrap();
        let sender = queues
            .entry(scope_id.clone())
            .or_insert_with(|| spawn_worker(sandbox.clone()));
        if let Err(failed) = sender.send(hook) {
            // The worker is gone (its runtime ended, e.g. between tests): start a new one.
            let fresh = spawn_worker(sandbox.clone());
            let _ = fresh.send(failed.0);
            queues.insert(scope_id, fresh);
        }
    }
}

/// Hooks of an older generation are skipped, or cut off in flight, so the
/// queue drains at once after a reset and new hooks of the scope go out.
fn spawn_worker(sandbox: Arc<Sandbox>) -> UnboundedSender<Queued> {
    let (tx, mut rx) = unbounded_channel::<Queued>();
    tokio::spawn(async move {
        while let Some((of, hook)) = rx.recv().await {
            let resets = &sandbox.delivery.resets;
            if let Some(attempt) = resets.run(of, send(&sandbox, hook)).await {
                sandbox.log_attempt(of, attempt);
            }
        }
    });
    tx
}

/// The `User-Agent` of Kommo's chat webhooks.
pub const USER_AGENT: &str = "amoCRM amoJo/1.0";

pub async fn send(sandbox: &Sandbox, hook: ChatHook) -> Attempt {
    let signature = sign_webhook(&hook.secret, hook.body.as_bytes());
    let headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("X-Signature".to_string(), signature.clone()),
        // What Kommo's amojo sends (spec kommo-extras.md §8).
        ("User-Agent".to_string(), USER_AGENT.to_string()),
    ];
    let mut request = http::client().post(&hook.url).body(hook.body.clone());
    for (k, v) in &headers {
        request = request.header(k, v);
    }
    let timeout = Duration::from_secs(sandbox.settings.webhook_timeout);
    let at_ms = sandbox.clock.now_ms();
    let answer = http::post(request, timeout).await;
    let sent = Attempt {
        seq: 0,
        at_ms,
        hook: hook.hook,
        scope_id: Some(hook.scope_id),
        account_id: hook.account_id,
        url: hook.url,
        request_headers: headers,
        request_body: hook.body,
        message_id: hook.message_id,
        ..Attempt::default()
    };
    sent.answered(answer)
}
