//! The integration's side of the Chats API: a real HTTP server that receives
//! the sandbox's signed webhooks, a sandbox pointing its webhooks there, and the
//! manager actions that make the sandbox send them.

use super::{request, signed_request, Resp, Sb, PREFIX, START};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use kommo_sandbox::clock::format_rfc2822;
use kommo_sandbox::config::{DEMO_ACCOUNT_AMOJO_ID, DEMO_CHANNEL_ID, DEMO_SECRET};
use kommo_sandbox::signature::sign_webhook;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A webhook as the test integration received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub signature: String,
    pub body: Value,
    pub signature_ok: bool,
    pub user_agent: String,
    pub content_type: String,
}

/// A real HTTP server playing the integration: records and verifies hooks,
/// and, once told where the sandbox is, reports every message it "delivers"
/// as delivered (1) then read (2), signed like a real integration.
pub struct Integration {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub report_to: Arc<Mutex<Option<String>>>,
}

#[derive(Clone)]
struct HookState {
    log: Arc<Mutex<Vec<Received>>>,
    secret: String,
    report_to: Arc<Mutex<Option<String>>>,
}

/// Serves `app` on an ephemeral port of 127.0.0.1; returns `http://127.0.0.1:PORT`.
pub async fn listen(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Waits (up to 10 s, generous on a loaded machine) until `done` holds.
pub async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("still waiting for {what}");
}

impl Integration {
    pub async fn start(secret: &str) -> Integration {
        let received = Arc::new(Mutex::new(vec![]));
        let report_to = Arc::new(Mutex::new(None));
        let state = HookState {
            log: received.clone(),
            secret: secret.to_string(),
            report_to: report_to.clone(),
        };
        let app = Router::new()
            .route("/kommo/{scope}", post(hook))
            .with_state(state);
        let url = listen(app).await;
        Integration {
            url,
            received,
            report_to,
        }
    }

    /// From now on, report delivery statuses to the sandbox at `base_url`.
    pub fn report_statuses_to(&self, base_url: &str) {
        *self.report_to.lock().unwrap() = Some(base_url.to_string());
    }

    pub fn webhook_url(&self) -> String {
        format!("{}/kommo/:scope_id", self.url)
    }

    /// Waits (up to 5 s) until `n` hooks arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..500 {
            if self.received.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.received.lock().unwrap().clone()
    }
}

async fn hook(
    State(st): State<HookState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let signature = header("x-signature");
    let signature_ok = signature == sign_webhook(&st.secret, &body);
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let scope = uri.path().rsplit('/').next().unwrap_or("").to_string();
    st.log.lock().unwrap().push(Received {
        path: uri.path().to_string(),
        signature,
        body: body.clone(),
        signature_ok,
        user_agent: header("user-agent"),
        content_type: header("content-type"),
    });
    if !signature_ok {
        return StatusCode::UNAUTHORIZED;
    }
    let report_to = st.report_to.lock().unwrap().clone();
    if let (Some(base), Some(id)) = (report_to, body["message"]["message"]["id"].as_str()) {
        // Answer the hook at once; report after, as a real integration would.
        let (secret, id) = (st.secret.clone(), id.to_string());
        tokio::spawn(async move {
            for code in [1, 2] {
                report(&base, &secret, &scope, &id, code).await;
            }
        });
    }
    StatusCode::OK
}

/// A delivery status, signed with the date of the sandbox's (frozen) clock.
async fn report(base: &str, secret: &str, scope: &str, message_id: &str, code: i64) {
    let http = reqwest::Client::new();
    let clock = request(&http, "GET", &format!("{base}/_sandbox/clock"), &[], "").await;
    let date = format_rfc2822(clock.json["now"].as_i64().unwrap());
    let path = format!("{PREFIX}/{scope}/{message_id}/delivery_status");
    let body = json!({"msgid": message_id, "delivery_status": code}).to_string();
    let r = signed_request(&http, base, secret, &date, "POST", &path, &body).await;
    assert_eq!(r.status, 200, "delivery status {code} refused: {}", r.text);
}

/// The demo account and channel, the channel's webhooks going to `webhook_url`;
/// `account_yaml` and `channel_yaml` are extra keys (indented 4) for the
/// account and the channel.
pub fn integration_yaml(webhook_url: &str, account_yaml: &str, channel_yaml: &str) -> String {
    format!(
        "clock: \"{START}\"\nsettings:\n  webhook_timeout: 1\naccounts:\n  - amojo_id: {DEMO_ACCOUNT_AMOJO_ID}\n{account_yaml}\nchannels:\n  - id: {DEMO_CHANNEL_ID}\n    secret: {DEMO_SECRET}\n    webhook_url: {webhook_url}\n{channel_yaml}\n"
    )
}

impl Sb {
    /// A sandbox whose demo channel sends its webhooks to `webhook_url` (see `integration_yaml`).
    pub async fn with_webhooks(webhook_url: &str, account_yaml: &str, channel_yaml: &str) -> Sb {
        Sb::start(&integration_yaml(webhook_url, account_yaml, channel_yaml)).await
    }

    /// A manager or bot action on the default account, over the admin plane.
    pub async fn act(&self, action: &str, body: Value) -> Resp {
        let path = format!("/_sandbox/accounts/{}/actions/{action}", self.account_id);
        self.admin_post(&path, &body).await
    }

    /// Waits until the sandbox logged `n` webhook attempts.
    pub async fn attempts(&self, n: usize) -> Vec<Value> {
        for _ in 0..700 {
            let log = self.admin_json("/_sandbox/webhooks").await;
            let list = log["attempts"].as_array().cloned().unwrap_or_default();
            if list.len() >= n {
                return list;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("fewer than {n} webhook attempts were logged");
    }
}
