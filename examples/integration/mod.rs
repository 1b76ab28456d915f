//! A small chat integration for Kommo: connects its channel with webhook v2,
//! takes signed webhooks, relays manager messages to its messenger and reports
//! delivery, and relays client messages from the messenger to Kommo.
//! `reference_integration` runs it as it should be; `broken_integration`
//! switches on the defects in [`Defects`].
//!
//! Environment: KOMMO_AMOJO_URL, KOMMO_CHANNEL_ID, KOMMO_CHANNEL_SECRET,
//! KOMMO_ACCOUNT_ID, KOMMO_SCOPE_ID, KOMMO_BOT_ID, PORT, MESSENGER_URL (optional).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde_json::{json, Value};
use sha1::Sha1;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Deliberate departures from what Kommo requires (all off in the reference).
#[derive(Clone, Copy, Default)]
pub struct Defects {
    /// Uses one msgid per client instead of one per message.
    pub reuse_msgid: bool,
    /// Takes webhooks without checking X-Signature.
    pub accept_forged: bool,
    /// Never reports delivery of messages that reached the messenger.
    pub no_delivery_status: bool,
    /// Reports a failed delivery with error_code 905 but no text.
    pub error_905_without_text: bool,
}

struct App {
    amojo: String,
    channel_id: String,
    secret: String,
    account_id: String,
    scope_id: String,
    bot_id: String,
    messenger: Option<String>,
    http: reqwest::Client,
    seq: AtomicU64,
    connected: AtomicBool,
    /// Write-first chats by phone: (Kommo chat id, Kommo client id).
    write_first: Mutex<HashMap<String, (String, String)>>,
    defects: Defects,
}

type Shared = State<Arc<App>>;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

pub async fn main(defects: Defects) {
    let app = Arc::new(App {
        amojo: env("KOMMO_AMOJO_URL").trim_end_matches('/').to_string(),
        channel_id: env("KOMMO_CHANNEL_ID"),
        secret: env("KOMMO_CHANNEL_SECRET"),
        account_id: env("KOMMO_ACCOUNT_ID"),
        scope_id: env("KOMMO_SCOPE_ID"),
        bot_id: env("KOMMO_BOT_ID"),
        messenger: std::env::var("MESSENGER_URL")
            .ok()
            .filter(|u| !u.is_empty()),
        http: reqwest::Client::new(),
        seq: AtomicU64::new(0),
        connected: AtomicBool::new(false),
        write_first: Mutex::new(HashMap::new()),
        defects,
    });
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8090);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind PORT");
    let router = Router::new()
        .route("/health", get(health))
        .route("/webhook/{scope_id}", post(webhook))
        .route("/inbound", post(inbound))
        .route("/import", post(import))
        .route("/typing", post(typing))
        .route("/bot_reply", post(bot_reply))
        .route("/sync", post(sync))
        .with_state(app.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    connect(&app).await;
    println!(
        "integration ready on 127.0.0.1:{port}, scope {}",
        app.scope_id
    );
    let _ = server.await;
}

fn hex_hmac(secret: &str, data: &[u8]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

/// Calls amojo with the four signature headers (spec §2).
async fn amojo_query(app: &App, path: &str, query: &str) -> (u16, Value) {
    amojo_at(app, reqwest::Method::GET, path, query, &Value::Null).await
}

async fn amojo(app: &App, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
    amojo_at(app, method, path, "", body).await
}

async fn amojo_at(
    app: &App,
    method: reqwest::Method,
    path: &str,
    query: &str,
    body: &Value,
) -> (u16, Value) {
    let text = if method == reqwest::Method::GET {
        String::new()
    } else {
        body.to_string()
    };
    let md5 = hex::encode(Md5::digest(text.as_bytes()));
    let date = chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S +0000")
        .to_string();
    let to_sign = format!(
        "{}\n{md5}\napplication/json\n{date}\n{path}",
        method.as_str()
    );
    let resp = app
        .http
        .request(
            method,
            format!(
                "{}{path}{}{query}",
                app.amojo,
                if query.is_empty() { "" } else { "?" }
            ),
        )
        .header("Date", date)
        .header("Content-Type", "application/json")
        .header("Content-MD5", md5)
        .header("X-Signature", hex_hmac(&app.secret, to_sign.as_bytes()))
        .body(text)
        .send()
        .await;
    match resp {
        Ok(r) => {
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            (status, serde_json::from_str(&body).unwrap_or(Value::Null))
        }
        Err(e) => {
            eprintln!("amojo {path}: {e}");
            (0, Value::Null)
        }
    }
}

async fn connect(app: &App) {
    let path = format!("/v2/origin/custom/{}/connect", app.channel_id);
    let body = json!({"account_id": app.account_id, "title": "Reference messenger", "hook_api_version": "v2"});
    let (status, answer) = amojo(app, reqwest::Method::POST, &path, &body).await;
    eprintln!("connect: {status} {answer}");
    app.connected.store(status == 200, Ordering::SeqCst);
}

async fn health(State(app): Shared) -> StatusCode {
    if app.connected.load(Ordering::SeqCst) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

/// Kommo → integration: verify, answer 200 at once, work in the background.
async fn webhook(State(app): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let given = headers
        .get("x-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !app.defects.accept_forged && !given.eq_ignore_ascii_case(&hex_hmac(&app.secret, &body)) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "bad X-Signature"})),
        )
            .into_response();
    }
    let Ok(hook) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "not JSON"}))).into_response();
    };
    if hook["message"].is_object() {
        let app = app.clone();
        tokio::spawn(async move { deliver(&app, &hook["message"]).await });
    }
    (StatusCode::OK, Json(json!({"ok": true}))).into_response()
}

/// Sends a manager message to the messenger and reports the outcome to Kommo.
async fn deliver(app: &App, m: &Value) {
    let id = m["message"]["id"].as_str().unwrap_or_default().to_string();
    let phone = m["receiver"]["phone"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if m["conversation"]["client_id"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        let chat = m["conversation"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let receiver = m["receiver"]["id"].as_str().unwrap_or_default().to_string();
        app.write_first
            .lock()
            .unwrap()
            .insert(phone.clone(), (chat, receiver));
    }
    let sent = match &app.messenger {
        None => Ok(()),
        Some(url) => {
            let out = json!({"to": m["receiver"]["client_id"].as_str().unwrap_or(&phone), "chat": m["conversation"]["client_id"], "type": m["message"]["type"], "text": m["message"]["text"], "media": m["message"]["media"]});
            match app.http.post(url).json(&out).send().await {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!(
                    "the messenger refused the message ({})",
                    r.status()
                )),
                Err(e) => Err(format!("the messenger is unreachable: {e}")),
            }
        }
    };
    let path = format!("/v2/origin/custom/{}/{id}/delivery_status", app.scope_id);
    match sent {
        Ok(()) if app.defects.no_delivery_status => {}
        Ok(()) => {
            for status in [1, 2] {
                amojo(
                    app,
                    reqwest::Method::POST,
                    &path,
                    &json!({"msgid": id, "delivery_status": status}),
                )
                .await;
            }
        }
        Err(why) => {
            let mut body =
                json!({"msgid": id, "delivery_status": -1, "error_code": 905, "error": why});
            if app.defects.error_905_without_text {
                body.as_object_mut().unwrap().remove("error");
            }
            amojo(app, reqwest::Method::POST, &path, &body).await;
        }
    }
}

fn next_msgid(app: &App, from: &str) -> String {
    if app.defects.reuse_msgid {
        return format!("msg-{from}");
    }
    format!("msg-{}", app.seq.fetch_add(1, Ordering::SeqCst) + 1)
}

/// The sender of a client message, bound to a write-first chat when there is one.
fn client_message(app: &App, c: &Value, timestamp: i64, silent: bool) -> Value {
    let from = c["from"].as_str().unwrap_or("client");
    let phone = c["phone"].as_str().unwrap_or_default();
    let mut payload = json!({
        "timestamp": timestamp, "msec_timestamp": timestamp * 1000,
        "msgid": next_msgid(app, from),
        "conversation_id": c["chat"].as_str().map(str::to_string).unwrap_or_else(|| format!("chat-{from}")),
        "sender": {"id": from, "name": c["name"].as_str().unwrap_or(from), "profile": {"phone": phone, "email": c["email"].as_str().unwrap_or_default()}},
        "message": message_of(c),
        "silent": silent,
    });
    if let Some((chat, receiver)) = app.write_first.lock().unwrap().get(phone) {
        payload["conversation_ref_id"] = json!(chat);
        payload["sender"]["ref_id"] = json!(receiver);
    }
    json!({"event_type": "new_message", "payload": payload})
}

fn message_of(c: &Value) -> Value {
    match c["file"].as_object() {
        Some(f) => {
            json!({"type": "file", "text": "", "media": f["url"], "file_name": f["name"], "file_size": f["size"]})
        }
        None => json!({"type": "text", "text": c["text"].as_str().unwrap_or_default()}),
    }
}

/// The messenger → integration: a client wrote; relay it to Kommo. Always 200 to the messenger.
async fn inbound(State(app): Shared, Json(c): Json<Value>) -> Json<Value> {
    let body = client_message(&app, &c, chrono::Utc::now().timestamp(), false);
    let (status, answer) = amojo(
        &app,
        reqwest::Method::POST,
        &format!("/v2/origin/custom/{}", app.scope_id),
        &body,
    )
    .await;
    Json(json!({"ok": true, "amojo_status": status, "amojo": answer}))
}

/// Imports earlier messages of a chat: all silent except the newest (spec §4.4).
async fn import(State(app): Shared, Json(req): Json<Value>) -> Json<Value> {
    let now = chrono::Utc::now().timestamp();
    let mut items: Vec<Value> = req["messages"].as_array().cloned().unwrap_or_default();
    items.sort_by_key(|m| -m["ago_seconds"].as_i64().unwrap_or(0));
    let mut statuses = vec![];
    for (i, m) in items.iter().enumerate() {
        let mut c = req.clone();
        c["text"] = m["text"].clone();
        let newest = i + 1 == items.len();
        let body = client_message(
            &app,
            &c,
            now - m["ago_seconds"].as_i64().unwrap_or(0),
            !newest,
        );
        statuses.push(
            amojo(
                &app,
                reqwest::Method::POST,
                &format!("/v2/origin/custom/{}", app.scope_id),
                &body,
            )
            .await
            .0,
        );
    }
    Json(json!({"ok": true, "statuses": statuses}))
}

/// The client is typing in the messenger.
async fn typing(State(app): Shared, Json(c): Json<Value>) -> Json<Value> {
    let from = c["from"].as_str().unwrap_or("client");
    let conversation = c["chat"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("chat-{from}"));
    let body = json!({"conversation_id": conversation, "sender": {"id": from}});
    let (status, _) = amojo(
        &app,
        reqwest::Method::POST,
        &format!("/v2/origin/custom/{}/typing", app.scope_id),
        &body,
    )
    .await;
    Json(json!({"ok": true, "amojo_status": status}))
}

/// The integration's own bot answers the client: an outgoing message sent
/// through the API, so it names the channel bot in `sender.ref_id` (spec §4.4).
async fn bot_reply(State(app): Shared, Json(c): Json<Value>) -> Json<Value> {
    let from = c["from"].as_str().unwrap_or("client");
    let now = chrono::Utc::now().timestamp();
    let body = json!({"event_type": "new_message", "payload": {
        "timestamp": now, "msec_timestamp": now * 1000, "msgid": next_msgid(&app, "bot"),
        "conversation_id": format!("chat-{from}"),
        "sender": {"id": "bot", "ref_id": app.bot_id, "name": "Bot"},
        "receiver": {"id": from, "name": c["name"].as_str().unwrap_or(from)},
        "message": {"type": "text", "text": c["text"].as_str().unwrap_or_default()},
        "silent": true,
    }});
    let (status, answer) = amojo(
        &app,
        reqwest::Method::POST,
        &format!("/v2/origin/custom/{}", app.scope_id),
        &body,
    )
    .await;
    Json(json!({"ok": true, "amojo_status": status, "amojo": answer}))
}

/// Reads a chat's history from Kommo, one page of at most 50 (spec §4.6).
async fn sync(State(app): Shared, Json(c): Json<Value>) -> Json<Value> {
    let chat = c["chat_id"].as_str().unwrap_or_default();
    let path = format!("/v2/origin/custom/{}/chats/{chat}/history", app.scope_id);
    let (status, answer) = amojo_query(&app, &path, "offset=0&limit=50").await;
    Json(
        json!({"ok": true, "amojo_status": status, "messages": answer["messages"].as_array().map(Vec::len).unwrap_or(0)}),
    )
}
