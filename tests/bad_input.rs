//! Bad input, table-driven: every row must be refused with the right status and
//! `error_type`, an `error_description` that names the problem, and no change
//! at all to the account state; the sandbox keeps answering afterwards.

mod common;

use common::{Sb, PREFIX, START};
use kommo_sandbox::signature::{content_md5, hmac_sha1_hex, string_to_sign};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

const MANAGER: &str = "d0d0d0d0-1111-4222-8333-444444444444";
const LIMIT: usize = 4096;

fn config() -> String {
    format!(
        r#"clock: "{START}"
settings:
  max_body_bytes: {LIMIT}
accounts:
  - amojo_id: 52e591f7-c98f-4255-8495-827210138c81
    users:
      - name: Manager Ann
        amojo_id: {MANAGER}
  - amojo_id: 0b1c2d3e-1111-4222-8333-444455556666
"#
    )
}

/// How a row's request is made.
enum Req {
    /// Signed correctly with the channel secret.
    Signed {
        method: &'static str,
        path: String,
        body: String,
    },
    /// Exactly these headers and bytes.
    Raw {
        method: &'static str,
        path: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

struct Row {
    name: &'static str,
    req: Req,
    status: u16,
    error_type: &'static str,
    /// Words the description must contain.
    needles: Vec<String>,
}

fn row(
    name: &'static str,
    req: Req,
    status: u16,
    error_type: &'static str,
    needles: &[&str],
) -> Row {
    Row {
        name,
        req,
        status,
        error_type,
        needles: needles.iter().map(|s| s.to_string()).collect(),
    }
}

fn post(path: String, body: impl ToString) -> Req {
    Req::Signed {
        method: "POST",
        path,
        body: body.to_string(),
    }
}

/// A valid incoming text message, to be broken one field at a time; each has
/// its own msgid so that a row wrongly accepted cannot mask the next ones.
fn good_payload() -> Value {
    static N: AtomicUsize = AtomicUsize::new(0);
    let msgid = format!("fresh-{}", N.fetch_add(1, Ordering::Relaxed));
    json!({
        "timestamp": 1639660529, "msec_timestamp": 1_639_660_529_379i64, "msgid": msgid,
        "conversation_id": "c-1", "sender": {"id": "u-1", "name": "Jane"},
        "message": {"type": "text", "text": "hi"}, "silent": false
    })
}

fn msg(payload: Value) -> Value {
    json!({"event_type": "new_message", "payload": payload})
}

fn with(mut v: Value, pointer: &str, value: Value) -> Value {
    *v.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}")) = value;
    v
}

fn without(mut v: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    v.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key)
        .unwrap_or_else(|| panic!("{pointer}"));
    v
}

fn with_message(message: Value) -> Value {
    msg(with(good_payload(), "/message", message))
}

/// Signs with a content type other than JSON, correctly, to reach the 415 check.
fn signed_as(sb: &Sb, method: &'static str, path: String, content_type: &str, body: &str) -> Req {
    let md5 = content_md5(body.as_bytes());
    let date = sb.date();
    let sig = hmac_sha1_hex(
        &sb.secret,
        string_to_sign(method, &md5, content_type, &date, &path).as_bytes(),
    );
    let headers = vec![
        ("Date".to_string(), date),
        ("Content-Type".to_string(), content_type.to_string()),
        ("Content-MD5".to_string(), md5),
        ("X-Signature".to_string(), sig),
    ];
    Req::Raw {
        method,
        path,
        headers,
        body: body.as_bytes().to_vec(),
    }
}

async fn send(sb: &Sb, req: &Req) -> common::Resp {
    match req {
        Req::Signed { method, path, body } => sb.signed(method, path, body).await,
        Req::Raw {
            method,
            path,
            headers,
            body,
        } => {
            let h: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            sb.raw(method, path, &h, body.clone()).await
        }
    }
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let sb = Sb::start(&config()).await;
    sb.connect().await.ok();
    let first = sb.incoming_text("c-1", "u-1", "hello", false).await;
    sb.incoming_text("c-2", "u-2", "other chat", true).await;
    let out = sb
        .send(json!({"timestamp": 1639660529, "msgid": "out-1", "conversation_id": "c-1",
            "sender": {"id": "mgr", "ref_id": MANAGER, "name": "Ann"}, "receiver": {"id": "u-1", "name": "Jane"},
            "message": {"type": "text", "text": "reply"}}))
        .await
        .ok()["new_message"]["msgid"]
        .as_str()
        .unwrap()
        .to_string();
    let chat = first["conversation_id"].as_str().unwrap().to_string();
    let first_msgid = first["ref_id"].as_str().unwrap().to_string();

    let scope = sb.scope_path("");
    let chats = sb.scope_path("/chats");
    let typing = sb.scope_path("/typing");
    let react = sb.scope_path("/react");
    let status = sb.scope_path(&format!("/{out}/delivery_status"));
    let history = |q: &str| sb.scope_path(&format!("/chats/{chat}/history{q}"));
    let connect = format!("{PREFIX}/{}/connect", sb.channel_id);
    let other_account = "0b1c2d3e-1111-4222-8333-444455556666";
    let unconnected_scope = format!("{PREFIX}/{}_{other_account}", sb.channel_id);
    let ds = |body: Value| post(status.clone(), body);

    let rows = vec![
        // Syntax and types.
        row(
            "malformed JSON",
            post(scope.clone(), r#"{"event_type":"new_message","payload":{"#),
            400,
            "INVALID_JSON",
            &["malformed JSON", "line 1"],
        ),
        row(
            "trailing garbage",
            post(scope.clone(), format!("{} x", msg(good_payload()))),
            400,
            "INVALID_JSON",
            &["malformed JSON", "trailing characters"],
        ),
        row(
            "empty body",
            post(scope.clone(), ""),
            400,
            "INVALID_REQUEST",
            &["empty"],
        ),
        row(
            "array instead of object",
            post(scope.clone(), "[]"),
            400,
            "INVALID_REQUEST",
            &["JSON object"],
        ),
        row(
            "array read field by field",
            post(scope.clone(), json!(["new_message", good_payload()])),
            400,
            "INVALID_REQUEST",
            &["JSON object"],
        ),
        row(
            // All thirteen fields in order: a derived struct would take it.
            "payload as an array",
            post(
                scope.clone(),
                json!({"event_type": "new_message", "payload": [
                    1639660529, 1_639_660_529_379i64, "m-arr", null, "c-1", null, false, null,
                    {"id": "u-1", "name": "Jane"}, null, {"type": "text", "text": "hi"}, null, null
                ]}),
            ),
            400,
            "INVALID_REQUEST",
            &["`payload`", "JSON object"],
        ),
        row(
            "timestamp as a string",
            post(
                scope.clone(),
                msg(with(good_payload(), "/timestamp", json!("123"))),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.timestamp", "string"],
        ),
        row(
            "msec_timestamp as a float",
            post(
                scope.clone(),
                msg(with(good_payload(), "/msec_timestamp", json!(1.5))),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.msec_timestamp"],
        ),
        row(
            "timestamp near i64::MAX",
            post(
                scope.clone(),
                msg(with(good_payload(), "/timestamp", json!(i64::MAX - 1))),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.timestamp", "1970"],
        ),
        row(
            "negative timestamp",
            post(
                scope.clone(),
                msg(with(good_payload(), "/timestamp", json!(-5))),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.timestamp"],
        ),
        row(
            "msec_timestamp past year 9999",
            post(
                scope.clone(),
                msg(with(good_payload(), "/msec_timestamp", json!(i64::MAX))),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.msec_timestamp"],
        ),
        row(
            "silent as a string",
            post(
                scope.clone(),
                msg(with(good_payload(), "/silent", json!("false"))),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.silent"],
        ),
        row(
            "file_size as a string",
            post(
                scope.clone(),
                with_message(
                    json!({"type": "file", "media": "https://x.test/f", "file_name": "f", "file_size": "10"}),
                ),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.message.file_size"],
        ),
        row(
            "negative file_size",
            post(
                scope.clone(),
                with_message(
                    json!({"type": "file", "media": "https://x.test/f", "file_name": "f", "file_size": -1}),
                ),
            ),
            400,
            "INVALID_REQUEST",
            &["file_size"],
        ),
        row(
            "location lat as a string",
            post(
                scope.clone(),
                with_message(json!({"type": "location", "location": {"lon": 1.0, "lat": "2"}})),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.message.location.lat"],
        ),
        row(
            "sender id as a number",
            post(
                scope.clone(),
                msg(with(good_payload(), "/sender/id", json!(42))),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.sender.id"],
        ),
        row(
            "connect account_id as a number",
            post(connect.clone(), json!({"account_id": 5})),
            400,
            "INVALID_REQUEST",
            &["account_id"],
        ),
        row(
            "connect is_time_window_disabled as a string",
            post(
                connect.clone(),
                json!({"account_id": sb.account_id, "is_time_window_disabled": "yes"}),
            ),
            400,
            "INVALID_REQUEST",
            &["is_time_window_disabled"],
        ),
        // Missing fields of new_message.
        row(
            "no event_type",
            post(scope.clone(), json!({"payload": good_payload()})),
            400,
            "INVALID_REQUEST",
            &["event_type"],
        ),
        row(
            "unknown event_type",
            post(
                scope.clone(),
                json!({"event_type": "delete_message", "payload": good_payload()}),
            ),
            400,
            "INVALID_REQUEST",
            &["delete_message"],
        ),
        row(
            "no msgid",
            post(scope.clone(), msg(without(good_payload(), "/msgid"))),
            400,
            "INVALID_REQUEST",
            &["payload.msgid"],
        ),
        row(
            "empty msgid",
            post(
                scope.clone(),
                msg(with(good_payload(), "/msgid", json!(""))),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.msgid"],
        ),
        row(
            "no conversation_id",
            post(
                scope.clone(),
                msg(without(good_payload(), "/conversation_id")),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.conversation_id"],
        ),
        row(
            "no timestamp",
            post(scope.clone(), msg(without(good_payload(), "/timestamp"))),
            400,
            "INVALID_REQUEST",
            &["payload.timestamp"],
        ),
        row(
            "no sender",
            post(scope.clone(), msg(without(good_payload(), "/sender"))),
            400,
            "INVALID_REQUEST",
            &["payload.sender"],
        ),
        row(
            "no message",
            post(scope.clone(), msg(without(good_payload(), "/message"))),
            400,
            "INVALID_REQUEST",
            &["payload.message"],
        ),
        row(
            "new client without a name",
            post(
                scope.clone(),
                msg(with(
                    with(good_payload(), "/sender", json!({"id": "u-new"})),
                    "/conversation_id",
                    json!("c-new"),
                )),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.sender.name"],
        ),
        row(
            "id with new_message",
            post(
                scope.clone(),
                msg(with(good_payload(), "/msgid", json!("x"))
                    .as_object()
                    .cloned()
                    .map(|mut o| {
                        o.insert("id".into(), json!("y"));
                        Value::Object(o)
                    })
                    .unwrap()),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.id"],
        ),
        // Required fields per message type.
        row(
            "text without text",
            post(scope.clone(), with_message(json!({"type": "text"}))),
            400,
            "INVALID_REQUEST",
            &["payload.message.text", "text"],
        ),
        row(
            "text with empty text",
            post(
                scope.clone(),
                with_message(json!({"type": "text", "text": ""})),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.message.text"],
        ),
        row(
            "file without media",
            post(
                scope.clone(),
                with_message(json!({"type": "file", "file_name": "f", "file_size": 1})),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.message.media", "file"],
        ),
        row(
            "file without file_name",
            post(
                scope.clone(),
                with_message(json!({"type": "file", "media": "https://x.test/f", "file_size": 1})),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.message.file_name"],
        ),
        row(
            "picture without file_size",
            post(
                scope.clone(),
                with_message(
                    json!({"type": "picture", "media": "https://x.test/p", "file_name": "p"}),
                ),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.message.file_size", "picture"],
        ),
        row(
            "video without file_name",
            post(
                scope.clone(),
                with_message(json!({"type": "video", "media": "https://x.test/v", "file_size": 1})),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.message.file_name", "video"],
        ),
        row(
            "voice without media",
            post(scope.clone(), with_message(json!({"type": "voice"}))),
            400,
            "INVALID_REQUEST",
            &["payload.message.media", "voice"],
        ),
        row(
            "audio without media",
            post(
                scope.clone(),
                with_message(json!({"type": "audio", "media": ""})),
            ),
            400,
            "INVALID_REQUEST",
            &["payload.message.media", "audio"],
        ),
        row(
            "sticker without media or sticker_id",
            post(scope.clone(), with_message(json!({"type": "sticker"}))),
            400,
            "INVALID_REQUEST",
            &["media", "sticker_id"],
        ),
        row(
            "location without location",
            post(scope.clone(), with_message(json!({"type": "location"}))),
            400,
            "INVALID_REQUEST",
            &["payload.message.location"],
        ),
        row(
            "location without lat",
            post(
                scope.clone(),
                with_message(json!({"type": "location", "location": {"lon": 1.0}})),
            ),
            400,
            "INVALID_REQUEST",
            &["lat"],
        ),
        row(
            "contact without contact",
            post(scope.clone(), with_message(json!({"type": "contact"}))),
            400,
            "INVALID_REQUEST",
            &["payload.message.contact"],
        ),
        row(
            "contact without phone",
            post(
                scope.clone(),
                with_message(json!({"type": "contact", "contact": {"name": "Bob", "phone": ""}})),
            ),
            400,
            "INVALID_REQUEST",
            &["contact.phone"],
        ),
        row(
            "unknown message type",
            post(
                scope.clone(),
                with_message(json!({"type": "gif", "media": "https://x.test/g"})),
            ),
            400,
            "INVALID_REQUEST",
            &["gif", "text, contact"],
        ),
        row(
            "delivery_status inside new_message",
            post(
                scope.clone(),
                with_message(
                    json!({"type": "text", "text": "x", "delivery_status": {"status_code": 1}}),
                ),
            ),
            400,
            "INVALID_REQUEST",
            &["delivery_status", "edit_message"],
        ),
        // Refusals that come after lookups: nothing may be half-created.
        row(
            "duplicate msgid",
            post(
                scope.clone(),
                msg(with(good_payload(), "/msgid", json!(first_msgid))),
            ),
            400,
            "DUPLICATE_MSGID",
            &[&first_msgid, first["msgid"].as_str().unwrap()],
        ),
        row(
            "reply_to from another chat, in a new chat",
            post(
                scope.clone(),
                msg(with(
                    with(
                        with(good_payload(), "/conversation_id", json!("c-brand-new")),
                        "/sender",
                        json!({"id": "u-brand-new", "name": "New"}),
                    ),
                    "/silent",
                    json!(false),
                )
                .as_object()
                .cloned()
                .map(|mut o| {
                    o.insert(
                        "reply_to".into(),
                        json!({"message": {"msgid": first_msgid}}),
                    );
                    Value::Object(o)
                })
                .unwrap()),
            ),
            400,
            "INVALID_REQUEST",
            &["reply_to", "same chat"],
        ),
        row(
            "unknown quoted message",
            post(
                scope.clone(),
                msg(good_payload()
                    .as_object()
                    .cloned()
                    .map(|mut o| {
                        o.insert("reply_to".into(), json!({"message": {"msgid": "ghost"}}));
                        Value::Object(o)
                    })
                    .unwrap()),
            ),
            404,
            "MESSAGE_NOT_FOUND",
            &["ghost"],
        ),
        row(
            "two forwards, in a new chat",
            post(
                scope.clone(),
                msg(with(good_payload(), "/conversation_id", json!("c-fwd"))
                    .as_object()
                    .cloned()
                    .map(|mut o| {
                        o.insert(
                            "forwards".into(),
                            json!({"messages": [{"msgid": first_msgid}, {"id": out}]}),
                        );
                        Value::Object(o)
                    })
                    .unwrap()),
            ),
            400,
            "INVALID_REQUEST",
            &["forwards.messages", "1"],
        ),
        row(
            "unknown conversation_ref_id, new client",
            post(
                scope.clone(),
                msg(with(
                    with(good_payload(), "/conversation_id", json!("c-wf")),
                    "/sender",
                    json!({"id": "u-wf", "name": "Wf"}),
                )
                .as_object()
                .cloned()
                .map(|mut o| {
                    o.insert(
                        "conversation_ref_id".into(),
                        json!("00000000-0000-4000-8000-000000000000"),
                    );
                    Value::Object(o)
                })
                .unwrap()),
            ),
            404,
            "CHAT_NOT_FOUND",
            &["conversation_ref_id"],
        ),
        row(
            "unknown sender.ref_id",
            post(
                scope.clone(),
                msg(with(
                    good_payload(),
                    "/sender",
                    json!({"id": "u-ref", "ref_id": "ghost-participant", "name": "X"}),
                )),
            ),
            404,
            "PARTICIPANT_NOT_FOUND",
            &["ghost-participant"],
        ),
        row(
            "outgoing with an unknown author, new receiver",
            post(
                scope.clone(),
                msg(with(
                    good_payload(),
                    "/sender",
                    json!({"id": "m", "ref_id": "ghost", "name": "M"}),
                )
                .as_object()
                .cloned()
                .map(|mut o| {
                    o.insert(
                        "receiver".into(),
                        json!({"id": "u-new-receiver", "name": "R"}),
                    );
                    Value::Object(o)
                })
                .unwrap()),
            ),
            400,
            "INVALID_REQUEST",
            &["sender.ref_id"],
        ),
        row(
            "source.external_id over 40",
            post(
                scope.clone(),
                msg(good_payload()
                    .as_object()
                    .cloned()
                    .map(|mut o| {
                        o.insert("source".into(), json!({"external_id": "s".repeat(41)}));
                        Value::Object(o)
                    })
                    .unwrap()),
            ),
            400,
            "INVALID_REQUEST",
            &["source.external_id", "40"],
        ),
        row(
            "edit renaming msgid with a bad delivery status",
            post(
                scope.clone(),
                json!({"event_type": "edit_message", "payload": {"id": out, "msgid": "renamed", "message": {"type": "text", "text": "x", "delivery_status": {"status_code": 7}}}}),
            ),
            400,
            "INVALID_REQUEST",
            &["delivery_status", "7"],
        ),
        row(
            "edit of an unknown message",
            post(
                scope.clone(),
                json!({"event_type": "edit_message", "payload": {"msgid": "ghost", "message": {"type": "text", "text": "x"}}}),
            ),
            404,
            "MESSAGE_NOT_FOUND",
            &["edit"],
        ),
        // Create chat.
        row(
            "create chat without user",
            post(chats.clone(), json!({"conversation_id": "c-x"})),
            400,
            "INVALID_REQUEST",
            &["user"],
        ),
        row(
            "create chat with user.id a number",
            post(
                chats.clone(),
                json!({"conversation_id": "c-x", "user": {"id": 1, "name": "n"}}),
            ),
            400,
            "INVALID_REQUEST",
            &["user.id"],
        ),
        // Unknown channel or scope.
        row(
            "unknown channel",
            post(
                format!("{PREFIX}/99999999-9999-4999-8999-999999999999/connect"),
                json!({"account_id": sb.account_id}),
            ),
            404,
            "ORIGIN_NOT_REGISTERED",
            &["99999999-9999-4999-8999-999999999999"],
        ),
        row(
            "unknown scope",
            post(format!("{PREFIX}/nope_nope"), msg(good_payload())),
            404,
            "ORIGIN_NOT_REGISTERED",
            &["nope_nope", "connect"],
        ),
        row(
            "scope of an account never connected",
            post(unconnected_scope.clone(), msg(good_payload())),
            404,
            "ORIGIN_NOT_REGISTERED",
            &[other_account],
        ),
        row(
            "history of an unknown scope",
            Req::Signed {
                method: "GET",
                path: format!("{PREFIX}/nope_nope/chats/{chat}/history"),
                body: String::new(),
            },
            404,
            "ORIGIN_NOT_REGISTERED",
            &["nope_nope"],
        ),
        // Transport: size, content type, method, path, signature.
        row(
            "body over the size limit",
            post(
                scope.clone(),
                format!(
                    r#"{{"event_type":"new_message","payload":{{"pad":"{}"}}}}"#,
                    "x".repeat(LIMIT * 2)
                ),
            ),
            413,
            "REQUEST_TOO_LARGE",
            &["4096"],
        ),
        row(
            "text/plain",
            signed_as(
                &sb,
                "POST",
                scope.clone(),
                "text/plain",
                &msg(good_payload()).to_string(),
            ),
            415,
            "UNSUPPORTED_CONTENT_TYPE",
            &["text/plain", "application/json"],
        ),
        row(
            "form encoded",
            signed_as(
                &sb,
                "POST",
                chats.clone(),
                "application/x-www-form-urlencoded",
                "conversation_id=c",
            ),
            415,
            "UNSUPPORTED_CONTENT_TYPE",
            &["application/x-www-form-urlencoded"],
        ),
        row(
            "GET on connect",
            Req::Signed {
                method: "GET",
                path: connect.clone(),
                body: String::new(),
            },
            405,
            "METHOD_NOT_ALLOWED",
            &["GET", "POST"],
        ),
        row(
            "POST on disconnect",
            post(
                format!("{PREFIX}/{}/disconnect", sb.channel_id),
                json!({"account_id": sb.account_id}),
            ),
            405,
            "METHOD_NOT_ALLOWED",
            &["POST", "DELETE"],
        ),
        row(
            "PUT on the message endpoint",
            Req::Signed {
                method: "PUT",
                path: scope.clone(),
                body: msg(good_payload()).to_string(),
            },
            405,
            "METHOD_NOT_ALLOWED",
            &["PUT"],
        ),
        row(
            "POST on history",
            post(history(""), "{}"),
            405,
            "METHOD_NOT_ALLOWED",
            &["GET"],
        ),
        row(
            "unknown path",
            post(sb.scope_path("/a/b/c/d"), "{}"),
            404,
            "NOT_FOUND",
            &["/a/b/c/d"],
        ),
        row(
            "bad signature",
            Req::Raw {
                method: "POST",
                path: scope.clone(),
                headers: vec![
                    ("Date".into(), sb.date()),
                    ("Content-Type".into(), "application/json".into()),
                    (
                        "Content-MD5".into(),
                        content_md5(msg(good_payload()).to_string().as_bytes()),
                    ),
                    ("X-Signature".into(), "0".repeat(40)),
                ],
                body: msg(good_payload()).to_string().into_bytes(),
            },
            403,
            "ORIGIN_INVALID_SIGNATURE",
            &["invalid signature"],
        ),
        // History paging.
        row(
            "history limit over 50",
            Req::Signed {
                method: "GET",
                path: history("?limit=51"),
                body: String::new(),
            },
            400,
            "INVALID_REQUEST",
            &["limit", "50", "51"],
        ),
        row(
            "history limit 0",
            Req::Signed {
                method: "GET",
                path: history("?limit=0"),
                body: String::new(),
            },
            400,
            "INVALID_REQUEST",
            &["limit"],
        ),
        row(
            "history offset not a number",
            Req::Signed {
                method: "GET",
                path: history("?offset=abc"),
                body: String::new(),
            },
            400,
            "INVALID_REQUEST",
            &["offset", "abc"],
        ),
        // Delivery status.
        row(
            "delivery_status 0",
            ds(json!({"msgid": out, "delivery_status": 0})),
            400,
            "INVALID_REQUEST",
            &["delivery_status", "0"],
        ),
        row(
            "delivery_status as a string",
            ds(json!({"msgid": out, "delivery_status": "1"})),
            400,
            "INVALID_REQUEST",
            &["delivery_status"],
        ),
        row(
            "error without error_code",
            ds(json!({"msgid": out, "delivery_status": -1})),
            400,
            "INVALID_REQUEST",
            &["error_code", "901-905"],
        ),
        row(
            "error_code 900",
            ds(json!({"msgid": out, "delivery_status": -1, "error_code": 900})),
            400,
            "INVALID_REQUEST",
            &["900"],
        ),
        row(
            "error_code 905 without text",
            ds(json!({"msgid": out, "delivery_status": -1, "error_code": 905})),
            400,
            "INVALID_REQUEST",
            &["905", "`error`"],
        ),
        row(
            "error_code 905 with empty text",
            ds(json!({"msgid": out, "delivery_status": -1, "error_code": 905, "error": ""})),
            400,
            "INVALID_REQUEST",
            &["905"],
        ),
        row(
            "msgid differs from the path",
            ds(json!({"msgid": "other", "delivery_status": 1})),
            400,
            "INVALID_REQUEST",
            &["msgid", &out],
        ),
        row(
            "no msgid in the body",
            ds(json!({"delivery_status": 1})),
            400,
            "INVALID_REQUEST",
            &["msgid"],
        ),
        row(
            "status of an unknown message",
            post(
                sb.scope_path("/ghost-id/delivery_status"),
                json!({"msgid": "ghost-id", "delivery_status": 1}),
            ),
            404,
            "MESSAGE_NOT_FOUND",
            &["ghost-id"],
        ),
        // Typing and reactions.
        row(
            "typing duration_ms as a string",
            post(
                typing.clone(),
                json!({"conversation_id": "c-1", "sender": {"id": "u-1"}, "duration_ms": "5000"}),
            ),
            400,
            "INVALID_REQUEST",
            &["duration_ms"],
        ),
        row(
            "typing negative duration",
            post(
                typing.clone(),
                json!({"conversation_id": "c-1", "sender": {"id": "u-1"}, "duration_ms": -5}),
            ),
            400,
            "INVALID_REQUEST",
            &["duration_ms"],
        ),
        row(
            "typing for longer than a day",
            post(
                typing.clone(),
                json!({"conversation_id": "c-1", "sender": {"id": "u-1"}, "duration_ms": i64::MAX}),
            ),
            400,
            "INVALID_REQUEST",
            &["duration_ms", "at most"],
        ),
        row(
            "typing without a chat",
            post(typing.clone(), json!({"sender": {"id": "u-1"}})),
            400,
            "INVALID_REQUEST",
            &["conversation_id"],
        ),
        row(
            "typing in an unknown chat",
            post(
                typing.clone(),
                json!({"conversation_id": "ghost", "sender": {"id": "u-1"}}),
            ),
            404,
            "CHAT_NOT_FOUND",
            &["ghost"],
        ),
        row(
            "react without type",
            post(
                react.clone(),
                json!({"conversation_id": "c-1", "id": out, "user": {"id": "u-1"}, "emoji": "👍"}),
            ),
            400,
            "INVALID_REQUEST",
            &["type"],
        ),
        row(
            "react without a message id",
            post(
                react.clone(),
                json!({"conversation_id": "c-1", "user": {"id": "u-1"}, "type": "react", "emoji": "👍"}),
            ),
            400,
            "INVALID_REQUEST",
            &["msgid"],
        ),
        row(
            "react to a message of another chat",
            post(
                react.clone(),
                json!({"conversation_id": "c-2", "id": out, "user": {"id": "u-1"}, "type": "react", "emoji": "👍"}),
            ),
            404,
            "MESSAGE_NOT_FOUND",
            &["chat"],
        ),
    ];

    let accounts = [sb.account_id.clone(), other_account.to_string()];
    let mut failures = vec![];
    for row in &rows {
        let before: Vec<String> =
            futures::future::join_all(accounts.iter().map(|a| sb.state_text_of(a))).await;
        let r = send(&sb, &row.req).await;
        let after: Vec<String> =
            futures::future::join_all(accounts.iter().map(|a| sb.state_text_of(a))).await;
        let mut problems = vec![];
        if r.status != row.status || r.json["error_type"] != json!(row.error_type) {
            problems.push(format!(
                "expected {} {}, got {} {}",
                row.status, row.error_type, r.status, r.text
            ));
        } else {
            if r.json["status"] != json!(0) || r.json["error_code"] != json!(row.status) {
                problems.push(format!("not the amojo error body: {}", r.text));
            }
            let d = r.json["error_description"].as_str().unwrap_or("");
            for needle in &row.needles {
                if !d.contains(needle.as_str()) {
                    problems.push(format!("description does not name {needle:?}: {d}"));
                }
            }
        }
        if before != after {
            problems.push("the account state changed".to_string());
        }
        let health = sb.admin_get("/_sandbox/health").await;
        if health.status != 200 {
            problems.push(format!("sandbox stopped answering: {}", health.status));
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}", row.name, problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );

    // Every refusal is in the journal with its status.
    let journal = sb.journal("?status=400").await;
    assert!(journal["entries"].as_array().unwrap().len() >= 40);
    // And the sandbox still works for good input.
    sb.incoming_text("c-1", "u-1", "still fine", false).await;
}
