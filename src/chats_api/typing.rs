//! Typing (spec §4.7): the client is typing in a chat; 204.

use super::error::{AmojoError, Result};
use super::wire::{self, TypingRequest};
use super::Reply;
use crate::domain::{Scope, World};
use axum::http::StatusCode;

/// Longer than anyone types; a bound keeps `now + duration` from overflowing.
const MAX_TYPING_MS: i64 = 86_400_000;

pub fn parse(body: &[u8]) -> Result<TypingRequest> {
    let req: TypingRequest = wire::parse(body)?;
    if req.sender.id.is_none() && req.sender.ref_id.is_none() {
        return Err(AmojoError::bad_request("`sender.id` is required"));
    }
    if req.duration_ms.is_some_and(|d| d <= 0 || d > MAX_TYPING_MS) {
        return Err(AmojoError::bad_request(format!(
            "`duration_ms` must be a positive number of milliseconds, at most {MAX_TYPING_MS} (a day)"
        )));
    }
    Ok(req)
}

pub fn post(world: &mut World, now: i64, scope_id: &str, req: TypingRequest) -> Result<Reply> {
    let duration_ms = req.duration_ms.unwrap_or(5000);
    let (scope, _) = world
        .scope_and_account_mut(scope_id)
        .ok_or_else(|| AmojoError::not_registered(scope_id.to_string()))?;
    let i = find_conversation(
        scope,
        req.conversation_id.as_deref(),
        req.conversation_ref_id.as_deref(),
    )?;
    scope.conversations[i].client_typing_until = Some(now + (duration_ms + 999) / 1000);
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
}

/// A chat by the integration's id or the sandbox's; one of them is required.
pub fn find_conversation(
    scope: &Scope,
    conversation_id: Option<&str>,
    ref_id: Option<&str>,
) -> Result<usize> {
    let found = match (conversation_id, ref_id) {
        (Some(c), _) => scope.conversation_idx_by_client(c),
        (None, Some(r)) => scope.conversation_idx(r),
        (None, None) => {
            return Err(AmojoError::bad_request(
                "`conversation_id` (or `conversation_ref_id`) is required",
            ))
        }
    };
    found.ok_or_else(|| {
        AmojoError::not_found(
            "CHAT_NOT_FOUND",
            format!(
                "chat {} does not exist in this scope",
                conversation_id.or(ref_id).unwrap_or("")
            ),
        )
    })
}
