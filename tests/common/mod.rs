//! The one test harness: a sandbox served in-process on 127.0.0.1:0, a client
//! that signs Chats API calls the way an integration does (with the sandbox
//! clock's date), the HTTP answer every helper returns, and helpers to read the
//! account state and the journal. `integration` adds a test integration that
//! receives the sandbox's webhooks; `rest` adds the REST v4 client.
//!
//! Every test binary compiles all of it and uses a part, hence `dead_code`.
#![allow(dead_code)]

pub mod integration;
pub mod rest;

use kommo_sandbox::clock::format_rfc2822;
use kommo_sandbox::config::Config;
use kommo_sandbox::server::{self, Server};
use kommo_sandbox::signature::sign_request;
use kommo_sandbox::Sandbox;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The date of spec vector 6: every test starts with a frozen clock there.
pub const START: &str = "Thu, 16 Dec 2021 13:15:29 +0000";
pub const START_SECS: i64 = 1_639_660_529;
pub const PREFIX: &str = "/v2/origin/custom";

/// The demo account and channel, with a frozen clock.
pub fn demo_yaml() -> String {
    format!("clock: \"{START}\"\n")
}

/// An HTTP answer, body kept verbatim and parsed when it is JSON.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub text: String,
    pub json: Value,
}

impl Resp {
    /// Asserts a 200 (any body) and returns the parsed body.
    pub fn ok(&self) -> &Value {
        assert_eq!(
            self.status, 200,
            "expected 200, got {} {}",
            self.status, self.text
        );
        &self.json
    }

    /// Asserts a REST v4 success: 200 with `application/hal+json`.
    pub fn hal(&self) -> &Value {
        self.ok();
        assert_eq!(self.content_type, "application/hal+json", "{}", self.text);
        &self.json
    }

    /// Asserts a REST v4 204: no content at all.
    pub fn empty(&self) {
        assert_eq!(
            self.status, 204,
            "expected 204, got {} {}",
            self.status, self.text
        );
        assert!(self.text.is_empty());
    }

    /// Asserts an amojo error body and returns its description.
    pub fn amojo_error(&self, status: u16, error_type: &str) -> String {
        assert_eq!(
            self.status, status,
            "expected {status} {error_type}, got {} {}",
            self.status, self.text
        );
        assert_eq!(self.json["status"], json!(0), "{}", self.text);
        assert_eq!(self.json["error_code"], json!(status), "{}", self.text);
        assert_eq!(self.json["error_type"], json!(error_type), "{}", self.text);
        assert!(
            self.content_type.starts_with("application/json"),
            "error content type {:?}",
            self.content_type
        );
        self.json["error_description"]
            .as_str()
            .expect("error_description is a string")
            .to_string()
    }

    /// Asserts a REST v4 problem+json answer and returns its body.
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

    /// The first REST v4 validation error `(code, path)` of item `i`.
    pub fn validation(&self, i: usize) -> (String, String) {
        let body = self.problem(400);
        assert_eq!(body["detail"], "Request validation failed", "{}", self.text);
        let e = &body["validation-errors"][i]["errors"][0];
        (
            e["code"].as_str().unwrap().to_string(),
            e["path"].as_str().unwrap().to_string(),
        )
    }
}

/// Reads the whole answer; a body that is not JSON is kept as text only.
pub async fn into_resp(resp: reqwest::Response) -> Resp {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = resp.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        content_type,
        text,
        json,
    }
}

/// Any request with exactly these headers and body bytes (none when empty):
/// every helper sends through here, so all answer with a `Resp`.
pub async fn request(
    http: &reqwest::Client,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Vec<u8>>,
) -> Resp {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = http.request(method, url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body: Vec<u8> = body.into();
    if !body.is_empty() {
        req = req.body(body);
    }
    into_resp(req.send().await.expect("request reaches the server")).await
}

/// A Chats API call signed as an integration signs it (`sign_request` leaves
/// the query out of the signature).
pub async fn signed_request(
    http: &reqwest::Client,
    url_base: &str,
    secret: &str,
    date: &str,
    method: &str,
    path_and_query: &str,
    body: &str,
) -> Resp {
    let h = sign_request(secret, method, path_and_query, body.as_bytes(), date);
    let url = format!("{url_base}{path_and_query}");
    request(http, method, &url, &h.pairs(), body).await
}

/// A sandbox on an ephemeral port and the default credentials of its first
/// account and channel.
pub struct Sb {
    pub server: Server,
    pub http: reqwest::Client,
    pub base: String,
    pub channel_id: String,
    pub secret: String,
    pub account_id: String,
    pub scope_id: String,
    counter: AtomicU64,
}

impl Sb {
    /// A sandbox built from YAML config text.
    pub async fn start(yaml: &str) -> Sb {
        let config =
            Config::parse(yaml, "test.yaml").unwrap_or_else(|e| panic!("test config: {e}"));
        Sb::with_config(config).await
    }

    pub async fn demo() -> Sb {
        Sb::start(&demo_yaml()).await
    }

    /// Starts the sandbox; the default credentials are those of the first account and channel.
    pub async fn with_config(config: Config) -> Sb {
        let sandbox = Sandbox::new(config).expect("sandbox");
        let (channel_id, secret, account_id) = {
            let world = sandbox.world();
            (
                world.channels[0].id.clone(),
                world.channels[0].secret.clone(),
                world.accounts[0].amojo_id.clone(),
            )
        };
        let server = server::start(sandbox, "127.0.0.1:0".parse().unwrap())
            .await
            .expect("bind");
        let base = server.url();
        let scope_id = format!("{channel_id}_{account_id}");
        Sb {
            server,
            http: reqwest::Client::new(),
            base,
            channel_id,
            secret,
            account_id,
            scope_id,
            counter: AtomicU64::new(0),
        }
    }

    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.server.sandbox
    }

    /// A fresh suffix for ids within this sandbox.
    pub fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The sandbox clock's date, as an integration would put it in `Date`.
    pub fn date(&self) -> String {
        format_rfc2822(self.sandbox().clock.now_secs())
    }

    pub fn now(&self) -> i64 {
        self.sandbox().clock.now_secs()
    }

    /// Any request with exactly these headers and body bytes.
    pub async fn raw(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Resp {
        let url = format!("{}{path_and_query}", self.base);
        request(&self.http, method, &url, headers, body).await
    }

    /// A request signed with `secret` and a fixed `date` (to replay it later).
    pub async fn signed_at(
        &self,
        secret: &str,
        date: &str,
        method: &str,
        path_and_query: &str,
        body: &str,
    ) -> Resp {
        signed_request(
            &self.http,
            &self.base,
            secret,
            date,
            method,
            path_and_query,
            body,
        )
        .await
    }

    /// A request signed with `secret` and the sandbox clock's date.
    pub async fn signed_with(
        &self,
        secret: &str,
        method: &str,
        path_and_query: &str,
        body: &str,
    ) -> Resp {
        self.signed_at(secret, &self.date(), method, path_and_query, body)
            .await
    }

    /// A request signed with the default channel's secret.
    pub async fn signed(&self, method: &str, path_and_query: &str, body: &str) -> Resp {
        self.signed_with(&self.secret, method, path_and_query, body)
            .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.signed("POST", path, &body.to_string()).await
    }

    pub async fn connect(&self) -> Resp {
        self.connect_with(
            &json!({"account_id": self.account_id, "title": "Tests", "hook_api_version": "v2"}),
        )
        .await
    }

    pub async fn connect_with(&self, body: &Value) -> Resp {
        self.post(&format!("{PREFIX}/{}/connect", self.channel_id), body)
            .await
    }

    pub async fn disconnect(&self) -> Resp {
        self.signed(
            "DELETE",
            &format!("{PREFIX}/{}/disconnect", self.channel_id),
            &json!({"account_id": self.account_id}).to_string(),
        )
        .await
    }

    pub fn scope_path(&self, tail: &str) -> String {
        format!("{PREFIX}/{}{tail}", self.scope_id)
    }

    pub async fn create_chat(&self, body: &Value) -> Resp {
        self.post(&self.scope_path("/chats"), body).await
    }

    /// `POST /{scope_id}` with `event_type` and `payload`.
    pub async fn event(&self, event_type: &str, payload: Value) -> Resp {
        self.post(
            &self.scope_path(""),
            &json!({"event_type": event_type, "payload": payload}),
        )
        .await
    }

    pub async fn send(&self, payload: Value) -> Resp {
        self.event("new_message", payload).await
    }

    /// An incoming text from `user` in `conversation`; returns `new_message` of the answer.
    pub async fn incoming_text(
        &self,
        conversation: &str,
        user: &str,
        text: &str,
        silent: bool,
    ) -> Value {
        let payload = self.incoming_payload(
            conversation,
            user,
            json!({"type": "text", "text": text}),
            silent,
        );
        self.send(payload).await.ok()["new_message"].clone()
    }

    /// An incoming payload with a fresh msgid.
    pub fn incoming_payload(
        &self,
        conversation: &str,
        user: &str,
        message: Value,
        silent: bool,
    ) -> Value {
        let n = self.next();
        json!({
            "timestamp": self.now(),
            "msec_timestamp": self.now() * 1000 + 1,
            "msgid": format!("msg-{n}"),
            "conversation_id": conversation,
            "sender": {"id": user, "name": format!("Client {user}")},
            "message": message,
            "silent": silent,
        })
    }

    /// Jane, a client with a phone and an email, writes `text` in `conversation`
    /// (through the source `source` if given); returns the sandbox's chat id and
    /// message id.
    pub async fn client_says(
        &self,
        conversation: &str,
        msgid: &str,
        text: &str,
        source: Option<&str>,
    ) -> (String, String) {
        let now = self.now();
        let mut payload = json!({
            "timestamp": now, "msec_timestamp": now * 1000, "msgid": msgid, "conversation_id": conversation,
            "sender": {"id": format!("user-{conversation}"), "name": "Jane Client", "profile": {"phone": "+15550001111", "email": "jane@example.test"}},
            "message": {"type": "text", "text": text}, "silent": false,
        });
        if let Some(s) = source {
            payload["source"] = json!({"external_id": s});
        }
        let r = self.send(payload).await;
        let id = |key: &str| r.ok()["new_message"][key].as_str().unwrap().to_string();
        (id("conversation_id"), id("msgid"))
    }

    pub async fn admin_get(&self, path_and_query: &str) -> Resp {
        self.raw("GET", path_and_query, &[], Vec::new()).await
    }

    /// An admin-plane read that must succeed; returns its body.
    pub async fn admin_json(&self, path_and_query: &str) -> Value {
        let r = self.admin_get(path_and_query).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }

    pub async fn admin_post(&self, path: &str, body: &Value) -> Resp {
        self.raw(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.to_string(),
        )
        .await
    }

    /// `GET /_sandbox/accounts/{amojo_id}` as received, byte for byte.
    pub async fn state_text_of(&self, account_id: &str) -> String {
        let r = self
            .admin_get(&format!("/_sandbox/accounts/{account_id}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.text
    }

    pub async fn state_text(&self) -> String {
        self.state_text_of(&self.account_id).await
    }

    pub async fn state(&self) -> Value {
        serde_json::from_str(&self.state_text().await).unwrap()
    }

    /// The default scope in the state.
    pub async fn scope_state(&self) -> Value {
        let state = self.state().await;
        state["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["scope_id"] == json!(self.scope_id))
            .cloned()
            .expect("scope in state")
    }

    /// A message of the default scope by its sandbox id.
    pub async fn message_state(&self, id: &str) -> Value {
        let scope = self.scope_state().await;
        scope["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == json!(id))
            .cloned()
            .expect("message in state")
    }

    pub async fn journal(&self, query: &str) -> Value {
        self.admin_json(&format!("/_sandbox/journal{query}")).await
    }

    /// The newest journal entry.
    pub async fn last_entry(&self) -> Value {
        let j = self.journal("?limit=1").await;
        j["entries"][0].clone()
    }
}
