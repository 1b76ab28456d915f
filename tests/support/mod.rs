//! Shared by the Kommo-side tests: a sandbox on an ephemeral port, a signing
//! Chats API client, and a test integration that receives signed webhooks.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use kommo_sandbox::config::Config;
use kommo_sandbox::server::{self, Server};
use kommo_sandbox::signature::{sign_request, sign_webhook};
use kommo_sandbox::{clock, Sandbox};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const SECRET: &str = "f2d7f8704eff95087ed45b23ba99c0b5aac8278e";
pub const CHANNEL: &str = "344a5002-f8ca-454d-af3d-396180102ac7";
pub const ACCOUNT: &str = "52e591f7-c98f-4255-8495-827210138c81";

pub fn scope() -> String {
    format!("{CHANNEL}_{ACCOUNT}")
}

/// A webhook as the test integration received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub signature: String,
    pub body: Value,
    pub signature_ok: bool,
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
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
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
    let signature = headers
        .get("x-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let signature_ok = signature == sign_webhook(&st.secret, &body);
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let scope = uri.path().rsplit('/').next().unwrap_or("").to_string();
    st.log.lock().unwrap().push(Received {
        path: uri.path().to_string(),
        signature,
        body: body.clone(),
        signature_ok,
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

async fn report(base: &str, secret: &str, scope: &str, message_id: &str, code: i64) {
    let path = format!("/v2/origin/custom/{scope}/{message_id}/delivery_status");
    let body = json!({"msgid": message_id, "delivery_status": code}).to_string();
    let now = reqwest::get(format!("{base}/_sandbox/clock"))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["now"]
        .as_i64()
        .unwrap();
    let h = sign_request(
        secret,
        "POST",
        &path,
        body.as_bytes(),
        &clock::format_rfc2822(now),
    );
    let mut req = reqwest::Client::new().post(format!("{base}{path}"));
    for (k, v) in h.pairs() {
        req = req.header(k, v);
    }
    let status = req.body(body).send().await.unwrap().status();
    assert_eq!(status, 200, "delivery status {code} refused");
}

/// The sandbox with the demo channel pointing its webhooks at `webhook_url`;
/// `account_yaml` and `channel_yaml` are extra keys (indented 4) for the account and channel.
pub async fn sandbox(webhook_url: &str, account_yaml: &str, channel_yaml: &str) -> Server {
    let yaml = format!(
        "clock: 'Thu, 16 Dec 2021 13:15:29 +0000'\nsettings:\n  webhook_timeout: 1\naccounts:\n  - amojo_id: {ACCOUNT}\n{account_yaml}\nchannels:\n  - id: {CHANNEL}\n    secret: {SECRET}\n    webhook_url: {webhook_url}\n{channel_yaml}\n"
    );
    let config = Config::parse(&yaml, "test.yaml").unwrap();
    server::start(
        Sandbox::new(config).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

/// Signs and sends a Chats API request as an integration would.
pub async fn amojo(server: &Server, method: &str, path: &str, body: Value) -> (u16, Value) {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let date = clock::format_rfc2822(server.sandbox.clock.now_secs());
    let h = sign_request(SECRET, method, path, body.as_bytes(), &date);
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().unwrap(), format!("{}{path}", server.url()));
    for (k, v) in h.pairs() {
        req = req.header(k, v);
    }
    let resp = req.body(body).send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn connect(server: &Server) {
    let (status, _) = amojo(
        server,
        "POST",
        &format!("/v2/origin/custom/{CHANNEL}/connect"),
        json!({"account_id": ACCOUNT, "title": "Test", "hook_api_version": "v2"}),
    )
    .await;
    assert_eq!(status, 200);
}

/// A client message through the Chats API; returns the sandbox chat id and message id.
pub async fn client_says(
    server: &Server,
    conversation: &str,
    msgid: &str,
    text: &str,
) -> (String, String) {
    let now = server.sandbox.clock.now_secs();
    let body = json!({"event_type": "new_message", "payload": {
        "timestamp": now, "msec_timestamp": now * 1000, "msgid": msgid, "conversation_id": conversation,
        "sender": {"id": format!("user-{conversation}"), "name": "Jane Client", "profile": {"phone": "+15550001111", "email": "jane@example.test"}},
        "message": {"type": "text", "text": text}, "silent": false}});
    let (status, resp) = amojo(
        server,
        "POST",
        &format!("/v2/origin/custom/{}", scope()),
        body,
    )
    .await;
    assert_eq!(status, 200, "{resp}");
    (
        resp["new_message"]["conversation_id"]
            .as_str()
            .unwrap()
            .into(),
        resp["new_message"]["msgid"].as_str().unwrap().into(),
    )
}

pub async fn admin(server: &Server, method: &str, path: &str, body: Value) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().unwrap(), format!("{}{path}", server.url()));
    if !body.is_null() {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

pub async fn act(server: &Server, action: &str, body: Value) -> (u16, Value) {
    admin(
        server,
        "POST",
        &format!("/_sandbox/accounts/{ACCOUNT}/actions/{action}"),
        body,
    )
    .await
}

pub async fn state(server: &Server) -> Value {
    admin(
        server,
        "GET",
        &format!("/_sandbox/accounts/{ACCOUNT}"),
        Value::Null,
    )
    .await
    .1
}

/// Waits until the sandbox logged `n` webhook attempts.
pub async fn attempts(server: &Server, n: usize) -> Vec<Value> {
    for _ in 0..700 {
        let (_, v) = admin(server, "GET", "/_sandbox/webhooks", Value::Null).await;
        let list = v["attempts"].as_array().cloned().unwrap_or_default();
        if list.len() >= n {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("fewer than {n} webhook attempts were logged");
}
