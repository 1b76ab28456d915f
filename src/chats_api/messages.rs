//! Send, import and edit messages (spec §4.4): `POST /v2/origin/custom/{scope_id}`.

use super::chats::client_participant;
use super::delivery::status_change;
use super::error::{AmojoError, Result};
use super::wire::{self, MessageBody, MessageEnvelope, Payload, QuotedMessage};
use super::Reply;
use crate::domain::effects::{on_incoming_message, Incoming};
use crate::domain::{
    Account, Channel, Conversation, Direction, Message, Participant, ParticipantKind, Scope,
    StatusChange, World,
};
use axum::http::StatusCode;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const MESSAGE_TYPES: [&str; 9] = [
    "text", "contact", "file", "video", "picture", "voice", "audio", "sticker", "location",
];

/// A checked message request: typed for validation, with the parts kept
/// exactly as sent.
pub struct MessageInput {
    envelope: MessageEnvelope,
    kept: Kept,
}

/// `payload.message`, `reply_to` and `forwards` as sent, unknown fields
/// included: they are stored and shown as the integration wrote them.
#[derive(Debug, Deserialize)]
struct KeptEnvelope {
    #[serde(default)]
    payload: Kept,
}

#[derive(Debug, Default)]
struct Kept {
    message: Value,
    reply_to: Value,
    forwards: Value,
}

/// Read by hand: a derived struct would also read a JSON array as a
/// payload, element by element.
impl<'de> Deserialize<'de> for Kept {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Kept, D::Error> {
        d.deserialize_map(KeptVisitor)
    }
}

struct KeptVisitor;

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum KeptField {
    Message,
    ReplyTo,
    Forwards,
    #[serde(other)]
    Other,
}

impl<'de> Visitor<'de> for KeptVisitor {
    type Value = Kept;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Kept, A::Error> {
        let mut kept = Kept::default();
        // A repeated key takes its last value, as in a JSON value.
        while let Some(field) = map.next_key()? {
            match field {
                KeptField::Message => kept.message = map.next_value()?,
                KeptField::ReplyTo => kept.reply_to = map.next_value()?,
                KeptField::Forwards => kept.forwards = map.next_value()?,
                KeptField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(kept)
    }
}

pub fn parse(body: &[u8]) -> Result<MessageInput> {
    let (envelope, kept): (MessageEnvelope, KeptEnvelope) = wire::parse_keeping(body)?;
    let kept = kept.payload;
    let p = &envelope.payload;
    match envelope.event_type.as_str() {
        "new_message" => check_new(p)?,
        "edit_message" => check_edit(p)?,
        other => {
            return Err(AmojoError::bad_request(format!(
                "`event_type` {other:?} is not supported; use \"new_message\" or \"edit_message\""
            )))
        }
    }
    Ok(MessageInput { envelope, kept })
}

pub fn post(world: &mut World, now: i64, scope_id: &str, input: MessageInput) -> Result<Reply> {
    let MessageInput { envelope, kept } = input;
    // The kept parts are ours: they are moved into the state, not copied.
    let p = &envelope.payload;
    if envelope.event_type == "new_message" {
        new_message(world, now, scope_id, p, kept)
    } else {
        edit_message(world, now, scope_id, p, kept.message)
    }
}

/// Required fields per message type (spec §4.4 `message` table).
pub fn validate_message(m: &MessageBody, editing: bool) -> Result<()> {
    let missing = |field: &str| {
        AmojoError::bad_request(format!(
            "`payload.message.{field}` is required for a {:?} message",
            m.kind
        ))
    };
    let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    match m.kind.as_str() {
        "text" if !has(&m.text) => return Err(missing("text")),
        "file" | "video" | "picture" => {
            if !editing && !has(&m.media) {
                return Err(missing("media"));
            }
            if !has(&m.file_name) {
                return Err(missing("file_name"));
            }
            if m.file_size.is_none() {
                return Err(missing("file_size"));
            }
        }
        "voice" | "audio" if !editing && !has(&m.media) => return Err(missing("media")),
        "sticker" if !editing && !has(&m.media) && !has(&m.sticker_id) => {
            return Err(missing("media` or `sticker_id"))
        }
        "location" if m.location.is_none() => return Err(missing("location")),
        "contact" => match &m.contact {
            None => return Err(missing("contact")),
            Some(c) if c.name.is_empty() || c.phone.is_empty() => {
                return Err(missing("contact.name` and `contact.phone"))
            }
            _ => {}
        },
        kind if !MESSAGE_TYPES.contains(&kind) => {
            return Err(AmojoError::bad_request(format!(
                "`payload.message.type` {kind:?} is not one of {}",
                MESSAGE_TYPES.join(", ")
            )))
        }
        _ => {}
    }
    if let Some(size) = m.file_size {
        if size < 0 {
            return Err(AmojoError::bad_request(
                "`payload.message.file_size` must be a byte count (>= 0)",
            ));
        }
    }
    Ok(())
}

/// A message time must be one the clock can show (1970 to the end of 9999).
fn check_time(ms: Option<i64>, field: &str) -> Result<()> {
    if ms.is_some_and(crate::clock::in_range) {
        return Ok(());
    }
    Err(AmojoError::bad_request(format!(
        "`{field}` must be a Unix time between 1970 and the end of 9999"
    )))
}

/// What a new message must carry, checked before the world is touched.
fn check_new(p: &Payload) -> Result<()> {
    wire::non_empty(&p.msgid, "payload.msgid")?;
    wire::non_empty(&p.conversation_id, "payload.conversation_id")?;
    let timestamp = *wire::required(&p.timestamp, "payload.timestamp")?;
    check_time(timestamp.checked_mul(1000), "payload.timestamp")?;
    if let Some(ms) = p.msec_timestamp {
        check_time(Some(ms), "payload.msec_timestamp")?;
    }
    wire::required(&p.sender, "payload.sender")?;
    let message = wire::required(&p.message, "payload.message")?;
    validate_message(message, false)?;
    if p.id.is_some() {
        return Err(AmojoError::bad_request(
            "`payload.id` is only allowed with edit_message",
        ));
    }
    if message.delivery_status.is_some() {
        return Err(AmojoError::bad_request(
            "`payload.message.delivery_status` is only allowed with edit_message",
        ));
    }
    wire::check_source(&p.source)
}

fn new_message(
    world: &mut World,
    now: i64,
    scope_id: &str,
    p: &Payload,
    kept: Kept,
) -> Result<Reply> {
    let checked = "checked in parse";
    let msgid = p.msgid.as_deref().expect(checked);
    let conversation_id = p.conversation_id.as_deref().expect(checked);
    let timestamp = p.timestamp.expect(checked);
    let message = p.message.as_ref().expect(checked);
    let (scope, account, channel) = world
        .scope_account_channel_mut(scope_id)
        .ok_or_else(|| AmojoError::not_registered(scope_id.to_string()))?;
    if let Some(i) = scope.message_idx_by_client(msgid) {
        let earlier = &scope.messages[i];
        return Err(AmojoError::new(
            StatusCode::BAD_REQUEST,
            "DUPLICATE_MSGID",
            format!("msgid {msgid:?} was already used by message {} (sent at {}); every message needs a new msgid", earlier.id, earlier.timestamp),
        ));
    }
    let direction = if p.receiver.is_some() {
        Direction::Outgoing
    } else {
        Direction::Incoming
    };
    // Everything that can refuse the message is checked before anything is
    // created, so a refused message leaves the account exactly as it was.
    check_participants(scope, account, channel, p, direction)?;
    let existing = existing_conversation(scope, p, conversation_id)?;
    let reply_to = resolve_reply(scope, p, existing, kept.reply_to)?;
    let forwards = resolve_forwards(scope, p, kept.forwards)?;
    let (sender_id, receiver_id, client_id) = participants(scope, account, channel, p, direction)?;
    let conv = conversation(
        now,
        scope,
        account,
        p,
        conversation_id,
        &client_id,
        existing,
    );
    let silent = p.silent.unwrap_or(false);
    let msg = Message {
        id: account.ids.uuid(),
        client_id: Some(msgid.to_string()),
        conversation_id: scope.conversations[conv].id.clone(),
        sender_id: sender_id.clone(),
        receiver_id: receiver_id.clone(),
        direction,
        origin: "api".into(),
        message: kept.message,
        timestamp,
        msec_timestamp: p.msec_timestamp.unwrap_or(timestamp * 1000),
        silent,
        source_external_id: p.source.as_ref().map(|s| s.external_id.clone()),
        reply_to,
        forwards,
        statuses: match direction {
            Direction::Outgoing => vec![StatusChange {
                status: "sent".into(),
                error_code: None,
                error: None,
                at: now,
            }],
            Direction::Incoming => vec![],
        },
        edits: vec![],
        reactions: vec![],
    };
    let response = reply(&msg);
    let message_id = msg.id.clone();
    scope.add_message(msg);
    if direction == Direction::Incoming && !silent {
        scope.conversations[conv].last_incoming_at = Some(now);
        let client = scope.index.participant_by_id[&client_id];
        let text = message
            .text
            .clone()
            .or_else(|| Some(format!("[{}]", message.kind)));
        let events = on_incoming_message(
            account,
            channel,
            Incoming {
                conversation: &mut scope.conversations[conv],
                message_id,
                client: &scope.participants[client],
                text,
                now,
            },
        );
        events.into_iter().for_each(|e| world.emit(e));
    }
    Ok(response)
}

/// `{"new_message": {...}}`, the answer to a new or edited message (spec §4.4).
fn reply(m: &Message) -> Reply {
    #[derive(Serialize)]
    struct Answer<'a> {
        new_message: Ids<'a>,
    }
    #[derive(Serialize)]
    struct Ids<'a> {
        conversation_id: &'a str,
        sender_id: &'a str,
        receiver_id: Option<&'a str>,
        msgid: &'a str,
        ref_id: Option<&'a str>,
    }
    let answer = Answer {
        new_message: Ids {
            conversation_id: &m.conversation_id,
            sender_id: &m.sender_id,
            receiver_id: m.receiver_id.as_deref(),
            msgid: &m.id,
            ref_id: m.client_id.as_deref(),
        },
    };
    let text = serde_json::to_string(&answer).expect("plain strings serialize");
    Reply::Text(StatusCode::OK, text)
}

/// Sender, receiver and the client among them. Direction is decided by which
/// participants are present (spec §4.4): outgoing messages name their Kommo
/// author in `sender.ref_id` (a user's amojo_id or the channel bot id).
fn participants(
    scope: &mut Scope,
    account: &mut Account,
    channel: &Channel,
    p: &Payload,
    direction: Direction,
) -> Result<(String, Option<String>, String)> {
    let sender = p.sender.as_ref().expect("checked");
    match direction {
        Direction::Incoming => {
            wire::non_empty(&sender.id, "payload.sender.id")?;
            if scope
                .participant_idx_by_client(sender.id.as_deref().unwrap_or(""))
                .is_none()
                && sender.ref_id.is_none()
            {
                wire::non_empty(&sender.name, "payload.sender.name")?;
            }
            let client = client_participant(scope, account, sender)
                .map_err(|e| prefix(e, "payload.sender"))?;
            Ok((client.clone(), None, client))
        }
        Direction::Outgoing => {
            let author = kommo_author(scope, account, channel, sender)?;
            let receiver = p.receiver.as_ref().expect("outgoing has a receiver");
            wire::non_empty(&receiver.id, "payload.receiver.id")?;
            let client = client_participant(scope, account, receiver)
                .map_err(|e| prefix(e, "payload.receiver"))?;
            Ok((author, Some(client.clone()), client))
        }
    }
}

fn prefix(mut e: AmojoError, path: &str) -> AmojoError {
    e.description = e.description.replacen("`id`", &format!("`{path}.id`"), 1);
    e
}

/// The checks of [`participants`], made before anything changes.
fn check_participants(
    scope: &Scope,
    account: &Account,
    channel: &Channel,
    p: &Payload,
    direction: Direction,
) -> Result<()> {
    let sender = p.sender.as_ref().expect("checked");
    match direction {
        Direction::Incoming => {
            wire::non_empty(&sender.id, "payload.sender.id")?;
            check_client(scope, sender, "payload.sender", true)
        }
        Direction::Outgoing => {
            author_kind(account, channel, sender)?;
            let receiver = p.receiver.as_ref().expect("outgoing has a receiver");
            wire::non_empty(&receiver.id, "payload.receiver.id")?;
            check_client(scope, receiver, "payload.receiver", false)
        }
    }
}

/// A client is known by its id, bound through `ref_id` to a participant Kommo
/// made (write first), or new, and then it needs a name.
fn check_client(
    scope: &Scope,
    person: &wire::Person,
    path: &str,
    name_required: bool,
) -> Result<()> {
    if scope
        .participant_idx_by_client(person.id.as_deref().unwrap_or(""))
        .is_some()
    {
        return Ok(());
    }
    match person.ref_id.as_deref() {
        Some(ref_id) if scope.participant(ref_id).is_none() => Err(AmojoError::not_found(
            "PARTICIPANT_NOT_FOUND",
            format!("`{path}.ref_id` {ref_id} is not a participant of this scope; send the `receiver.id` of the write-first webhook"),
        )),
        None if name_required => wire::non_empty(&person.name, &format!("{path}.name")).map(|_| ()),
        _ => Ok(()),
    }
}

/// Who at Kommo wrote an outgoing message: a user (by amojo_id) or the channel bot.
fn author_kind(
    account: &Account,
    channel: &Channel,
    sender: &wire::Person,
) -> Result<(ParticipantKind, String)> {
    let ref_id = sender.ref_id.as_deref().unwrap_or("");
    if let Some(user) = account.user_by_amojo(ref_id) {
        Ok((ParticipantKind::User, user.name.clone()))
    } else if ref_id == channel.bot.id {
        Ok((ParticipantKind::Bot, channel.bot.name.clone()))
    } else {
        Err(AmojoError::bad_request(format!(
            "an outgoing message (one with `payload.receiver`) needs `payload.sender.ref_id` = a user's amojo_id (GET /api/v4/users?with=amojo_id) or the channel bot id {}; got {ref_id:?}",
            channel.bot.id
        )))
    }
}

fn kommo_author(
    scope: &mut Scope,
    account: &Account,
    channel: &Channel,
    sender: &wire::Person,
) -> Result<String> {
    let ref_id = sender.ref_id.as_deref().unwrap_or("");
    let (kind, name) = author_kind(account, channel, sender)?;
    if scope.participant(ref_id).is_none() {
        scope.add_participant(Participant {
            id: ref_id.to_string(),
            client_id: sender.id.clone(),
            kind,
            name,
            avatar: String::new(),
            phone: None,
            email: None,
            profile_link: None,
        });
    }
    Ok(ref_id.to_string())
}

/// The chat a message goes to, if it exists already: by `conversation_ref_id`
/// (binding a write-first chat, checked here) or by the integration's `conversation_id`.
fn existing_conversation(
    scope: &Scope,
    p: &Payload,
    conversation_id: &str,
) -> Result<Option<usize>> {
    if let Some(ref_id) = p.conversation_ref_id.as_deref() {
        let i = scope.conversation_idx(ref_id).ok_or_else(|| {
            AmojoError::not_found(
                "CHAT_NOT_FOUND",
                format!("`payload.conversation_ref_id` {ref_id} is not a chat of this scope"),
            )
        })?;
        if let Some(bound) = scope.conversations[i]
            .client_id
            .as_deref()
            .filter(|b| *b != conversation_id)
        {
            return Err(AmojoError::bad_request(format!(
                "chat {ref_id} is already bound to conversation_id {bound:?}; it cannot be bound to {conversation_id:?}"
            )));
        }
        return Ok(Some(i));
    }
    Ok(scope.conversation_idx_by_client(conversation_id))
}

/// The message's chat: the existing one (bound to `conversation_id` if it was
/// a write-first chat) or a new one.
fn conversation(
    now: i64,
    scope: &mut Scope,
    account: &mut Account,
    p: &Payload,
    conversation_id: &str,
    client: &str,
    existing: Option<usize>,
) -> usize {
    if let Some(i) = existing {
        if scope.conversations[i].client_id.is_none() {
            scope.bind_conversation(i, conversation_id);
        }
        return i;
    }
    let id = account.ids.uuid();
    let source = p.source.as_ref().map(|s| s.external_id.clone());
    scope.add_conversation(Conversation::new(
        id,
        Some(conversation_id.to_string()),
        client.to_string(),
        source,
        now,
    ))
}

fn quoted_idx(scope: &Scope, q: &QuotedMessage) -> Result<Option<usize>> {
    if let Some(id) = q.id.as_deref() {
        return scope.message_idx(id).map(Some).ok_or_else(|| {
            AmojoError::not_found(
                "MESSAGE_NOT_FOUND",
                format!("quoted message id {id} does not exist"),
            )
        });
    }
    if let Some(msgid) = q.msgid.as_deref() {
        return scope.message_idx_by_client(msgid).map(Some).ok_or_else(|| {
            AmojoError::not_found(
                "MESSAGE_NOT_FOUND",
                format!("quoted message msgid {msgid} does not exist"),
            )
        });
    }
    if q.kind.is_none() {
        return Err(AmojoError::bad_request(
            "a quoted message needs `id`, `msgid`, or a full description with `type`",
        ));
    }
    Ok(None)
}

/// The quote must be of the same chat; a chat that does not exist yet holds no message to quote.
fn resolve_reply(
    scope: &Scope,
    p: &Payload,
    conv: Option<usize>,
    as_sent: Value,
) -> Result<Option<Value>> {
    let Some(reply) = &p.reply_to else {
        return Ok(None);
    };
    if let Some(i) = quoted_idx(scope, &reply.message)? {
        if conv.is_none_or(|c| scope.messages[i].conversation_id != scope.conversations[c].id) {
            return Err(AmojoError::bad_request(
                "`payload.reply_to.message` must belong to the same chat",
            ));
        }
    }
    Ok(Some(as_sent))
}

fn resolve_forwards(scope: &Scope, p: &Payload, as_sent: Value) -> Result<Option<Value>> {
    let Some(forwards) = &p.forwards else {
        return Ok(None);
    };
    if forwards.messages.len() != 1 {
        return Err(AmojoError::bad_request("`payload.forwards.messages` must hold exactly 1 message (Kommo forwards one at a time)"));
    }
    quoted_idx(scope, &forwards.messages[0])?;
    Ok(Some(as_sent))
}

fn check_edit(p: &Payload) -> Result<()> {
    let message = wire::required(&p.message, "payload.message")?;
    validate_message(message, true)?;
    if p.id.is_none() && p.msgid.is_none() {
        return Err(AmojoError::bad_request(
            "edit_message needs `payload.id` (sandbox message id) or `payload.msgid` (your id)",
        ));
    }
    Ok(())
}

fn edit_message(
    world: &mut World,
    now: i64,
    scope_id: &str,
    p: &Payload,
    mut new_body: Value,
) -> Result<Reply> {
    let message = p.message.as_ref().expect("checked in parse");
    let (scope, _) = world
        .scope_and_account_mut(scope_id)
        .ok_or_else(|| AmojoError::not_registered(scope_id.to_string()))?;
    let i = match (p.id.as_deref(), p.msgid.as_deref()) {
        (Some(id), _) => scope.message_idx(id),
        (None, Some(msgid)) => scope.message_idx_by_client(msgid),
        _ => None,
    }
    .ok_or_else(|| {
        AmojoError::not_found(
            "MESSAGE_NOT_FOUND",
            "the message to edit does not exist in this scope",
        )
    })?;
    // Checks first, changes after: a refused edit leaves the message as it was.
    let new_msgid = match (p.id.as_deref(), p.msgid.as_deref()) {
        (Some(_), Some(msgid)) => match scope.message_idx_by_client(msgid) {
            Some(j) if j != i => {
                return Err(AmojoError::new(
                    StatusCode::BAD_REQUEST,
                    "DUPLICATE_MSGID",
                    format!(
                        "msgid {msgid:?} already belongs to message {}",
                        scope.messages[j].id
                    ),
                ))
            }
            _ => Some(msgid),
        },
        _ => None,
    };
    let status = match &message.delivery_status {
        Some(ds) => Some(status_change(
            ds.status_code,
            ds.error_code,
            ds.error.clone(),
            now,
        )?),
        None => None,
    };
    if let Some(msgid) = new_msgid {
        scope.set_message_client_id(i, msgid);
    }
    scope.messages[i].statuses.extend(status);
    if let Some(obj) = new_body.as_object_mut() {
        obj.remove("delivery_status");
        let old = &scope.messages[i].message;
        if !obj.contains_key("media") && old.get("media").is_some() {
            obj.insert("media".into(), old["media"].clone());
        }
    }
    let m = &mut scope.messages[i];
    let previous = std::mem::replace(&mut m.message, new_body);
    m.edits.push(json!({"at": now, "previous": previous}));
    Ok(reply(&scope.messages[i]))
}
