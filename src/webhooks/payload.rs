//! Hook bodies exactly as spec §5.2-5.4 shows them (v2), and the flat v1 form.

use crate::domain::{Conversation, Message, Participant, ParticipantKind, Scope};
use serde_json::{json, Map, Value};

/// `conversation: {id, client_id?}`: `client_id` is absent for an unbound write-first chat.
pub fn conversation_ref(c: &Conversation) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(c.id));
    if let Some(client) = &c.client_id {
        m.insert("client_id".into(), json!(client));
    }
    Value::Object(m)
}

/// The hook's `receiver`: phone and email as empty strings when unknown.
fn receiver(p: &Participant) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(p.id));
    m.insert("phone".into(), json!(p.phone.clone().unwrap_or_default()));
    m.insert("email".into(), json!(p.email.clone().unwrap_or_default()));
    if let Some(client) = &p.client_id {
        m.insert("client_id".into(), json!(client));
    }
    if !p.name.is_empty() {
        m.insert("name".into(), json!(p.name));
    }
    Value::Object(m)
}

/// The inner `message.message` object: defaults for absent media fields, plus
/// markup, template and the quoted message when present.
fn message_object(scope: &Scope, m: &Message) -> Value {
    let body = &m.message;
    let s = |k: &str| body.get(k).cloned().unwrap_or(json!(""));
    let mut out = Map::new();
    out.insert("id".into(), json!(m.id));
    out.insert("type".into(), json!(m.kind()));
    out.insert("text".into(), s("text"));
    out.insert("tag".into(), json!(""));
    out.insert("media".into(), s("media"));
    out.insert("thumbnail".into(), s("thumbnail"));
    out.insert("file_name".into(), s("file_name"));
    out.insert(
        "file_size".into(),
        body.get("file_size").cloned().unwrap_or(json!(0)),
    );
    out.insert(
        "markup".into(),
        body.get("markup").cloned().unwrap_or(Value::Null),
    );
    for key in [
        "template",
        "media_group_id",
        "location",
        "contact",
        "sticker_id",
    ] {
        if let Some(v) = body.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    if let Some(quoted) = m
        .reply_to
        .as_ref()
        .and_then(|r| r.get("message"))
        .and_then(|q| q.get("id"))
        .and_then(Value::as_str)
    {
        if let Some(i) = scope.message_idx(quoted) {
            out.insert(
                "reply_to".into(),
                json!({"message": nested(scope, &scope.messages[i])}),
            );
        }
    }
    Value::Object(out)
}

/// A quoted message as hooks nest it (no phone/email on participants).
pub fn nested(scope: &Scope, m: &Message) -> Value {
    let person = |id: &str| {
        let mut v = json!({"id": id});
        if let Some(p) = scope.participant(id) {
            if let Some(c) = &p.client_id {
                v["client_id"] = json!(c);
            }
            v["name"] = json!(p.name);
        }
        v
    };
    let mut v = json!({"id": m.id});
    media_fields(&mut v, m);
    v["timestamp"] = json!(m.timestamp);
    v["msec_timestamp"] = json!(m.msec_timestamp);
    v["sender"] = person(&m.sender_id);
    if let Some(r) = &m.receiver_id {
        v["receiver"] = person(r);
    }
    if let Some(c) = &m.client_id {
        v["msgid"] = json!(c);
    }
    v
}

/// v2 outgoing-message hook (spec §5.2).
pub fn message_hook(
    account_id: &str,
    now: i64,
    scope: &Scope,
    m: &Message,
    source: Option<&str>,
) -> Value {
    let conv = scope
        .conversation(&m.conversation_id)
        .expect("message belongs to a chat");
    let client = scope
        .participant(&conv.client_participant_id)
        .expect("chat has a client");
    let mut inner = Map::new();
    inner.insert("receiver".into(), receiver(client));
    inner.insert("sender".into(), json!({"id": m.sender_id}));
    inner.insert("conversation".into(), conversation_ref(conv));
    if let Some(ext) = source {
        inner.insert("source".into(), json!({"external_id": ext}));
    }
    inner.insert("timestamp".into(), json!(m.timestamp));
    inner.insert("msec_timestamp".into(), json!(m.msec_timestamp));
    inner.insert("message".into(), message_object(scope, m));
    json!({"account_id": account_id, "time": now, "message": Value::Object(inner)})
}

/// Deprecated v1 hook: a flat body (spec §5.6), for scopes connected with `hook_api_version: v1`.
pub fn message_hook_v1(scope: &Scope, m: &Message) -> Value {
    let conv = scope
        .conversation(&m.conversation_id)
        .expect("message belongs to a chat");
    let client = scope
        .participant(&conv.client_participant_id)
        .expect("chat has a client");
    let mut v = json!({
        "receiver": client.client_id.clone().unwrap_or_else(|| client.id.clone()),
        "conversation_id": conv.client_id,
    });
    media_fields(&mut v, m);
    v["msec_timestamp"] = json!(m.msec_timestamp);
    v
}

/// `type`, `text`, `media`, `thumbnail`, `file_name`, `file_size`, with the
/// empty defaults hooks use when a field is absent.
fn media_fields(v: &mut Value, m: &Message) {
    let body = &m.message;
    v["type"] = json!(m.kind());
    v["text"] = body.get("text").cloned().unwrap_or(json!(""));
    v["media"] = body.get("media").cloned().unwrap_or(json!(""));
    v["thumbnail"] = json!("");
    v["file_name"] = body.get("file_name").cloned().unwrap_or(json!(""));
    v["file_size"] = body.get("file_size").cloned().unwrap_or(json!(0));
}

/// Typing hook (spec §5.3): `action.typing.user.id`, `expired_at` = start + 5 s.
pub fn typing_hook(account_id: &str, now: i64, conv: &Conversation, user_amojo_id: &str) -> Value {
    json!({"account_id": account_id, "time": now, "action": {"typing": {
        "user": {"id": user_amojo_id},
        "conversation": conversation_ref(conv),
        "expired_at": now + 5,
    }}})
}

/// Reaction hook (spec §5.4): both the flat `msgid` and the nested `message`.
pub fn reaction_hook(
    account_id: &str,
    now: i64,
    scope: &Scope,
    m: &Message,
    user_amojo_id: &str,
    emoji: Option<&str>,
) -> Value {
    let conv = scope
        .conversation(&m.conversation_id)
        .expect("message belongs to a chat");
    let person = |id: &str| {
        let mut v = json!({"id": id});
        if let Some(c) = scope
            .participant(id)
            .filter(|p| p.kind == ParticipantKind::Client)
            .and_then(|p| p.client_id.clone())
        {
            v["client_id"] = json!(c);
        }
        v
    };
    let mut message = json!({"id": m.id});
    if let Some(c) = &m.client_id {
        message["client_id"] = json!(c);
    }
    message["sender"] = person(&m.sender_id);
    message["receiver"] = m
        .receiver_id
        .as_deref()
        .map(person)
        .unwrap_or_else(|| person(&conv.client_participant_id));
    message["timestamp"] = json!(m.timestamp);
    message["msec_timestamp"] = json!(m.msec_timestamp);
    let mut reaction = json!({
        "message": message,
        "msgid": m.client_id.clone().unwrap_or_else(|| m.id.clone()),
        "user": {"id": user_amojo_id},
        "conversation": conversation_ref(conv),
        "type": if emoji.is_some() { "react" } else { "unreact" },
    });
    if let Some(e) = emoji {
        reaction["emoji"] = json!(e);
    }
    json!({"account_id": account_id, "time": now, "action": {"reaction": reaction}})
}
