//! Manager and bot actions end to end: the action over the admin plane, the
//! signed hook at a real test integration, and the state afterwards.

mod common;

use common::integration::{listen, until, Integration};
use common::Sb;
use kommo_sandbox::config::{DEMO_ACCOUNT_AMOJO_ID, DEMO_SECRET};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

async fn setup(channel_yaml: &str) -> (Sb, Integration) {
    let integration = Integration::start(DEMO_SECRET).await;
    let sb = Sb::with_webhooks(&integration.webhook_url(), "", channel_yaml).await;
    sb.connect().await.ok();
    (sb, integration)
}

fn manager_amojo(state: &Value) -> String {
    state["account"]["users"][0]["amojo_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn manager_message_reaches_the_integration_signed_and_statuses_follow() {
    let (sb, integration) = setup("").await;
    let (chat, _) = sb.client_says("chat-1", "m-1", "Hello", None).await;
    let out = sb
        .act(
            "message",
            json!({"chat_id": chat, "text": "Hi, how can I help?"}),
        )
        .await
        .ok()
        .clone();
    let message_id = out["message_id"].as_str().unwrap().to_string();

    let hooks = integration.wait_for(1).await;
    let hook = &hooks[0];
    assert!(
        hook.signature_ok,
        "X-Signature must be HMAC-SHA1 of the exact body"
    );
    assert_eq!(hook.path, format!("/kommo/{}", sb.scope_id));
    let st = sb.state().await;
    let m = &hook.body["message"];
    assert_eq!(hook.body["account_id"], DEMO_ACCOUNT_AMOJO_ID);
    assert_eq!(hook.body["time"], 1639660529);
    assert_eq!(m["sender"]["id"], manager_amojo(&st));
    assert_eq!(
        m["conversation"],
        json!({"id": chat, "client_id": "chat-1"})
    );
    assert_eq!(m["receiver"]["client_id"], "user-chat-1");
    assert_eq!(m["receiver"]["phone"], "+15550001111");
    assert_eq!(m["receiver"]["email"], "jane@example.test");
    assert_eq!(m["message"]["id"], message_id.as_str());
    assert_eq!(m["message"]["type"], "text");
    assert_eq!(m["message"]["text"], "Hi, how can I help?");
    assert_eq!(m["message"]["tag"], "");
    assert_eq!(m["message"]["file_size"], 0);

    let attempts = sb.attempts(1).await;
    assert_eq!(attempts[0]["status"], 200);
    assert_eq!(attempts[0]["error"], Value::Null);
    assert_eq!(attempts[0]["message_id"], message_id.as_str());

    for (code, expected) in [(1, "delivered"), (2, "read")] {
        let path = sb.scope_path(&format!("/{message_id}/delivery_status"));
        sb.post(
            &path,
            &json!({"msgid": message_id, "delivery_status": code}),
        )
        .await
        .ok();
        let st = sb.state().await;
        let msg = st["scopes"][0]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == message_id.as_str())
            .unwrap()
            .clone();
        assert_eq!(
            msg["statuses"].as_array().unwrap().last().unwrap()["status"],
            expected
        );
    }
    let st = sb.state().await;
    let msg = st["scopes"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == message_id.as_str())
        .unwrap()
        .clone();
    let history: Vec<&str> = msg["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["sent", "delivered", "read"]);
}

#[tokio::test]
async fn every_outgoing_kind_markup_reply_and_bot_author() {
    let (sb, integration) = setup("").await;
    let (chat, incoming) = sb.client_says("chat-2", "m-2", "Photo please", None).await;
    let media = |kind: &str| json!({"chat_id": chat, "type": kind, "media": format!("http://127.0.0.1/{kind}"), "file_name": format!("{kind}.bin"), "file_size": 42});
    for kind in ["picture", "file", "video", "voice", "audio", "sticker"] {
        let out = sb.act("message", media(kind)).await;
        assert_eq!(out.status, 200, "{kind}: {}", out.text);
    }
    let markup = json!({"mode": "inline", "buttons": [[{"text": "OK"}, {"text": "No"}]]});
    sb.act(
        "message",
        json!({"chat_id": chat, "text": "Choose", "markup": markup, "reply_to": incoming}),
    )
    .await
    .ok();
    sb.act(
        "message",
        json!({"chat_id": chat, "author": "bot", "text": "I am the bot"}),
    )
    .await
    .ok();

    let hooks = integration.wait_for(8).await;
    let kinds: Vec<&str> = hooks
        .iter()
        .map(|h| h.body["message"]["message"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["picture", "file", "video", "voice", "audio", "sticker", "text", "text"]
    );
    assert_eq!(
        hooks[0].body["message"]["message"]["file_name"],
        "picture.bin"
    );
    assert_eq!(hooks[0].body["message"]["message"]["file_size"], 42);
    assert_eq!(hooks[6].body["message"]["message"]["markup"], markup);
    assert_eq!(
        hooks[6].body["message"]["message"]["reply_to"]["message"]["id"],
        incoming.as_str()
    );
    assert_eq!(
        hooks[6].body["message"]["message"]["reply_to"]["message"]["msgid"],
        "m-2"
    );
    let st = sb.state().await;
    let bot_id = st["scopes"][0]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "bot")
        .unwrap()["id"]
        .clone();
    assert_eq!(hooks[7].body["message"]["sender"]["id"], bot_id);
}

#[tokio::test]
async fn bad_actions_are_refused_and_change_nothing() {
    let (sb, _integration) = setup("").await;
    let (chat, _) = sb.client_says("chat-3", "m-3", "Hi", None).await;
    let before = sb.state().await;
    let cases = [
        (
            "message",
            json!({"chat_id": chat, "type": "picture", "media": "http://x/p.png"}),
            400,
            "FILE_META_REQUIRED",
        ),
        (
            "message",
            json!({"chat_id": chat, "type": "text"}),
            400,
            "TEXT_REQUIRED",
        ),
        (
            "message",
            json!({"chat_id": chat, "type": "location", "text": "x"}),
            400,
            "INVALID_TYPE",
        ),
        (
            "message",
            json!({"chat_id": chat, "text": "x", "markup": {"mode": "inline", "buttons": [[{"text": "a"}, {"text": "b", "url": "http://x"}]]}}),
            400,
            "INVALID_MARKUP",
        ),
        (
            "message",
            json!({"chat_id": "no-such-chat", "text": "x"}),
            404,
            "CHAT_NOT_FOUND",
        ),
        (
            "message",
            json!({"chat_id": chat, "text": "x", "reply_to": "nope"}),
            404,
            "MESSAGE_NOT_FOUND",
        ),
        (
            "message",
            json!({"chat_id": chat, "text": "x", "colour": "red"}),
            400,
            "INVALID_BODY",
        ),
        (
            "template",
            json!({"chat_id": chat, "template_id": 999}),
            404,
            "TEMPLATE_NOT_FOUND",
        ),
        (
            "template",
            json!({"chat_id": chat}),
            400,
            "TEMPLATE_REQUIRED",
        ),
        (
            "reaction",
            json!({"message_id": "nope", "emoji": "👍"}),
            404,
            "MESSAGE_NOT_FOUND",
        ),
        ("close_talk", json!({}), 400, "TALK_REQUIRED"),
        ("fly", json!({}), 404, "UNKNOWN_ACTION"),
    ];
    for (action, body, status, code) in cases {
        let r = sb.act(action, body.clone()).await;
        assert_eq!(
            (r.status, r.json["code"].as_str().unwrap_or("")),
            (status, code),
            "{action} {body}: {}",
            r.text
        );
        assert!(r.json["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    assert_eq!(sb.state().await, before);
}

#[tokio::test]
async fn template_placeholders_are_filled_and_the_hook_carries_the_template() {
    let (sb, integration) = setup("").await;
    let (chat, _) = sb
        .client_says("chat-4", "m-4", "Where is my order?", None)
        .await;
    let tpl = json!({"content": "Hi {{contact.name}}, lead {{lead.id}} is ready", "external_id": "order-ready", "buttons": [{"type": "inline", "text": "OK"}]});
    let out = sb
        .act("template", json!({"chat_id": chat, "template": tpl}))
        .await
        .ok()
        .clone();
    let st = sb.state().await;
    let lead_id = st["account"]["leads"][0]["id"].as_i64().unwrap();
    let expected = format!("Hi Jane Client, lead {lead_id} is ready");
    assert_eq!(out["text"], expected.as_str());
    let hooks = integration.wait_for(1).await;
    let m = &hooks[0].body["message"]["message"];
    assert_eq!(m["text"], expected.as_str());
    assert_eq!(m["template"]["external_id"], "order-ready");
    assert_eq!(
        m["template"]["content"],
        "Hi {{contact.name}}, lead {{lead.id}} is ready"
    );
    assert_eq!(
        m["template"]["params"],
        json!([{"key": "{{contact.name}}", "value": "Jane Client"}, {"key": "{{lead.id}}", "value": lead_id.to_string()}])
    );
    assert!(m["template"]["id"].as_i64().is_some());
    assert_eq!(
        m["markup"],
        json!({"mode": "inline", "buttons": [[{"text": "OK"}]]})
    );
}

#[tokio::test]
async fn write_first_has_no_client_id_until_the_integration_binds_it() {
    let (sb, integration) = setup("").await;
    let out = sb
        .act(
            "write_first",
            json!({"phone": "+15557770000", "text": "We have news"}),
        )
        .await
        .ok()
        .clone();
    let chat = out["chat_id"].as_str().unwrap().to_string();
    let receiver = out["receiver_id"].as_str().unwrap().to_string();
    let hooks = integration.wait_for(1).await;
    let m = &hooks[0].body["message"];
    assert_eq!(
        m["conversation"],
        json!({"id": chat}),
        "no client_id for write first"
    );
    assert_eq!(m["receiver"]["phone"], "+15557770000");
    assert!(m["receiver"].get("client_id").is_none());

    let now = sb.now();
    let reply = json!({
        "timestamp": now, "msec_timestamp": now * 1000, "msgid": "wa-1", "conversation_id": "wa-chat-1", "conversation_ref_id": chat,
        "sender": {"id": "wa-user-1", "ref_id": receiver, "name": "Client"}, "message": {"type": "text", "text": "Thanks!"}});
    let resp = sb.send(reply).await;
    assert_eq!(resp.ok()["new_message"]["conversation_id"], chat.as_str());
    let st = sb.state().await;
    let conv = st["scopes"][0]["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == chat.as_str())
        .unwrap()
        .clone();
    assert_eq!(conv["client_id"], "wa-chat-1");
    let p = st["scopes"][0]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == receiver.as_str())
        .unwrap()
        .clone();
    assert_eq!(p["client_id"], "wa-user-1");
}

#[tokio::test]
async fn typing_at_most_once_per_five_seconds_and_reactions_both_ways() {
    let (sb, integration) = setup("").await;
    let (chat, incoming) = sb.client_says("chat-5", "m-5", "Hi", None).await;
    let first = sb.act("typing", json!({"chat_id": chat})).await.json;
    assert_eq!(first["sent"], true);
    assert_eq!(first["expired_at"], 1639660529 + 5);
    let second = sb.act("typing", json!({"chat_id": chat})).await.json;
    assert_eq!(second["sent"], false);
    sb.sandbox().clock.advance(5);
    let third = sb.act("typing", json!({"chat_id": chat})).await.json;
    assert_eq!(third["sent"], true);

    sb.act("reaction", json!({"message_id": incoming, "emoji": "👍"}))
        .await
        .ok();
    sb.act(
        "reaction",
        json!({"message_id": incoming, "type": "unreact"}),
    )
    .await
    .ok();
    let out = sb
        .act("reaction", json!({"message_id": incoming, "emoji": "🦄"}))
        .await;
    assert_eq!(
        (out.status, out.json["code"].as_str().unwrap()),
        (400, "REACTION_UNSUPPORTED")
    );

    let hooks = integration.wait_for(4).await;
    let typing = &hooks[0].body["action"]["typing"];
    assert_eq!(
        typing["conversation"],
        json!({"id": chat, "client_id": "chat-5"})
    );
    assert_eq!(typing["expired_at"], 1639660529 + 5);
    assert!(typing["user"]["id"].is_string());
    let react = &hooks[2].body["action"]["reaction"];
    assert_eq!(react["type"], "react");
    assert_eq!(react["emoji"], "👍");
    assert_eq!(react["msgid"], "m-5");
    assert_eq!(react["message"]["id"], incoming.as_str());
    assert_eq!(react["message"]["client_id"], "m-5");
    let unreact = &hooks[3].body["action"]["reaction"];
    assert_eq!(unreact["type"], "unreact");
    assert!(unreact.get("emoji").is_none());
}

#[tokio::test]
async fn closing_a_talk_once() {
    let (sb, _integration) = setup("").await;
    let (chat, _) = sb.client_says("chat-6", "m-6", "Hi", None).await;
    let out = sb
        .act("close_talk", json!({"chat_id": chat}))
        .await
        .ok()
        .clone();
    let st = sb.state().await;
    assert_eq!(st["account"]["talks"][0]["closed"], true);
    assert_eq!(
        st["account"]["events"].as_array().unwrap().last().unwrap()["event"],
        "update_talk"
    );
    let out = sb
        .act("close_talk", json!({"talk_id": out["talk_id"]}))
        .await;
    assert_eq!(
        (out.status, out.json["code"].as_str().unwrap()),
        (409, "TALK_CLOSED")
    );
}

#[tokio::test]
async fn after_the_time_window_only_templates_go_out() {
    let (sb, integration) =
        setup("    features:\n      time_window: 60\n      block_after_window: true\n").await;
    let (chat, _) = sb.client_says("chat-7", "m-7", "Hi", None).await;
    sb.sandbox().clock.advance(61);
    let out = sb
        .act("message", json!({"chat_id": chat, "text": "Late"}))
        .await;
    assert_eq!(
        (out.status, out.json["code"].as_str().unwrap()),
        (409, "TIME_WINDOW_CLOSED"),
        "{}",
        out.text
    );
    sb.act(
        "template",
        json!({"chat_id": chat, "template": {"content": "Still there?"}}),
    )
    .await
    .ok();
    sb.client_says("chat-7", "m-8", "Yes", None).await;
    let great = sb
        .act("message", json!({"chat_id": chat, "text": "Great"}))
        .await;
    assert_eq!(great.status, 200, "an incoming message restarts the window");
    assert_eq!(integration.wait_for(2).await.len(), 2);
}

#[tokio::test]
async fn nothing_is_sent_for_a_disconnected_account() {
    let (sb, integration) = setup("").await;
    let (chat, _) = sb.client_says("chat-8", "m-9", "Hi", None).await;
    sb.disconnect().await.ok();
    sb.act("message", json!({"chat_id": chat, "text": "Anyone?"}))
        .await
        .ok();
    sb.connect().await.ok();
    sb.act("message", json!({"chat_id": chat, "text": "Back"}))
        .await
        .ok();
    let hooks = integration.wait_for(1).await;
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].body["message"]["message"]["text"], "Back");
}

#[tokio::test]
async fn timeouts_and_refused_connections_are_recorded() {
    use axum::routing::post;
    let slow = axum::Router::new().route(
        "/kommo/{scope}",
        post(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            "late"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/kommo/:scope_id", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, slow).await.unwrap() });
    let sb = Sb::with_webhooks(&url, "", "").await;
    sb.connect().await.ok();
    let (chat, _) = sb.client_says("chat-9", "m-10", "Hi", None).await;
    sb.act("message", json!({"chat_id": chat, "text": "Slow?"}))
        .await;
    let attempts = sb.attempts(1).await;
    assert_eq!(attempts[0]["error"], "timeout");
    assert_eq!(attempts[0]["status"], Value::Null);

    let refused = Sb::with_webhooks("http://127.0.0.1:9/kommo/:scope_id", "", "").await;
    refused.connect().await.ok();
    let (chat, _) = refused.client_says("chat-10", "m-11", "Hi", None).await;
    refused
        .act("message", json!({"chat_id": chat, "text": "Anyone?"}))
        .await;
    let attempts = refused.attempts(1).await;
    assert!(
        attempts[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("connection"),
        "{}",
        attempts[0]
    );
}

#[tokio::test]
async fn a_scope_connected_with_v1_gets_the_flat_deprecated_hook() {
    let integration = Integration::start(DEMO_SECRET).await;
    let sb = Sb::with_webhooks(&integration.webhook_url(), "", "").await;
    sb.connect_with(&json!({"account_id": DEMO_ACCOUNT_AMOJO_ID, "hook_api_version": "v1"}))
        .await
        .ok();
    let (chat, _) = sb.client_says("chat-v1", "m-v1", "Hi", None).await;
    sb.act("message", json!({"chat_id": chat, "type": "picture", "media": "http://127.0.0.1/p.png", "file_name": "p.png", "file_size": 7})).await;
    let hooks = integration.wait_for(1).await;
    let body = &hooks[0].body;
    assert!(hooks[0].signature_ok);
    assert_eq!(body["receiver"], "user-chat-v1");
    assert_eq!(body["conversation_id"], "chat-v1");
    assert_eq!(
        (
            body["type"].as_str(),
            body["file_name"].as_str(),
            body["file_size"].as_i64()
        ),
        (Some("picture"), Some("p.png"), Some(7))
    );
    assert_eq!(body["msec_timestamp"], 1639660529000i64);
    assert!(body.get("message").is_none(), "v1 is flat");
}

/// `POST /ajax/v1/chats/session` with a bearer token.
async fn v1_session(t: &common::rest::T, token: &str) -> common::Resp {
    let auth = format!("Bearer {token}");
    common::request(
        &t.http,
        "POST",
        &format!("{}/ajax/v1/chats/session", t.base),
        &[
            ("Authorization", auth.as_str()),
            ("X-Requested-With", "XMLHttpRequest"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        "request%5Bchats%5D%5Bsession%5D%5Baction%5D=create".to_string(),
    )
    .await
}

#[tokio::test]
async fn unofficial_v1_route_replies_as_the_manager() {
    let (sb, integration) = setup("").await;
    let t = common::rest::T::of(sb).await;
    let (chat, _) = t.sb.client_says("chat-1", "m-1", "Hello", None).await;

    // Long-lived tokens and strangers cannot open a session.
    assert_eq!(v1_session(&t, &t.token).await.problem(401)["status"], 401);
    v1_session(&t, "nope").await.problem(401);

    let oauth = t.oauth().await;
    let opened = v1_session(&t, oauth["access_token"].as_str().unwrap()).await;
    assert_eq!(opened.status, 200, "{}", opened.text);
    let session = &opened.json["response"]["chats"]["session"];
    assert_eq!(session["account"]["id"], DEMO_ACCOUNT_AMOJO_ID);
    let st = t.state().await;
    assert_eq!(session["user"]["name"], st["account"]["users"][0]["name"]);
    assert!(session["user"].get("avatar").is_some(), "{session}");
    let session_token = session["access_token"].as_str().unwrap().to_string();

    let send = |token: String, chat: String, body: String| {
        let url = format!(
            "{}/v1/chats/{DEMO_ACCOUNT_AMOJO_ID}/{chat}/messages",
            t.base
        );
        let http = t.http.clone();
        async move {
            common::request(
                &http,
                "POST",
                &url,
                &[
                    ("X-Auth-Token", token.as_str()),
                    ("Content-Type", "application/x-www-form-urlencoded"),
                ],
                body,
            )
            .await
        }
    };
    let chat_id = chat.to_string();
    let form = "text=Hi%20from%20the%20bot&persona_name=Bot&crm_entity%5Bid%5D=1&silent=false&priority=low".to_string();
    let sent = send(session_token.clone(), chat_id.clone(), form.clone()).await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    let message_id = sent.json["id"].as_str().unwrap().to_string();

    let hooks = integration.wait_for(1).await;
    let hook = &hooks[0];
    assert!(hook.signature_ok);
    assert_eq!(hook.user_agent, "amoCRM amoJo/1.0");
    assert_eq!(hook.content_type, "application/json");
    let m = &hook.body["message"];
    assert_eq!(m["sender"]["id"], manager_amojo(&st));
    assert_eq!(m["message"]["id"], message_id.as_str());
    assert_eq!(m["message"]["text"], "Hi from the bot");

    let history =
        t.sb.signed(
            "GET",
            &t.sb.scope_path(&format!("/chats/{chat_id}/history")),
            "",
        )
        .await;
    assert_eq!(history.status, 200, "{}", history.text);
    assert!(history.text.contains(&message_id), "{}", history.text);

    // Bad session, unknown chat, no text: refused in the amojo shape, nothing sent.
    send("bad".into(), chat_id.clone(), form.clone())
        .await
        .amojo_error(401, "UNAUTHORIZED");
    send(session_token.clone(), "nope".into(), form.clone())
        .await
        .amojo_error(404, "CHAT_NOT_FOUND");
    send(session_token.clone(), chat_id.clone(), "silent=1".into())
        .await
        .amojo_error(400, "INVALID_REQUEST");

    // `silent` is kept on the message; the loud one is not silent.
    let quiet = send(
        session_token.clone(),
        chat_id.clone(),
        "text=shh&silent=1".into(),
    )
    .await;
    let quiet_id = quiet.json["id"].as_str().unwrap().to_string();
    integration.wait_for(2).await;
    let st = t.state().await;
    let silent_of = |id: &str| {
        st["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["messages"].as_array().unwrap())
            .find(|m| m["id"] == id)
            .map(|m| m["silent"].clone())
    };
    assert_eq!(silent_of(&quiet_id), Some(json!(true)));
    assert_eq!(silent_of(&message_id), Some(json!(false)));
    let journal = t.admin_json("/_sandbox/journal?surface=amojo_v1").await;
    let paths: Vec<&str> = journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["surface"] == "amojo_v1")
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"/ajax/v1/chats/session"), "{journal}");
    assert!(paths.iter().any(|p| p.ends_with("/messages")), "{journal}");

    t.admin_post("/_sandbox/clock", &json!({"advance": 86_400}))
        .await;
    send(session_token, chat_id, form)
        .await
        .amojo_error(401, "UNAUTHORIZED");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(integration.received.lock().unwrap().len(), 2);
}

/// A sandbox whose demo channel hooks go to `base` + `/kommo/:scope_id`, with
/// a delivery timeout long enough that a hung receiver would visibly hold hooks.
async fn patient_sandbox(base: &str) -> Sb {
    let yaml = common::integration::integration_yaml(&format!("{base}/kommo/:scope_id"), "", "")
        .replace("webhook_timeout: 1", "webhook_timeout: 30");
    let sb = Sb::start(&yaml).await;
    sb.connect().await.ok();
    sb
}

/// A manager message in a fresh chat; its hook goes out.
async fn manager_says(sb: &Sb, text: &str) {
    let n = sb.next();
    let (chat, _) = sb
        .client_says(&format!("chat-r{n}"), &format!("m-r{n}"), "Hi", None)
        .await;
    sb.act("message", json!({"chat_id": chat, "text": text}))
        .await
        .ok();
}

#[tokio::test]
async fn a_redirect_is_the_answer_and_is_never_followed() {
    use axum::http::{header::LOCATION, StatusCode, Uri};
    use axum::routing::{any, post};
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let (posts, landed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (p, l) = (posts.clone(), landed.clone());
    let app = axum::Router::new()
        .route(
            "/kommo/{scope}",
            post(move |uri: Uri| {
                p.fetch_add(1, SeqCst);
                async move {
                    (
                        StatusCode::TEMPORARY_REDIRECT,
                        [(LOCATION, uri.to_string())],
                    )
                }
            }),
        )
        .route(
            "/moved/kommo/{scope}",
            post(|| async { (StatusCode::FOUND, [(LOCATION, "/landing")]) }),
        )
        .route(
            "/landing",
            any(move || {
                l.fetch_add(1, SeqCst);
                async { "landed" }
            }),
        );
    let base = listen(app).await;

    let to_itself = patient_sandbox(&base).await;
    manager_says(&to_itself, "Once").await;
    let attempts = to_itself.attempts(1).await;
    assert_eq!(attempts[0]["status"], 307, "{}", attempts[0]);
    assert_eq!(attempts[0]["error"], Value::Null);
    assert_eq!(posts.load(SeqCst), 1, "a 307 to itself is not POSTed again");

    let elsewhere = patient_sandbox(&format!("{base}/moved")).await;
    manager_says(&elsewhere, "Moved?").await;
    let attempts = elsewhere.attempts(1).await;
    assert_eq!(attempts[0]["status"], 302, "{}", attempts[0]);
    assert_eq!(
        landed.load(SeqCst),
        0,
        "the Location of a 302 is not visited"
    );
}

/// The chunk a huge answer is streamed in.
static CHUNK: [u8; 64 * 1024] = [b'x'; 64 * 1024];

#[tokio::test]
async fn a_huge_answer_is_kept_as_a_prefix_and_not_read_further() {
    use axum::body::{Body, Bytes};
    use axum::routing::post;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    const CHUNKS: usize = 512; // 32 MiB
    let streamed = Arc::new(AtomicUsize::new(0));
    let s = streamed.clone();
    let app = axum::Router::new().route(
        "/kommo/{scope}",
        post(move || {
            let s = s.clone();
            let chunks = (0..CHUNKS).map(move |_| {
                s.fetch_add(1, SeqCst);
                Ok::<_, std::convert::Infallible>(Bytes::from_static(&CHUNK))
            });
            async { Body::from_stream(futures::stream::iter(chunks)) }
        }),
    );
    let sb = patient_sandbox(&listen(app).await).await;
    manager_says(&sb, "Big answer?").await;
    let a = &sb.attempts(1).await[0];
    assert_eq!(a["status"], 200, "{a}");
    assert_eq!(a["response_truncated"], true);
    let kept = a["response_body"].as_str().unwrap();
    assert_eq!(
        kept.len(),
        kommo_sandbox::webhooks::http::ANSWER_PREFIX_BYTES
    );
    assert!(kept.bytes().all(|b| b == b'x'));
    let seen = a["response_bytes"].as_u64().unwrap();
    assert!(seen < (CHUNKS * CHUNK.len()) as u64, "read {seen} bytes");
    // Socket buffers hold a few MiB at most: the sandbox stopped reading and
    // closed the connection long before the receiver got to the end.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        streamed.load(SeqCst) < CHUNKS,
        "the whole answer was pulled"
    );
}

#[tokio::test]
async fn a_reset_drops_the_hooks_queued_for_the_old_state() {
    use axum::routing::post;
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let r = received.clone();
    let app = axum::Router::new().route(
        "/kommo/{scope}",
        post(move |body: String| {
            let first = {
                let mut seen = r.lock().unwrap();
                seen.push(body);
                seen.len() == 1
            };
            async move {
                if first {
                    // Hangs until the sandbox gives up on it.
                    std::future::pending::<()>().await;
                }
                "ok"
            }
        }),
    );
    let sb = patient_sandbox(&listen(app).await).await;
    for text in ["old 1", "old 2", "old 3"] {
        manager_says(&sb, text).await;
    }
    let r = received.clone();
    until("the first hook", || r.lock().unwrap().len() == 1).await;

    sb.admin_post("/_sandbox/reset", &json!({})).await.ok();
    sb.connect().await.ok();
    manager_says(&sb, "fresh").await;
    // One queue per scope: the fresh hook goes out after the old ones are settled.
    let r = received.clone();
    until("the fresh hook", || {
        r.lock().unwrap().iter().any(|b| b.contains("fresh"))
    })
    .await;
    let got = received.lock().unwrap().clone();
    assert_eq!(
        got.len(),
        2,
        "only the hook in flight at the reset and the fresh one: {got:?}"
    );
    assert!(got[0].contains("old 1"), "{got:?}");
    let log = sb.attempts(1).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0]["request_body"].as_str().unwrap().contains("fresh"));
}
