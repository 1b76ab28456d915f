//! A manager or the channel bot writes into a chat from Kommo.

use super::{find_chat, queue_message_hook, user_amojo_id, ActionError, Result};
use crate::domain::{Direction, Message, Participant, ParticipantKind, StatusChange, World};
use serde::Deserialize;
use serde_json::{json, Value};

/// Kinds Kommo sends in outgoing hooks (spec §5.2).
pub const OUTGOING_TYPES: [&str; 7] = [
    "text", "file", "video", "picture", "voice", "audio", "sticker",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    #[default]
    Manager,
    Bot,
}

#[derive(Debug, Clone, Default)]
pub struct OutgoingSpec {
    pub chat_id: String,
    pub author: Author,
    pub user_id: Option<i64>,
    /// The `message` object: `type`, `text`, `media`, `file_name`, `file_size`, `markup`, `template`.
    pub message: Value,
    pub reply_to: Option<String>,
    /// Templates may go out after the time window closes.
    pub is_template: bool,
    /// Sent without notifying the client (`silent` of the message hook).
    pub silent: bool,
}

pub fn send_outgoing(
    world: &mut World,
    now: i64,
    account_id: &str,
    spec: OutgoingSpec,
) -> Result<String> {
    let chat = find_chat(world, account_id, &spec.chat_id)?;
    send_outgoing_to(world, now, account_id, chat, spec)
}

/// [`send_outgoing`] into a chat already found (`find_chat`'s scope and
/// conversation indexes), for callers that looked at the chat first;
/// `spec.chat_id` is not consulted again.
pub fn send_outgoing_to(
    world: &mut World,
    now: i64,
    account_id: &str,
    (si, ci): (usize, usize),
    spec: OutgoingSpec,
) -> Result<String> {
    check_body(&spec.message)?;
    check_time_window(world, si, ci, now, spec.is_template)?;
    // Every check comes before the first change, so a refused action leaves no trace.
    let reply_to = match &spec.reply_to {
        Some(id) => Some(quote(world, si, ci, id)?),
        None => None,
    };
    let author = author_participant(world, si, account_id, &spec)?;
    let id = world
        .accounts
        .iter_mut()
        .find(|a| a.amojo_id == account_id)
        .expect("chat found")
        .ids
        .uuid();
    let scope = &mut world.scopes[si];
    let conv = &scope.conversations[ci];
    let msg = Message {
        id: id.clone(),
        client_id: None,
        conversation_id: conv.id.clone(),
        sender_id: author,
        receiver_id: Some(conv.client_participant_id.clone()),
        direction: Direction::Outgoing,
        origin: "kommo".into(),
        message: spec.message.clone(),
        timestamp: now,
        msec_timestamp: now * 1000,
        silent: spec.silent,
        source_external_id: conv.source_external_id.clone(),
        reply_to,
        forwards: None,
        statuses: vec![StatusChange {
            status: "sent".into(),
            error_code: None,
            error: None,
            at: now,
        }],
        edits: vec![],
        reactions: vec![],
    };
    let mi = scope.add_message(msg);
    queue_message_hook(world, si, ci, mi, now);
    Ok(id)
}

fn check_body(m: &Value) -> Result<()> {
    let kind = m.get("type").and_then(Value::as_str).unwrap_or("text");
    if !OUTGOING_TYPES.contains(&kind) {
        return Err(ActionError::bad(
            "INVALID_TYPE",
            format!("type {kind:?} is not one of {}", OUTGOING_TYPES.join(", ")),
        ));
    }
    let has = |k: &str| {
        m.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    if kind == "text" && !has("text") {
        return Err(ActionError::bad(
            "TEXT_REQUIRED",
            "a text message needs `text`",
        ));
    }
    if kind != "text" && !has("media") {
        return Err(ActionError::bad(
            "MEDIA_REQUIRED",
            format!("a {kind} message needs `media` (a URL the integration can download)"),
        ));
    }
    if matches!(kind, "file" | "video" | "picture")
        && (!has("file_name") || m.get("file_size").and_then(Value::as_i64).is_none())
    {
        return Err(ActionError::bad(
            "FILE_META_REQUIRED",
            format!("a {kind} message needs `file_name` and `file_size`"),
        ));
    }
    if let Some(markup) = m.get("markup").filter(|v| !v.is_null()) {
        check_markup(markup)?;
    }
    Ok(())
}

/// Inline keyboards: rows of `{text, url?}`; one keyboard never mixes button kinds (spec §5.2).
fn check_markup(markup: &Value) -> Result<()> {
    let bad = |why: &str| {
        ActionError::bad("INVALID_MARKUP", format!("markup: {why}; expected {{\"mode\":\"inline\",\"buttons\":[[{{\"text\":\"OK\"}}]]}}"))
    };
    if markup.get("list_message").is_some() {
        return Ok(());
    }
    if markup.get("mode").and_then(Value::as_str) != Some("inline") {
        return Err(bad("`mode` must be \"inline\""));
    }
    let rows = markup
        .get("buttons")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("`buttons` must be an array of rows"))?;
    let mut kinds = std::collections::BTreeSet::new();
    for row in rows {
        for button in row
            .as_array()
            .ok_or_else(|| bad("each row must be an array"))?
        {
            if button.get("text").and_then(Value::as_str).is_none() {
                return Err(bad("every button needs `text`"));
            }
            kinds.insert(button.get("url").is_some());
        }
    }
    if kinds.len() > 1 {
        return Err(bad("one keyboard cannot mix url buttons and plain buttons"));
    }
    Ok(())
}

/// After the channel's window (restarted by each incoming message) closes, a
/// channel that blocks after expiry lets only templates through.
fn check_time_window(
    world: &World,
    si: usize,
    ci: usize,
    now: i64,
    is_template: bool,
) -> Result<()> {
    let scope = &world.scopes[si];
    let Some(channel) = world.channel(&scope.channel_id) else {
        return Ok(());
    };
    let (Some(window), true, false) = (
        channel.features.time_window,
        channel.features.block_after_window,
        scope.is_time_window_disabled,
    ) else {
        return Ok(());
    };
    let Some(last) = scope.conversations[ci].last_incoming_at else {
        return Ok(());
    };
    if is_template || now <= last + window as i64 {
        return Ok(());
    }
    Err(ActionError::conflict(
        "TIME_WINDOW_CLOSED",
        format!("the channel's {window}s time window closed {}s ago (last incoming message at {last}); only templates can be sent now", now - last - window as i64),
    ))
}

fn author_participant(
    world: &mut World,
    si: usize,
    account_id: &str,
    spec: &OutgoingSpec,
) -> Result<String> {
    let (id, name, kind) = match spec.author {
        Author::Manager => {
            let (amojo, name) = user_amojo_id(world, account_id, spec.user_id)?;
            (amojo, name, ParticipantKind::User)
        }
        Author::Bot => {
            let channel = world
                .channel(&world.scopes[si].channel_id)
                .ok_or_else(|| ActionError::not_found("CHANNEL_NOT_FOUND", "channel is gone"))?;
            (
                channel.bot.id.clone(),
                channel.bot.name.clone(),
                ParticipantKind::Bot,
            )
        }
    };
    let scope = &mut world.scopes[si];
    if scope.participant(&id).is_none() {
        scope.add_participant(Participant {
            id: id.clone(),
            client_id: None,
            kind,
            name,
            avatar: String::new(),
            phone: None,
            email: None,
            profile_link: None,
        });
    }
    Ok(id)
}

fn quote(world: &World, si: usize, ci: usize, message_id: &str) -> Result<Value> {
    let scope = &world.scopes[si];
    let mi = scope.message_idx(message_id).ok_or_else(|| {
        ActionError::not_found(
            "MESSAGE_NOT_FOUND",
            format!("no message {message_id} to reply to"),
        )
    })?;
    if scope.messages[mi].conversation_id != scope.conversations[ci].id {
        return Err(ActionError::bad(
            "REPLY_OTHER_CHAT",
            "the quoted message belongs to another chat",
        ));
    }
    Ok(json!({"message": {"id": message_id}}))
}
