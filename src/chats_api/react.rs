//! Reactions (spec §4.8): a client reacts to or un-reacts from a message.

use super::error::{AmojoError, Result};
use super::typing::find_conversation;
use super::wire::{self, ReactRequest};
use super::Reply;
use crate::domain::{Reaction, World};
use axum::http::StatusCode;

/// A checked reaction: the request, the emoji (`None` to unreact) and who reacts.
pub struct ReactInput {
    req: ReactRequest,
    emoji: Option<String>,
    user: String,
}

pub fn parse(body: &[u8]) -> Result<ReactInput> {
    let req: ReactRequest = wire::parse(body)?;
    let emoji = match req.kind.as_str() {
        "react" => Some(wire::non_empty(&req.emoji, "emoji")?.to_string()),
        "unreact" => None,
        other => {
            return Err(AmojoError::bad_request(format!(
                "`type` {other:?} must be \"react\" or \"unreact\""
            )))
        }
    };
    if req.id.is_none() && req.msgid.is_none() {
        return Err(AmojoError::bad_request(
            "`id` (sandbox message id) or `msgid` (your id) is required",
        ));
    }
    let user = req
        .user
        .ref_id
        .clone()
        .or(req.user.id.clone())
        .ok_or_else(|| AmojoError::bad_request("`user.id` is required"))?;
    Ok(ReactInput { req, emoji, user })
}

pub fn post(world: &mut World, now: i64, scope_id: &str, input: ReactInput) -> Result<Reply> {
    let ReactInput { req, emoji, user } = input;
    let (scope, _) = world
        .scope_and_account_mut(scope_id)
        .ok_or_else(|| AmojoError::not_registered(scope_id.to_string()))?;
    let conv = find_conversation(
        scope,
        req.conversation_id.as_deref(),
        req.conversation_ref_id.as_deref(),
    )?;
    let i = match (req.id.as_deref(), req.msgid.as_deref()) {
        (Some(id), _) => scope.message_idx(id),
        (None, Some(msgid)) => scope.message_idx_by_client(msgid),
        _ => None,
    }
    .filter(|&i| scope.messages[i].conversation_id == scope.conversations[conv].id)
    .ok_or_else(|| {
        AmojoError::not_found(
            "MESSAGE_NOT_FOUND",
            "the message does not exist in this chat",
        )
    })?;
    let participant = scope
        .index
        .participant_by_client_id
        .get(&user)
        .map(|&p| scope.participants[p].id.clone())
        .unwrap_or(user);
    let reactions = &mut scope.messages[i].reactions;
    reactions.retain(|r| r.participant_id != participant);
    if let Some(emoji) = emoji {
        reactions.push(Reaction {
            participant_id: participant,
            emoji,
            at: now,
        });
    }
    Ok(Reply::Empty(StatusCode::OK))
}
