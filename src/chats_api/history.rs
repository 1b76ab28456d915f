//! Chat history (spec §4.6): newest first, `limit` at most 50, 204 when the
//! chat is unknown or empty.

use super::chats::user_view;
use super::error::{AmojoError, Result};
use super::Reply;
use crate::domain::{Message, Scope, World};
use axum::http::StatusCode;
use serde_json::{json, Map, Value};

pub const MAX_LIMIT: u64 = 50;

/// `offset` and `limit` from the query.
pub struct Paging {
    offset: u64,
    limit: u64,
}

pub fn get(world: &World, scope_id: &str, chat_id: &str, paging: Paging) -> Result<Reply> {
    let Paging { offset, limit } = paging;
    let scope = world
        .scope(scope_id)
        .ok_or_else(|| AmojoError::not_registered(scope_id.to_string()))?;
    if scope.conversation(chat_id).is_none() {
        return Ok(Reply::Empty(StatusCode::NO_CONTENT));
    }
    let items: Vec<Value> = scope
        .messages
        .iter()
        .filter(|m| m.conversation_id == chat_id)
        .rev()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|m| item(scope, m))
        .collect();
    if items.is_empty() {
        return Ok(Reply::Empty(StatusCode::NO_CONTENT));
    }
    Ok(Reply::Json(StatusCode::OK, json!({ "messages": items })))
}

pub fn paging(query: &str) -> Result<Paging> {
    let (mut offset, mut limit) = (0, MAX_LIMIT);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let parse = |v: &str| {
            v.parse::<u64>().map_err(|_| {
                AmojoError::bad_request(format!(
                    "`{key}` must be a non-negative integer, got {v:?}"
                ))
            })
        };
        match key {
            "offset" => offset = parse(value)?,
            "limit" => limit = parse(value)?,
            _ => {}
        }
    }
    if limit == 0 || limit > MAX_LIMIT {
        return Err(AmojoError::bad_request(format!(
            "`limit` must be between 1 and {MAX_LIMIT}, got {limit}"
        )));
    }
    Ok(Paging { offset, limit })
}

fn item(scope: &Scope, m: &Message) -> Value {
    let person = |id: &str| {
        scope
            .participant(id)
            .map(user_view)
            .unwrap_or_else(|| json!({"id": id}))
    };
    let mut message = Map::new();
    message.insert("id".into(), json!(m.id));
    if let Some(c) = &m.client_id {
        message.insert("client_id".into(), json!(c));
    }
    // Kommo's example shows the empty ones too ("", 0), and clients that
    // model the item read them, so they are always there.
    for (key, empty) in [
        ("type", json!("text")),
        ("text", json!("")),
        ("media", json!("")),
        ("thumbnail", json!("")),
        ("file_name", json!("")),
        ("file_size", json!(0)),
    ] {
        let v = m.message.get(key).filter(|v| !v.is_null()).cloned();
        message.insert(key.into(), v.unwrap_or(empty));
    }
    for key in [
        "media_group_id",
        "location",
        "contact",
        "sticker_id",
        "media_duration",
    ] {
        if let Some(v) = m.message.get(key) {
            message.insert(key.into(), v.clone());
        }
    }
    let mut out = Map::new();
    out.insert("timestamp".into(), json!(m.timestamp));
    out.insert("msec_timestamp".into(), json!(m.msec_timestamp));
    out.insert("sender".into(), person(&m.sender_id));
    if let Some(r) = &m.receiver_id {
        out.insert("receiver".into(), person(r));
    }
    out.insert("message".into(), Value::Object(message));
    Value::Object(out)
}
