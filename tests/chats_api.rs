//! The Chats API end to end over real HTTP: every endpoint's success and error paths.

mod common;

use common::{Sb, PREFIX, START};
use serde_json::{json, Value};

const MANAGER: &str = "d0d0d0d0-1111-4222-8333-444444444444";
const BOT: &str = "b0b0b0b0-1111-4222-8333-444444444444";

/// The demo account with a manager, two pipelines (Support is not main) and a
/// source that routes to Support; the demo channel with a known bot.
fn config() -> String {
    format!(
        r#"clock: "{START}"
accounts:
  - amojo_id: 52e591f7-c98f-4255-8495-827210138c81
    users:
      - name: Manager Ann
        amojo_id: {MANAGER}
    pipelines:
      - id: 100
        name: Sales
        is_main: true
      - id: 200
        name: Support
    sources:
      - external_id: support-line
        name: Support line
        pipeline_id: 200
channels:
  - id: 344a5002-f8ca-454d-af3d-396180102ac7
    secret: f2d7f8704eff95087ed45b23ba99c0b5aac8278e
    title: Test channel
    bot:
      id: {BOT}
      name: Helper bot
"#
    )
}

async fn connected() -> Sb {
    let sb = Sb::start(&config()).await;
    sb.connect().await.ok();
    sb
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` is an array in {v}"))
}

fn chat_body(conversation: &str, user: &str) -> Value {
    json!({"conversation_id": conversation, "user": {"id": user, "name": "Jane Client"}})
}

// ---------------------------------------------------------------- connect

#[tokio::test]
async fn connect_is_idempotent_and_echoes_the_request() {
    let sb = Sb::start(&config()).await;
    let body = json!({"account_id": sb.account_id, "title": "My Messenger", "hook_api_version": "v2", "is_time_window_disabled": true});
    let first = sb.connect_with(&body).await.ok().clone();
    assert_eq!(
        first["scope_id"],
        json!(format!("{}_{}", sb.channel_id, sb.account_id))
    );
    assert_eq!(first["account_id"], json!(sb.account_id));
    assert_eq!(first["title"], json!("My Messenger"));
    assert_eq!(first["hook_api_version"], json!("v2"));
    assert_eq!(first["is_time_window_disabled"], json!(true));
    let second = sb.connect_with(&body).await.ok().clone();
    assert_eq!(first, second);
    let world_scopes = sb.state().await["scopes"].as_array().unwrap().len();
    assert_eq!(world_scopes, 1, "connecting twice keeps one scope");

    // Without the optional fields: title = channel title, hook_api_version v1, window on.
    let bare = sb
        .connect_with(&json!({"account_id": sb.account_id}))
        .await
        .ok()
        .clone();
    assert_eq!(bare["title"], json!("Test channel"));
    assert_eq!(bare["hook_api_version"], json!("v1"));
    assert_eq!(bare["is_time_window_disabled"], json!(false));
    assert_eq!(bare["scope_id"], first["scope_id"]);
}

#[tokio::test]
async fn connect_errors() {
    let sb = Sb::start(&config()).await;
    let unknown_account = sb
        .connect_with(&json!({"account_id": "00000000-0000-4000-8000-000000000000"}))
        .await;
    let d = unknown_account.amojo_error(404, "ACCOUNT_NOT_FOUND");
    assert!(d.contains("00000000-0000-4000-8000-000000000000"), "{d}");

    let not_uuid = sb.connect_with(&json!({"account_id": "nope"})).await;
    assert!(not_uuid
        .amojo_error(400, "INVALID_REQUEST")
        .contains("account_id"));

    let bad_version = sb
        .connect_with(&json!({"account_id": sb.account_id, "hook_api_version": "v3"}))
        .await;
    assert!(bad_version
        .amojo_error(400, "INVALID_REQUEST")
        .contains("hook_api_version"));

    let path = format!("{PREFIX}/11111111-2222-4333-8444-555555555555/connect");
    let unknown_channel = sb.post(&path, &json!({"account_id": sb.account_id})).await;
    assert!(unknown_channel
        .amojo_error(404, "ORIGIN_NOT_REGISTERED")
        .contains("11111111-2222-4333-8444-555555555555"));
    assert!(
        sb.state().await["scopes"].as_array().unwrap().is_empty(),
        "no error connected anything"
    );
}

// ---------------------------------------------------------------- disconnect

#[tokio::test]
async fn disconnect_then_scope_calls_are_refused_until_reconnect() {
    let sb = connected().await;
    let chat = sb.create_chat(&chat_body("c-1", "u-1")).await.ok()["id"].clone();

    let r = sb.disconnect().await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (200, ""),
        "disconnect answers 200 with no body"
    );
    let scope = sb.scope_state().await;
    assert_eq!(scope["connected"], json!(false));

    for r in [
        sb.create_chat(&chat_body("c-2", "u-1")).await,
        sb.send(sb.incoming_payload("c-1", "u-1", json!({"type": "text", "text": "hi"}), false))
            .await,
        sb.post(
            &sb.scope_path("/typing"),
            &json!({"conversation_id": "c-1", "sender": {"id": "u-1"}}),
        )
        .await,
        sb.signed(
            "GET",
            &sb.scope_path(&format!("/chats/{}/history", chat.as_str().unwrap())),
            "",
        )
        .await,
    ] {
        let d = r.amojo_error(404, "ORIGIN_NOT_REGISTERED");
        assert!(d.contains(&sb.scope_id), "{d}");
    }

    sb.connect().await.ok();
    let again = sb.create_chat(&chat_body("c-1", "u-1")).await.ok()["id"].clone();
    assert_eq!(again, chat, "the chat survives a reconnect");
}

#[tokio::test]
async fn disconnect_errors() {
    let sb = connected().await;
    let path = format!("{PREFIX}/{}/disconnect", sb.channel_id);
    let r = sb
        .signed(
            "DELETE",
            &path,
            r#"{"account_id":"00000000-0000-4000-8000-000000000000"}"#,
        )
        .await;
    r.amojo_error(404, "ACCOUNT_NOT_FOUND");
    let r = sb.signed("DELETE", &path, "{}").await;
    assert!(r.amojo_error(400, "INVALID_REQUEST").contains("account_id"));
    assert_eq!(sb.scope_state().await["connected"], json!(true));
}

// ---------------------------------------------------------------- create chat

#[tokio::test]
async fn create_chat_is_idempotent_and_uses_two_id_spaces() {
    let sb = connected().await;
    let body = json!({
        "conversation_id": "int-chat-77",
        "source": {"external_id": "support-line"},
        "user": {"id": "int-user-42", "name": "Jane Client", "avatar": "https://example.test/a.png",
                 "profile": {"phone": "+15550001111", "email": "jane@example.test"},
                 "profile_link": "https://example.test/u/42"}
    });
    let first = sb.create_chat(&body).await.ok().clone();
    let chat_id = first["id"].as_str().unwrap().to_string();
    assert!(
        uuid::Uuid::parse_str(&chat_id).is_ok(),
        "chat id is a chats-service UUID: {chat_id}"
    );
    let user = &first["user"];
    assert_ne!(user["id"], json!("int-user-42"));
    assert!(uuid::Uuid::parse_str(user["id"].as_str().unwrap()).is_ok());
    assert_eq!(user["client_id"], json!("int-user-42"));
    assert_eq!(user["name"], json!("Jane Client"));
    assert_eq!(user["avatar"], json!("https://example.test/a.png"));
    assert_eq!(
        user["phone"],
        json!("+15550001111"),
        "phone is flattened out of profile"
    );
    assert_eq!(user["email"], json!("jane@example.test"));
    assert!(user.get("profile").is_none());

    let again = sb.create_chat(&body).await.ok().clone();
    assert_eq!(
        again, first,
        "same conversation_id, same chat and participant"
    );

    // The same user in another conversation is the same participant; no avatar = "", no phone key.
    let other = sb.create_chat(&json!({"conversation_id": "int-chat-78", "user": {"id": "int-user-42", "name": "Jane"}})).await.ok().clone();
    assert_ne!(other["id"], first["id"]);
    assert_eq!(other["user"]["id"], first["user"]["id"]);
    let fresh = sb.create_chat(&json!({"conversation_id": "int-chat-79", "user": {"id": "int-user-43", "name": "Bob"}})).await.ok().clone();
    assert_eq!(fresh["user"]["avatar"], json!(""));
    assert!(
        fresh["user"].get("phone").is_none() && fresh["user"].get("email").is_none(),
        "{}",
        fresh["user"]
    );

    let state = sb.state().await;
    let scope = &state["scopes"][0];
    assert_eq!(arr(scope, "conversations").len(), 3);
    assert_eq!(arr(scope, "participants").len(), 2);
    let conv = arr(scope, "conversations")
        .iter()
        .find(|c| c["id"] == json!(chat_id))
        .unwrap();
    assert_eq!(conv["client_id"], json!("int-chat-77"));
    assert_eq!(conv["source_external_id"], json!("support-line"));
    // A chat without messages creates nothing in the CRM.
    for key in [
        "contacts",
        "leads",
        "incoming_leads",
        "talks",
        "notifications",
    ] {
        assert!(
            arr(&state["account"], key).is_empty(),
            "{key} after create chat"
        );
    }
}

#[tokio::test]
async fn create_chat_errors() {
    let sb = connected().await;
    let r = sb
        .create_chat(&json!({"conversation_id": "c", "user": {"id": "u"}}))
        .await;
    assert!(r.amojo_error(400, "INVALID_REQUEST").contains("user.name"));
    let r = sb
        .create_chat(&json!({"user": {"id": "u", "name": "n"}}))
        .await;
    assert!(r
        .amojo_error(400, "INVALID_REQUEST")
        .contains("conversation_id"));
    let r = sb
        .create_chat(
            &json!({"conversation_id": "c", "user": {"id": "u", "name": "n", "ref_id": "no-such"}}),
        )
        .await;
    assert!(r
        .amojo_error(404, "PARTICIPANT_NOT_FOUND")
        .contains("no-such"));
    let r = sb.create_chat(&json!({"conversation_id": "c", "source": {"external_id": "x".repeat(41)}, "user": {"id": "u", "name": "n"}})).await;
    assert!(r
        .amojo_error(400, "INVALID_REQUEST")
        .contains("source.external_id"));
    assert!(arr(&sb.scope_state().await, "conversations").is_empty());
}

// ---------------------------------------------------------------- new_message

#[tokio::test]
async fn all_nine_message_types_are_accepted_with_their_required_fields() {
    let sb = connected().await;
    let messages = [
        json!({"type": "text", "text": "Hello"}),
        json!({"type": "contact", "contact": {"name": "Bob", "phone": "+15550002222"}}),
        json!({"type": "file", "media": "https://example.test/f.pdf", "file_name": "f.pdf", "file_size": 1024}),
        json!({"type": "video", "media": "https://example.test/v.mp4", "file_name": "v.mp4", "file_size": 2048, "media_duration": 12}),
        json!({"type": "picture", "media": "https://example.test/p.jpg", "file_name": "p.jpg", "file_size": 512, "text": "caption"}),
        json!({"type": "voice", "media": "https://example.test/v.ogg", "media_duration": 3}),
        json!({"type": "audio", "media": "https://example.test/a.mp3"}),
        json!({"type": "sticker", "media": "https://example.test/s.webp", "sticker_id": "st-1"}),
        json!({"type": "location", "location": {"lon": 37.61, "lat": 55.75}}),
    ];
    let mut ids = vec![];
    for m in &messages {
        let r = sb
            .send(sb.incoming_payload("c-types", "u-1", m.clone(), true))
            .await;
        let nm = &r.ok()["new_message"];
        ids.push((nm["msgid"].as_str().unwrap().to_string(), m.clone()));
    }
    let scope = sb.scope_state().await;
    for (id, sent) in ids {
        let stored = arr(&scope, "messages")
            .iter()
            .find(|m| m["id"] == json!(id))
            .unwrap();
        assert_eq!(
            stored["message"], sent,
            "the message object is kept as sent"
        );
    }
}

#[tokio::test]
async fn new_message_answers_with_both_id_spaces() {
    let sb = connected().await;
    let mut payload =
        sb.incoming_payload("c-1", "u-1", json!({"type": "text", "text": "Hi"}), false);
    payload["msgid"] = json!("int-msg-0001");
    let nm = sb.send(payload).await.ok()["new_message"].clone();
    assert_eq!(nm["ref_id"], json!("int-msg-0001"));
    assert_ne!(nm["msgid"], json!("int-msg-0001"));
    assert!(uuid::Uuid::parse_str(nm["msgid"].as_str().unwrap()).is_ok());
    assert_eq!(
        nm["receiver_id"],
        Value::Null,
        "incoming messages have no receiver"
    );
    let scope = sb.scope_state().await;
    assert_eq!(scope["conversations"][0]["id"], nm["conversation_id"]);
    assert_eq!(scope["conversations"][0]["client_id"], json!("c-1"));
    assert_eq!(scope["participants"][0]["id"], nm["sender_id"]);
    assert_eq!(scope["participants"][0]["client_id"], json!("u-1"));
    let m = &scope["messages"][0];
    assert_eq!(
        (m["direction"].as_str(), m["client_id"].as_str()),
        (Some("incoming"), Some("int-msg-0001"))
    );
    assert_eq!(m["timestamp"], json!(sb.now()));
}

#[tokio::test]
async fn silent_import_creates_no_crm_records() {
    let sb = connected().await;
    for i in 0..3 {
        sb.incoming_text("c-import", "u-1", &format!("old {i}"), true)
            .await;
    }
    let state = sb.state().await;
    for key in [
        "contacts",
        "leads",
        "incoming_leads",
        "talks",
        "notifications",
        "events",
    ] {
        assert!(
            arr(&state["account"], key).is_empty(),
            "silent import created {key}: {}",
            state["account"][key]
        );
    }
    let msgs = arr(&state["scopes"][0], "messages");
    assert_eq!(msgs.len(), 3);
    assert!(msgs.iter().all(|m| m["silent"] == json!(true)));

    // The newest message, not silent, creates one incoming lead and one notification.
    sb.incoming_text("c-import", "u-1", "newest", false).await;
    let account = sb.state().await["account"].clone();
    assert_eq!(arr(&account, "incoming_leads").len(), 1);
    assert_eq!(arr(&account, "notifications").len(), 1);
}

#[tokio::test]
async fn first_message_creates_contact_incoming_lead_talk_and_notification() {
    let sb = connected().await;
    let payload = json!({
        "timestamp": sb.now(), "msec_timestamp": sb.now() * 1000, "msgid": "m-1", "conversation_id": "c-src",
        "source": {"external_id": "support-line"},
        "sender": {"id": "u-1", "name": "Jane Client", "profile": {"phone": "+15550001111", "email": "jane@example.test"}},
        "message": {"type": "text", "text": "I need help"}
    });
    let nm = sb.send(payload).await.ok()["new_message"].clone();
    let chat_id = nm["conversation_id"].as_str().unwrap();
    let account = sb.state().await["account"].clone();

    let contacts = arr(&account, "contacts");
    assert_eq!(contacts.len(), 1);
    let contact = &contacts[0];
    assert_eq!(contact["name"], json!("Jane Client"));
    assert_eq!(
        contact["phones"],
        json!([{"value": "+15550001111", "enum_code": "WORK"}])
    );
    assert_eq!(
        contact["emails"],
        json!([{"value": "jane@example.test", "enum_code": "WORK"}])
    );
    assert_eq!(contact["chat_ids"], json!([chat_id]));

    let leads = arr(&account, "leads");
    assert_eq!(leads.len(), 1);
    assert_eq!(
        leads[0]["pipeline_id"],
        json!(200),
        "the source decides the pipeline"
    );
    assert_eq!(
        leads[0]["status_id"],
        json!(2001),
        "incoming leads stage of Support"
    );
    assert_eq!(leads[0]["contact_ids"], json!([contact["id"]]));

    let incoming = arr(&account, "incoming_leads");
    assert_eq!(incoming.len(), 1);
    assert_eq!(incoming[0]["pipeline_id"], json!(200));
    assert_eq!(incoming[0]["chat_id"], json!(chat_id));
    assert_eq!(incoming[0]["source_name"], json!("Support line"));

    let talks = arr(&account, "talks");
    assert_eq!(talks.len(), 1);
    assert_eq!(talks[0]["chat_id"], json!(chat_id));
    assert_eq!(talks[0]["entity_id"], leads[0]["id"]);

    let notes = arr(&account, "notifications");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["kind"], json!("incoming_message"));
    assert!(notes[0]["text"].as_str().unwrap().contains("I need help"));

    // A second message in the same chat: same contact, lead and talk; one more notification.
    sb.incoming_text("c-src", "u-1", "still there?", false)
        .await;
    let account = sb.state().await["account"].clone();
    assert_eq!(
        (
            arr(&account, "contacts").len(),
            arr(&account, "leads").len(),
            arr(&account, "talks").len()
        ),
        (1, 1, 1)
    );
    assert_eq!(arr(&account, "notifications").len(), 2);
}

#[tokio::test]
async fn without_a_source_the_lead_goes_to_the_main_pipeline() {
    let sb = connected().await;
    sb.incoming_text("c-plain", "u-1", "hello", false).await;
    // An unknown source with no default source falls back to the main pipeline too.
    let mut p = sb.incoming_payload(
        "c-unknown-src",
        "u-2",
        json!({"type": "text", "text": "hi"}),
        false,
    );
    p["source"] = json!({"external_id": "nobody knows"});
    sb.send(p).await.ok();
    let account = sb.state().await["account"].clone();
    let leads = arr(&account, "leads");
    assert_eq!(leads.len(), 2);
    assert!(
        leads
            .iter()
            .all(|l| l["pipeline_id"] == json!(100) && l["status_id"] == json!(1001)),
        "{leads:?}"
    );
}

#[tokio::test]
async fn source_external_id_is_kept_on_the_message() {
    let sb = connected().await;
    let mut p = sb.incoming_payload("c-1", "u-1", json!({"type": "text", "text": "hi"}), true);
    p["source"] = json!({"external_id": "support line 2"});
    let id = sb.send(p).await.ok()["new_message"]["msgid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        sb.message_state(&id).await["source_external_id"],
        json!("support line 2")
    );
    let mut p = sb.incoming_payload("c-1", "u-1", json!({"type": "text", "text": "hi"}), true);
    p["source"] = json!({"external_id": "tab\there"});
    assert!(sb
        .send(p)
        .await
        .amojo_error(400, "INVALID_REQUEST")
        .contains("source.external_id"));
}

#[tokio::test]
async fn reply_to_must_quote_a_message_of_the_same_chat() {
    let sb = connected().await;
    let first = sb.incoming_text("c-a", "u-1", "question", true).await;
    let elsewhere = sb.incoming_text("c-b", "u-2", "other chat", true).await;

    let mut p = sb.incoming_payload("c-a", "u-1", json!({"type": "text", "text": "re"}), true);
    p["reply_to"] = json!({"message": {"msgid": first["ref_id"]}});
    let id = sb.send(p).await.ok()["new_message"]["msgid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        sb.message_state(&id).await["reply_to"],
        json!({"message": {"msgid": first["ref_id"]}})
    );

    let mut p = sb.incoming_payload("c-a", "u-1", json!({"type": "text", "text": "re"}), true);
    p["reply_to"] = json!({"message": {"id": first["msgid"]}});
    sb.send(p).await.ok();

    let mut p = sb.incoming_payload("c-a", "u-1", json!({"type": "text", "text": "re"}), true);
    p["reply_to"] = json!({"message": {"id": elsewhere["msgid"]}});
    assert!(sb
        .send(p)
        .await
        .amojo_error(400, "INVALID_REQUEST")
        .contains("same chat"));

    let mut p = sb.incoming_payload("c-a", "u-1", json!({"type": "text", "text": "re"}), true);
    p["reply_to"] = json!({"message": {"msgid": "never-sent"}});
    assert!(sb
        .send(p)
        .await
        .amojo_error(404, "MESSAGE_NOT_FOUND")
        .contains("never-sent"));

    // A quote described in full (not in the sandbox) is accepted as is.
    let mut p = sb.incoming_payload("c-a", "u-1", json!({"type": "text", "text": "re"}), true);
    p["reply_to"] = json!({"message": {"type": "text", "text": "old words", "timestamp": 1}});
    sb.send(p).await.ok();
}

#[tokio::test]
async fn forwards_hold_at_most_one_message_from_any_chat() {
    let sb = connected().await;
    let a = sb.incoming_text("c-a", "u-1", "one", true).await;
    let b = sb.incoming_text("c-b", "u-1", "two", true).await;

    let mut p = sb.incoming_payload("c-c", "u-1", json!({"type": "text", "text": "fwd"}), true);
    p["forwards"] =
        json!({"messages": [{"id": a["msgid"]}], "conversation_ref_id": a["conversation_id"]});
    let id = sb.send(p).await.ok()["new_message"]["msgid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        sb.message_state(&id).await["forwards"]["messages"][0]["id"],
        a["msgid"]
    );

    let mut p = sb.incoming_payload("c-c", "u-1", json!({"type": "text", "text": "fwd"}), true);
    p["forwards"] = json!({"messages": [{"id": a["msgid"]}, {"id": b["msgid"]}]});
    assert!(sb
        .send(p)
        .await
        .amojo_error(400, "INVALID_REQUEST")
        .contains("forwards.messages"));
}

#[tokio::test]
async fn duplicate_msgid_names_the_earlier_message() {
    let sb = connected().await;
    let mut p = sb.incoming_payload("c-1", "u-1", json!({"type": "text", "text": "once"}), false);
    p["msgid"] = json!("dup-1");
    let first = sb.send(p.clone()).await.ok()["new_message"].clone();
    let before = sb.state_text().await;
    p["message"]["text"] = json!("twice");
    let d = sb.send(p).await.amojo_error(400, "DUPLICATE_MSGID");
    assert!(
        d.contains("dup-1") && d.contains(first["msgid"].as_str().unwrap()),
        "{d}"
    );
    assert_eq!(
        sb.state_text().await,
        before,
        "a refused duplicate changes nothing"
    );
}

// ---------------------------------------------------------------- edit_message

#[tokio::test]
async fn edit_message_replaces_the_body_and_keeps_the_previous_one() {
    let sb = connected().await;
    let mut p = sb.incoming_payload("c-1", "u-1", json!({"type": "picture", "media": "https://example.test/p.jpg", "file_name": "p.jpg", "file_size": 10, "text": "before"}), false);
    p["msgid"] = json!("m-edit");
    let nm = sb.send(p).await.ok()["new_message"].clone();

    let edit = json!({"msgid": "m-edit", "conversation_id": "c-1", "timestamp": sb.now(),
        "message": {"type": "picture", "file_name": "p.jpg", "file_size": 10, "text": "after"}});
    let r = sb.event("edit_message", edit).await;
    assert_eq!(r.ok()["new_message"]["msgid"], nm["msgid"]);
    assert_eq!(r.json["new_message"]["ref_id"], json!("m-edit"));
    let m = sb.message_state(nm["msgid"].as_str().unwrap()).await;
    assert_eq!(m["message"]["text"], json!("after"));
    assert_eq!(
        m["message"]["media"],
        json!("https://example.test/p.jpg"),
        "media left out on edit is kept"
    );
    assert_eq!(m["edits"][0]["previous"]["text"], json!("before"));

    // By the sandbox id, with a new msgid that becomes the integration-side id.
    let edit = json!({"id": nm["msgid"], "msgid": "m-edit-renamed", "message": {"type": "text", "text": "third"}});
    sb.event("edit_message", edit).await.ok();
    let m = sb.message_state(nm["msgid"].as_str().unwrap()).await;
    assert_eq!(
        (m["client_id"].as_str(), m["message"]["text"].as_str()),
        (Some("m-edit-renamed"), Some("third"))
    );
    assert_eq!(m["edits"].as_array().unwrap().len(), 2);

    // Edits never notify: still the one notification of the first message.
    assert_eq!(arr(&sb.state().await["account"], "notifications").len(), 1);

    let r = sb
        .event(
            "edit_message",
            json!({"msgid": "nope", "message": {"type": "text", "text": "x"}}),
        )
        .await;
    r.amojo_error(404, "MESSAGE_NOT_FOUND");
    let r = sb
        .event(
            "edit_message",
            json!({"message": {"type": "text", "text": "x"}}),
        )
        .await;
    assert!(r.amojo_error(400, "INVALID_REQUEST").contains("payload.id"));
}

// ---------------------------------------------------------------- outgoing

#[tokio::test]
async fn outgoing_messages_name_a_manager_or_the_bot_in_sender_ref_id() {
    let sb = connected().await;
    let client = sb.incoming_text("c-1", "u-1", "hello", false).await;
    let leads_before = arr(&sb.state().await["account"], "leads").len();

    for (author, kind) in [(MANAGER, "user"), (BOT, "bot")] {
        let n = sb.next();
        let payload = json!({
            "timestamp": sb.now(), "msec_timestamp": sb.now() * 1000, "msgid": format!("out-{n}"), "conversation_id": "c-1",
            "sender": {"id": format!("int-{kind}"), "ref_id": author, "name": "Kommo side"},
            "receiver": {"id": "u-1", "name": "Client u-1"},
            "message": {"type": "text", "text": "We are on it"}
        });
        let nm = sb.send(payload).await.ok()["new_message"].clone();
        assert_eq!(
            nm["sender_id"],
            json!(author),
            "the author's chats-service id"
        );
        assert_eq!(
            nm["receiver_id"], client["sender_id"],
            "the client is the receiver"
        );
        assert_eq!(nm["conversation_id"], client["conversation_id"]);
        let m = sb.message_state(nm["msgid"].as_str().unwrap()).await;
        assert_eq!(m["direction"], json!("outgoing"));
        assert_eq!(m["statuses"][0]["status"], json!("sent"));
        let scope = sb.scope_state().await;
        let p = arr(&scope, "participants")
            .iter()
            .find(|p| p["id"] == json!(author))
            .unwrap()
            .clone();
        assert_eq!(p["kind"], json!(kind));
    }
    let account = sb.state().await["account"].clone();
    assert_eq!(
        arr(&account, "leads").len(),
        leads_before,
        "outgoing messages open no lead"
    );
    assert_eq!(
        arr(&account, "notifications").len(),
        1,
        "outgoing messages notify nobody"
    );

    let payload = json!({
        "timestamp": sb.now(), "msgid": "out-bad", "conversation_id": "c-1",
        "sender": {"id": "int-x", "ref_id": "11111111-1111-4111-8111-111111111111", "name": "?"},
        "receiver": {"id": "u-1", "name": "Client"},
        "message": {"type": "text", "text": "x"}
    });
    let d = sb.send(payload).await.amojo_error(400, "INVALID_REQUEST");
    assert!(d.contains("sender.ref_id") && d.contains(BOT), "{d}");
}

// ---------------------------------------------------------------- write first

#[tokio::test]
async fn write_first_chat_binds_through_conversation_ref_id() {
    let sb = connected().await;
    // A chat Kommo opened itself ("write first"): made here directly in the
    // domain, from a chat created through the API with its integration ids removed.
    let template = sb
        .create_chat(
            &json!({"conversation_id": "tmp", "user": {"id": "tmp-user", "name": "Phone client",
        "profile": {"phone": "+15550009999"}}}),
        )
        .await
        .ok()
        .clone();
    let (wf_chat, wf_client) = {
        let mut world = sb.sandbox().world();
        let scope = world
            .scopes
            .iter_mut()
            .find(|s| s.scope_id == sb.scope_id)
            .unwrap();
        let mut conv = scope.conversations[0].clone();
        let mut person = scope.participants[0].clone();
        conv.id = "5d0c1a7e-2f3b-4c4d-9e5f-60718293a4b5".into();
        conv.client_id = None;
        conv.write_first_phone = Some("+15550009999".into());
        person.id = "a1b2c3d4-0000-4000-8000-00000000c001".into();
        person.client_id = None;
        conv.client_participant_id = person.id.clone();
        scope.add_conversation(conv.clone());
        scope.add_participant(person.clone());
        (conv.id, person.id)
    };
    assert_ne!(template["id"], json!(wf_chat));

    let payload = json!({
        "timestamp": sb.now(), "msgid": "wf-1", "conversation_id": "wa-15550009999", "conversation_ref_id": wf_chat,
        "sender": {"id": "wa-user-9999", "ref_id": wf_client, "name": "Phone client"},
        "message": {"type": "text", "text": "Who is this?"}
    });
    let nm = sb.send(payload).await.ok()["new_message"].clone();
    assert_eq!(
        nm["conversation_id"],
        json!(wf_chat),
        "the answer lands in the write-first chat"
    );
    assert_eq!(nm["sender_id"], json!(wf_client));
    let scope = sb.scope_state().await;
    let conv = arr(&scope, "conversations")
        .iter()
        .find(|c| c["id"] == json!(wf_chat))
        .unwrap()
        .clone();
    assert_eq!(
        conv["client_id"],
        json!("wa-15550009999"),
        "conversation_id is now bound"
    );
    let person = arr(&scope, "participants")
        .iter()
        .find(|p| p["id"] == json!(wf_client))
        .unwrap()
        .clone();
    assert_eq!(
        person["client_id"],
        json!("wa-user-9999"),
        "sender.id is now bound"
    );

    // From now on the integration's own ids reach the same chat.
    let next = sb
        .incoming_text("wa-15550009999", "wa-user-9999", "hello?", false)
        .await;
    assert_eq!(
        (next["conversation_id"].as_str(), next["sender_id"].as_str()),
        (Some(wf_chat.as_str()), Some(wf_client.as_str()))
    );

    // A bound chat cannot be re-bound to another conversation_id; an unknown ref is 404.
    let mut p = sb.incoming_payload(
        "other-conv",
        "wa-user-9999",
        json!({"type": "text", "text": "x"}),
        false,
    );
    p["conversation_ref_id"] = json!(wf_chat);
    assert!(sb
        .send(p)
        .await
        .amojo_error(400, "INVALID_REQUEST")
        .contains("already bound"));
    let mut p = sb.incoming_payload(
        "other-conv",
        "wa-user-9999",
        json!({"type": "text", "text": "x"}),
        false,
    );
    p["conversation_ref_id"] = json!("00000000-0000-4000-8000-000000000000");
    sb.send(p).await.amojo_error(404, "CHAT_NOT_FOUND");
}

// ---------------------------------------------------------------- delivery status

async fn outgoing(sb: &Sb, conversation: &str) -> String {
    let n = sb.next();
    let payload = json!({
        "timestamp": sb.now(), "msgid": format!("out-{n}"), "conversation_id": conversation,
        "sender": {"id": "int-manager", "ref_id": MANAGER, "name": "Manager Ann"},
        "receiver": {"id": "u-1", "name": "Client u-1"},
        "message": {"type": "text", "text": "outgoing"}
    });
    sb.send(payload).await.ok()["new_message"]["msgid"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn delivery(sb: &Sb, msgid: &str, body: Value) -> common::Resp {
    sb.post(&sb.scope_path(&format!("/{msgid}/delivery_status")), &body)
        .await
}

#[tokio::test]
async fn delivery_status_records_delivered_read_and_errors() {
    let sb = connected().await;
    sb.incoming_text("c-1", "u-1", "hi", true).await;
    let id = outgoing(&sb, "c-1").await;

    for body in [
        json!({"msgid": id, "delivery_status": 1}),
        json!({"msgid": id, "delivery_status": 2}),
        json!({"msgid": id, "status_code": 2}),
    ] {
        let r = delivery(&sb, &id, body).await;
        assert_eq!(
            (r.status, r.text.as_str()),
            (200, ""),
            "delivery_status answers 200 with no body"
        );
    }
    for code in [901, 902, 903, 904] {
        delivery(
            &sb,
            &id,
            json!({"msgid": id, "delivery_status": -1, "error_code": code}),
        )
        .await
        .ok();
    }
    let d = delivery(
        &sb,
        &id,
        json!({"msgid": id, "delivery_status": -1, "error_code": 905}),
    )
    .await
    .amojo_error(400, "INVALID_REQUEST");
    assert!(d.contains("905") && d.contains("error"), "{d}");
    delivery(
        &sb,
        &id,
        json!({"msgid": id, "delivery_status": -1, "error_code": 905, "error": "Blocked by user"}),
    )
    .await
    .ok();

    let m = sb.message_state(&id).await;
    let history: Vec<(String, Option<i64>)> = m["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["status"].as_str().unwrap().to_string(),
                s["error_code"].as_i64(),
            )
        })
        .collect();
    let expected: Vec<(String, Option<i64>)> = [
        ("sent", None),
        ("delivered", None),
        ("read", None),
        ("read", None),
    ]
    .into_iter()
    .chain([901, 902, 903, 904, 905].map(|c| ("error", Some(c))))
    .map(|(s, c)| (s.to_string(), c))
    .collect();
    assert_eq!(history, expected);
    assert_eq!(
        m["statuses"].as_array().unwrap().last().unwrap()["error"],
        json!("Blocked by user")
    );
}

#[tokio::test]
async fn delivery_status_errors() {
    let sb = connected().await;
    sb.incoming_text("c-1", "u-1", "hi", true).await;
    let id = outgoing(&sb, "c-1").await;
    let unknown = "079e44fb-fc22-476b-9e8a-421b688ec53b";
    let d = delivery(
        &sb,
        unknown,
        json!({"msgid": unknown, "delivery_status": 1}),
    )
    .await
    .amojo_error(404, "MESSAGE_NOT_FOUND");
    assert!(d.contains(unknown));
    // The integration's own msgid is not the path id; the hint says so.
    let own = sb.message_state(&id).await["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = delivery(&sb, &own, json!({"msgid": own, "delivery_status": 1}))
        .await
        .amojo_error(404, "MESSAGE_NOT_FOUND");
    assert!(d.contains("your msgid"), "{d}");
    for (body, needle) in [
        (json!({"msgid": "other", "delivery_status": 1}), "msgid"),
        (json!({"msgid": id}), "delivery_status"),
        (
            json!({"msgid": id, "delivery_status": 3}),
            "delivery_status",
        ),
        (json!({"msgid": id, "delivery_status": -1}), "error_code"),
        (
            json!({"msgid": id, "delivery_status": -1, "error_code": 906}),
            "906",
        ),
    ] {
        let d = delivery(&sb, &id, body.clone())
            .await
            .amojo_error(400, "INVALID_REQUEST");
        assert!(d.contains(needle), "{body}: {d}");
    }
    assert_eq!(
        sb.message_state(&id).await["statuses"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "only `sent`"
    );
}

// ---------------------------------------------------------------- typing

#[tokio::test]
async fn typing_answers_204() {
    let sb = connected().await;
    sb.incoming_text("c-1", "u-1", "hi", true).await;
    let r = sb
        .post(
            &sb.scope_path("/typing"),
            &json!({"conversation_id": "c-1", "sender": {"id": "u-1"}}),
        )
        .await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let conv = sb.scope_state().await["conversations"][0].clone();
    assert_eq!(
        conv["client_typing_until"],
        json!(sb.now() + 5),
        "default duration 5000 ms"
    );

    let r = sb
        .post(
            &sb.scope_path("/typing"),
            &json!({"conversation_id": "c-1", "sender": {"id": "u-1"}, "duration_ms": 20000}),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        sb.scope_state().await["conversations"][0]["client_typing_until"],
        json!(sb.now() + 20)
    );

    let r = sb
        .post(
            &sb.scope_path("/typing"),
            &json!({"conversation_id": "nope", "sender": {"id": "u-1"}}),
        )
        .await;
    r.amojo_error(404, "CHAT_NOT_FOUND");
    let r = sb
        .post(
            &sb.scope_path("/typing"),
            &json!({"conversation_id": "c-1", "sender": {}}),
        )
        .await;
    assert!(r.amojo_error(400, "INVALID_REQUEST").contains("sender.id"));
}

// ---------------------------------------------------------------- react

#[tokio::test]
async fn react_and_unreact() {
    let sb = connected().await;
    let m = sb.incoming_text("c-1", "u-1", "hi", true).await;
    let id = outgoing(&sb, "c-1").await;
    let sbr = &sb;
    let react = |body: Value| async move { sbr.post(&sbr.scope_path("/react"), &body).await };

    let r = react(json!({"conversation_id": "c-1", "id": id, "user": {"id": "u-1"}, "type": "react", "emoji": "👍"})).await;
    assert_eq!((r.status, r.text.as_str()), (200, ""));
    let r = react(json!({"conversation_ref_id": m["conversation_id"], "msgid": m["ref_id"], "user": {"id": "u-1"}, "type": "react", "emoji": "❤️"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let reactions = sb.message_state(&id).await["reactions"].clone();
    assert_eq!(reactions[0]["emoji"], json!("👍"));
    assert_eq!(
        reactions[0]["participant_id"], m["sender_id"],
        "the client's chats-service id"
    );

    react(json!({"conversation_id": "c-1", "id": id, "user": {"id": "u-1"}, "type": "unreact"}))
        .await
        .ok();
    assert!(sb.message_state(&id).await["reactions"]
        .as_array()
        .unwrap()
        .is_empty());

    let r = react(json!({"conversation_id": "c-1", "id": "00000000-0000-4000-8000-000000000000", "user": {"id": "u-1"}, "type": "react", "emoji": "👍"})).await;
    r.amojo_error(404, "MESSAGE_NOT_FOUND");
    let r =
        react(json!({"conversation_id": "c-1", "id": id, "user": {"id": "u-1"}, "type": "react"}))
            .await;
    assert!(r.amojo_error(400, "INVALID_REQUEST").contains("emoji"));
    let r = react(json!({"conversation_id": "c-1", "id": id, "user": {"id": "u-1"}, "type": "like", "emoji": "👍"})).await;
    assert!(r.amojo_error(400, "INVALID_REQUEST").contains("like"));
}

// ---------------------------------------------------------------- history

async fn history(sb: &Sb, chat: &str, query: &str) -> common::Resp {
    sb.signed(
        "GET",
        &format!(
            "{}{query}",
            sb.scope_path(&format!("/chats/{chat}/history"))
        ),
        "",
    )
    .await
}

#[tokio::test]
async fn history_is_newest_first_and_paged() {
    let sb = connected().await;
    let mut chat = String::new();
    for i in 0..55 {
        let nm = sb.incoming_text("c-h", "u-1", &format!("m{i}"), true).await;
        chat = nm["conversation_id"].as_str().unwrap().to_string();
        sb.sandbox().clock.advance(1);
    }
    let out = outgoing(&sb, "c-h").await;

    let texts = |r: &common::Resp| -> Vec<String> {
        arr(r.ok(), "messages")
            .iter()
            .map(|m| m["message"]["text"].as_str().unwrap().to_string())
            .collect()
    };
    let page = history(&sb, &chat, "").await;
    let got = texts(&page);
    assert_eq!(got.len(), 50, "limit defaults to the maximum, 50");
    assert_eq!(got[0], "outgoing");
    assert_eq!(got[1], "m54");
    let first = &arr(&page.json, "messages")[0];
    assert_eq!(first["message"]["id"], json!(out));
    assert_eq!(first["sender"]["id"], json!(MANAGER));
    assert!(
        first["sender"].get("client_id").is_none(),
        "CRM users carry only id and name: {}",
        first["sender"]
    );
    assert_eq!(first["receiver"]["client_id"], json!("u-1"));
    // Empty values are there, as in Kommo's example.
    for (key, empty) in [
        ("media", json!("")),
        ("thumbnail", json!("")),
        ("file_name", json!("")),
        ("file_size", json!(0)),
    ] {
        assert_eq!(first["message"][key], empty, "{key}: {first}");
    }
    let stamps: Vec<i64> = arr(&page.json, "messages")
        .iter()
        .map(|m| m["timestamp"].as_i64().unwrap())
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {stamps:?}"
    );

    assert_eq!(
        texts(&history(&sb, &chat, "?limit=3").await),
        ["outgoing", "m54", "m53"]
    );
    assert_eq!(
        texts(&history(&sb, &chat, "?offset=2&limit=2").await),
        ["m53", "m52"]
    );
    assert_eq!(
        texts(&history(&sb, &chat, "?offset=50&limit=50").await),
        ["m5", "m4", "m3", "m2", "m1", "m0"]
    );

    let past_end = history(&sb, &chat, "?offset=56").await;
    assert_eq!((past_end.status, past_end.text.as_str()), (204, ""));
    let unknown = history(&sb, "00000000-0000-4000-8000-000000000000", "").await;
    assert_eq!((unknown.status, unknown.text.as_str()), (204, ""));
    let empty_chat = sb.create_chat(&chat_body("c-empty", "u-9")).await.ok()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(history(&sb, &empty_chat, "").await.status, 204);

    let d = history(&sb, &chat, "?limit=51")
        .await
        .amojo_error(400, "INVALID_REQUEST");
    assert!(d.contains("limit") && d.contains("50"), "{d}");
    assert!(history(&sb, &chat, "?offset=-1")
        .await
        .amojo_error(400, "INVALID_REQUEST")
        .contains("offset"));
}

#[tokio::test]
async fn method_not_allowed_names_the_allowed_method() {
    let sb = connected().await;
    for (method, path, allowed) in [
        ("GET", format!("{PREFIX}/{}/connect", sb.channel_id), "POST"),
        (
            "POST",
            format!("{PREFIX}/{}/disconnect", sb.channel_id),
            "DELETE",
        ),
        ("POST", sb.scope_path("/chats/x/history"), "GET"),
    ] {
        let resp = sb
            .http
            .request(method.parse().unwrap(), format!("{}{path}", sb.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 405);
        assert_eq!(
            resp.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some(allowed),
            "{method} {path}"
        );
    }
}
