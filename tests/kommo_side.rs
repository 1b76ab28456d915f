//! Manager and bot actions end to end: the action over the admin plane, the
//! signed hook at a real test integration, and the state afterwards.

mod support;

use serde_json::{json, Value};
use support::*;

async fn setup(channel_yaml: &str) -> (kommo_sandbox::server::Server, Integration) {
    let integration = Integration::start(SECRET).await;
    let server = sandbox(&integration.webhook_url(), "", channel_yaml).await;
    connect(&server).await;
    (server, integration)
}

fn manager_amojo(state: &Value) -> String {
    state["account"]["users"][0]["amojo_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn manager_message_reaches_the_integration_signed_and_statuses_follow() {
    let (server, integration) = setup("").await;
    let (chat, _) = client_says(&server, "chat-1", "m-1", "Hello").await;
    let (status, out) = act(
        &server,
        "message",
        json!({"chat_id": chat, "text": "Hi, how can I help?"}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let message_id = out["message_id"].as_str().unwrap().to_string();

    let hooks = integration.wait_for(1).await;
    let hook = &hooks[0];
    assert!(
        hook.signature_ok,
        "X-Signature must be HMAC-SHA1 of the exact body"
    );
    assert_eq!(hook.path, format!("/kommo/{}", scope()));
    let st = state(&server).await;
    let m = &hook.body["message"];
    assert_eq!(hook.body["account_id"], ACCOUNT);
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

    let attempts = attempts(&server, 1).await;
    assert_eq!(attempts[0]["status"], 200);
    assert_eq!(attempts[0]["error"], Value::Null);
    assert_eq!(attempts[0]["message_id"], message_id.as_str());

    for (code, expected) in [(1, "delivered"), (2, "read")] {
        let path = format!("/v2/origin/custom/{}/{message_id}/delivery_status", scope());
        let (status, _) = amojo(
            &server,
            "POST",
            &path,
            json!({"msgid": message_id, "delivery_status": code}),
        )
        .await;
        assert_eq!(status, 200);
        let st = state(&server).await;
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
    let st = state(&server).await;
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
    let (server, integration) = setup("").await;
    let (chat, incoming) = client_says(&server, "chat-2", "m-2", "Photo please").await;
    let media = |kind: &str| json!({"chat_id": chat, "type": kind, "media": format!("http://127.0.0.1/{kind}"), "file_name": format!("{kind}.bin"), "file_size": 42});
    for kind in ["picture", "file", "video", "voice", "audio", "sticker"] {
        let (status, out) = act(&server, "message", media(kind)).await;
        assert_eq!(status, 200, "{kind}: {out}");
    }
    let markup = json!({"mode": "inline", "buttons": [[{"text": "OK"}, {"text": "No"}]]});
    let (status, _) = act(
        &server,
        "message",
        json!({"chat_id": chat, "text": "Choose", "markup": markup, "reply_to": incoming}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = act(
        &server,
        "message",
        json!({"chat_id": chat, "author": "bot", "text": "I am the bot"}),
    )
    .await;
    assert_eq!(status, 200);

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
    let st = state(&server).await;
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
    let (server, _integration) = setup("").await;
    let (chat, _) = client_says(&server, "chat-3", "m-3", "Hi").await;
    let before = state(&server).await;
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
        let (got, out) = act(&server, action, body.clone()).await;
        assert_eq!(
            (got, out["code"].as_str().unwrap_or("")),
            (status, code),
            "{action} {body}: {out}"
        );
        assert!(out["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    assert_eq!(state(&server).await, before);
}

#[tokio::test]
async fn template_placeholders_are_filled_and_the_hook_carries_the_template() {
    let (server, integration) = setup("").await;
    let (chat, _) = client_says(&server, "chat-4", "m-4", "Where is my order?").await;
    let tpl = json!({"content": "Hi {{contact.name}}, lead {{lead.id}} is ready", "external_id": "order-ready", "buttons": [{"type": "inline", "text": "OK"}]});
    let (status, out) = act(
        &server,
        "template",
        json!({"chat_id": chat, "template": tpl}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let st = state(&server).await;
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
    let (server, integration) = setup("").await;
    let (status, out) = act(
        &server,
        "write_first",
        json!({"phone": "+15557770000", "text": "We have news"}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
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

    let now = server.sandbox.clock.now_secs();
    let reply = json!({"event_type": "new_message", "payload": {
        "timestamp": now, "msec_timestamp": now * 1000, "msgid": "wa-1", "conversation_id": "wa-chat-1", "conversation_ref_id": chat,
        "sender": {"id": "wa-user-1", "ref_id": receiver, "name": "Client"}, "message": {"type": "text", "text": "Thanks!"}}});
    let (status, resp) = amojo(
        &server,
        "POST",
        &format!("/v2/origin/custom/{}", scope()),
        reply,
    )
    .await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["new_message"]["conversation_id"], chat.as_str());
    let st = state(&server).await;
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
    let (server, integration) = setup("").await;
    let (chat, incoming) = client_says(&server, "chat-5", "m-5", "Hi").await;
    let (_, first) = act(&server, "typing", json!({"chat_id": chat})).await;
    assert_eq!(first["sent"], true);
    assert_eq!(first["expired_at"], 1639660529 + 5);
    let (_, second) = act(&server, "typing", json!({"chat_id": chat})).await;
    assert_eq!(second["sent"], false);
    server.sandbox.clock.advance(5);
    let (_, third) = act(&server, "typing", json!({"chat_id": chat})).await;
    assert_eq!(third["sent"], true);

    let (status, out) = act(
        &server,
        "reaction",
        json!({"message_id": incoming, "emoji": "👍"}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let (status, _) = act(
        &server,
        "reaction",
        json!({"message_id": incoming, "type": "unreact"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, out) = act(
        &server,
        "reaction",
        json!({"message_id": incoming, "emoji": "🦄"}),
    )
    .await;
    assert_eq!(
        (status, out["code"].as_str().unwrap()),
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
    let (server, _integration) = setup("").await;
    let (chat, _) = client_says(&server, "chat-6", "m-6", "Hi").await;
    let (status, out) = act(&server, "close_talk", json!({"chat_id": chat})).await;
    assert_eq!(status, 200, "{out}");
    let st = state(&server).await;
    assert_eq!(st["account"]["talks"][0]["closed"], true);
    assert_eq!(
        st["account"]["events"].as_array().unwrap().last().unwrap()["event"],
        "update_talk"
    );
    let (status, out) = act(&server, "close_talk", json!({"talk_id": out["talk_id"]})).await;
    assert_eq!(
        (status, out["code"].as_str().unwrap()),
        (409, "TALK_CLOSED")
    );
}

#[tokio::test]
async fn after_the_time_window_only_templates_go_out() {
    let (server, integration) =
        setup("    features:\n      time_window: 60\n      block_after_window: true\n").await;
    let (chat, _) = client_says(&server, "chat-7", "m-7", "Hi").await;
    server.sandbox.clock.advance(61);
    let (status, out) = act(&server, "message", json!({"chat_id": chat, "text": "Late"})).await;
    assert_eq!(
        (status, out["code"].as_str().unwrap()),
        (409, "TIME_WINDOW_CLOSED"),
        "{out}"
    );
    let (status, _) = act(
        &server,
        "template",
        json!({"chat_id": chat, "template": {"content": "Still there?"}}),
    )
    .await;
    assert_eq!(status, 200);
    client_says(&server, "chat-7", "m-8", "Yes").await;
    let (status, _) = act(
        &server,
        "message",
        json!({"chat_id": chat, "text": "Great"}),
    )
    .await;
    assert_eq!(status, 200, "an incoming message restarts the window");
    assert_eq!(integration.wait_for(2).await.len(), 2);
}

#[tokio::test]
async fn nothing_is_sent_for_a_disconnected_account() {
    let (server, integration) = setup("").await;
    let (chat, _) = client_says(&server, "chat-8", "m-9", "Hi").await;
    let (status, _) = amojo(
        &server,
        "DELETE",
        &format!("/v2/origin/custom/{CHANNEL}/disconnect"),
        json!({"account_id": ACCOUNT}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = act(
        &server,
        "message",
        json!({"chat_id": chat, "text": "Anyone?"}),
    )
    .await;
    assert_eq!(status, 200);
    connect(&server).await;
    let (status, _) = act(&server, "message", json!({"chat_id": chat, "text": "Back"})).await;
    assert_eq!(status, 200);
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
    let server = sandbox(&url, "", "").await;
    connect(&server).await;
    let (chat, _) = client_says(&server, "chat-9", "m-10", "Hi").await;
    act(
        &server,
        "message",
        json!({"chat_id": chat, "text": "Slow?"}),
    )
    .await;
    let attempts = attempts(&server, 1).await;
    assert_eq!(attempts[0]["error"], "timeout");
    assert_eq!(attempts[0]["status"], Value::Null);

    let refused = sandbox("http://127.0.0.1:9/kommo/:scope_id", "", "").await;
    connect(&refused).await;
    let (chat, _) = client_says(&refused, "chat-10", "m-11", "Hi").await;
    act(
        &refused,
        "message",
        json!({"chat_id": chat, "text": "Anyone?"}),
    )
    .await;
    let attempts = support::attempts(&refused, 1).await;
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
    let integration = Integration::start(SECRET).await;
    let server = sandbox(&integration.webhook_url(), "", "").await;
    let (status, _) = amojo(
        &server,
        "POST",
        &format!("/v2/origin/custom/{CHANNEL}/connect"),
        json!({"account_id": ACCOUNT, "hook_api_version": "v1"}),
    )
    .await;
    assert_eq!(status, 200);
    let (chat, _) = client_says(&server, "chat-v1", "m-v1", "Hi").await;
    act(&server, "message", json!({"chat_id": chat, "type": "picture", "media": "http://127.0.0.1/p.png", "file_name": "p.png", "file_size": 7})).await;
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
