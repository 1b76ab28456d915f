//! REST v4 test helpers: a sandbox on an ephemeral port with a frozen clock,
//! a bearer-token client, and a local HTTP server that collects account webhooks.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use kommo_sandbox::clock::format_rfc2822;
use kommo_sandbox::config::Config;
use kommo_sandbox::server::{self, Server};
use kommo_sandbox::signature::sign_request;
use kommo_sandbox::Sandbox;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const START: &str = "Thu, 16 Dec 2021 13:15:29 +0000";
pub const PREFIX: &str = "/v2/origin/custom";

/// Form bodies received: (content type, decoded pairs).
type Inbox = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

/// Frozen clock and a rate limit high enough for functional tests.
pub fn yaml(extra: &str) -> String {
    format!("clock: \"{START}\"\nsettings:\n  rate_limit: 1000\n{extra}")
}

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub text: String,
    pub json: Value,
}

impl Resp {
    pub fn ok(&self) -> &Value {
        assert_eq!(
            self.status, 200,
            "expected 200, got {} {}",
            self.status, self.text
        );
        assert_eq!(self.content_type, "application/hal+json", "{}", self.text);
        &self.json
    }

    /// Asserts a problem+json answer and returns its body.
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "expected {status}, got {} {}",
            self.status, self.text
        );
        assert_eq!(
            self.content_type, "application/problem+json",
            "{}",
            self.text
        );
        assert_eq!(self.json["status"], json!(status));
        assert_eq!(
            self.json["type"],
            json!(format!("https://httpstatus.es/{status}"))
        );
        assert!(
            self.json["title"].is_string() && self.json["detail"].is_string(),
            "{}",
            self.text
        );
        &self.json
    }

    /// The first validation error `(code, path)` of item `i`.
    pub fn validation(&self, i: usize) -> (String, String) {
        let body = self.problem(400);
        assert_eq!(body["detail"], "Request validation failed", "{}", self.text);
        let e = &body["validation-errors"][i]["errors"][0];
        (
            e["code"].as_str().unwrap().to_string(),
            e["path"].as_str().unwrap().to_string(),
        )
    }

    pub fn empty(&self) {
        assert_eq!(
            self.status, 204,
            "expected 204, got {} {}",
            self.status, self.text
        );
        assert!(self.text.is_empty());
    }
}

pub struct T {
    pub server: Server,
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
    pub creds: Value,
}

impl T {
    pub async fn start(extra_yaml: &str) -> T {
        let config =
            Config::parse(&yaml(extra_yaml), "test.yaml").unwrap_or_else(|e| panic!("{e}"));
        T::with(config).await
    }

    pub async fn with(config: Config) -> T {
        let sandbox = Sandbox::new(config).expect("sandbox");
        let server = server::start(sandbox, "127.0.0.1:0".parse().unwrap())
            .await
            .expect("bind");
        let base = server.url();
        let http = reqwest::Client::new();
        let accounts: Value = http
            .get(format!("{base}/_sandbox/accounts"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let creds = accounts["accounts"][0]["channels"][0].clone();
        let token = creds["api_token"]
            .as_str()
            .expect("api_token in credentials")
            .to_string();
        T {
            server,
            http,
            base,
            token,
            creds,
        }
    }

    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.server.sandbox
    }

    pub fn account(&self) -> String {
        self.creds["amojo_account_id"].as_str().unwrap().to_string()
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        into_resp(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send("GET", path, Some(&self.token.clone()), None)
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send("POST", path, Some(&self.token.clone()), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send("PATCH", path, Some(&self.token.clone()), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, body: Option<Value>) -> Resp {
        self.send("DELETE", path, Some(&self.token.clone()), body)
            .await
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn state(&self) -> Value {
        self.admin_get(&format!("/_sandbox/accounts/{}", self.account()))
            .await
    }

    /// A signed Chats API call with the demo channel's secret.
    pub async fn amojo(&self, path: &str, body: Value) -> Value {
        let secret = self.creds["secret"].as_str().unwrap();
        let text = body.to_string();
        let date = format_rfc2822(self.sandbox().clock.now_secs());
        let h = sign_request(secret, "POST", path, text.as_bytes(), &date);
        let mut req = self.http.post(format!("{}{path}", self.base)).body(text);
        for (k, v) in h.pairs() {
            req = req.header(k, v);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    pub async fn connect(&self) {
        let channel = self.creds["channel_id"].as_str().unwrap().to_string();
        self.amojo(
            &format!("{PREFIX}/{channel}/connect"),
            json!({"account_id": self.account(), "title": "Tests", "hook_api_version": "v2"}),
        )
        .await;
    }

    /// A client writes in a new (or existing) chat; returns the sandbox chat id.
    pub async fn client_says(
        &self,
        conversation: &str,
        msgid: &str,
        text: &str,
        source: Option<&str>,
    ) -> String {
        let scope = self.creds["scope_id"].as_str().unwrap().to_string();
        let now = self.sandbox().clock.now_secs();
        let mut payload = json!({
            "timestamp": now, "msec_timestamp": now * 1000, "msgid": msgid, "conversation_id": conversation,
            "sender": {"id": format!("user-{conversation}"), "name": "Jane Client", "profile": {"phone": "+15550001111"}},
            "message": {"type": "text", "text": text}, "silent": false,
        });
        if let Some(s) = source {
            payload["source"] = json!({"external_id": s});
        }
        let r = self
            .amojo(
                &format!("{PREFIX}/{scope}"),
                json!({"event_type": "new_message", "payload": payload}),
            )
            .await;
        r["new_message"]["conversation_id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

pub async fn into_resp(resp: reqwest::Response) -> Resp {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = resp.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        content_type,
        text,
        json,
    }
}

/// A local subscriber: records every form body it receives.
pub struct Subscriber {
    pub url: String,
    pub received: Inbox,
}

impl Subscriber {
    pub async fn start() -> Subscriber {
        let received: Inbox = Arc::default();
        let app = Router::new()
            .route("/hooks", post(take))
            .route(
                "/fail",
                post(
                    |State(r): State<Inbox>, h: axum::http::HeaderMap, b: Bytes| async move {
                        (
                            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                            take(State(r), h, b).await,
                        )
                    },
                ),
            )
            .with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Subscriber { url, received }
    }

    /// Waits until a body with `key` arrives (the sandbox delivers in the background).
    pub async fn wait_for(&self, key: &str) -> Vec<(String, String)> {
        for _ in 0..500 {
            let found = self
                .received
                .lock()
                .unwrap()
                .iter()
                .find(|(_, pairs)| pairs.iter().any(|(k, _)| k == key))
                .map(|(_, p)| p.clone());
            if let Some(p) = found {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "no account webhook with {key}; got {:?}",
            self.received.lock().unwrap()
        );
    }
}

async fn take(
    State(received): State<Inbox>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> &'static str {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let pairs = url::form_urlencoded::parse(&body).into_owned().collect();
    received.lock().unwrap().push((ct, pairs));
    "ok"
}

pub fn field<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {pairs:?}"))
}
