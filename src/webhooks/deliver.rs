//! Sends chat hooks: POST the exact body with `X-Signature` = HMAC-SHA1(secret,
//! body), once, with the configured timeout (5 s), no retry (spec §5.1).
//! Hooks of one scope go out in order; scopes do not wait for each other.

use super::log::Attempt;
use crate::domain::ChatHook;
use crate::signature::sign_webhook;
use crate::Sandbox;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

#[derive(Debug, Default)]
pub struct Dispatcher {
    queues: Mutex<HashMap<String, UnboundedSender<ChatHook>>>,
}

impl Dispatcher {
    /// Queues a hook behind the earlier ones of its scope.
    pub fn enqueue(&self, sandbox: &Arc<Sandbox>, hook: ChatHook) {
        let scope_id = hook.scope_id.clone();
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

fn spawn_worker(sandbox: Arc<Sandbox>) -> UnboundedSender<ChatHook> {
    let (tx, mut rx) = unbounded_channel::<ChatHook>();
    tokio::spawn(async move {
        while let Some(hook) = rx.recv().await {
            let attempt = send(&sandbox, hook).await;
            sandbox.webhooks.push(attempt);
        }
    });
    tx
}

/// The `User-Agent` of Kommo's chat webhooks.
pub const USER_AGENT: &str = "amoCRM amoJo/1.0";

fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("HTTP client builds")
    })
}

pub async fn send(sandbox: &Sandbox, hook: ChatHook) -> Attempt {
    let signature = sign_webhook(&hook.secret, hook.body.as_bytes());
    let headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("X-Signature".to_string(), signature.clone()),
        // What Kommo's amojo sends (spec kommo-extras.md §8).
        ("User-Agent".to_string(), USER_AGENT.to_string()),
    ];
    let timeout = Duration::from_secs(sandbox.settings.webhook_timeout);
    let started = Instant::now();
    let mut request = client()
        .post(&hook.url)
        .timeout(timeout)
        .body(hook.body.clone());
    for (k, v) in &headers {
        request = request.header(k, v);
    }
    let result = request.send().await;
    let (status, response_body, error) = match result {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap_or_default();
            (Some(status), body, None)
        }
        Err(e) if e.is_timeout() => (None, String::new(), Some("timeout".to_string())),
        Err(e) => (
            None,
            String::new(),
            Some(format!("connection: {}", root_cause(&e))),
        ),
    };
    Attempt {
        seq: 0,
        at_ms: sandbox.clock.now_ms(),
        hook: hook.hook,
        scope_id: Some(hook.scope_id),
        account_id: hook.account_id,
        url: hook.url,
        request_headers: headers,
        request_body: hook.body,
        message_id: hook.message_id,
        status,
        response_body,
        latency_ms: started.elapsed().as_millis() as u64,
        error,
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
