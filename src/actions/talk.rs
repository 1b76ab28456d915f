//! A manager closes a talk (the conversation's unit of work in Kommo).

use super::{find_chat, ActionError, Result};
use crate::domain::effects::event;
use crate::domain::World;
use serde_json::json;

pub fn close_talk(
    world: &mut World,
    now: i64,
    account_id: &str,
    talk_id: Option<i64>,
    chat_id: Option<&str>,
    force_close: bool,
) -> Result<i64> {
    let talk_id = match (talk_id, chat_id) {
        (Some(id), _) => id,
        (None, Some(chat)) => {
            let (si, ci) = find_chat(world, account_id, chat)?;
            world.scopes[si].conversations[ci].talk_id.ok_or_else(|| {
                ActionError::not_found("TALK_NOT_FOUND", "the chat has no talk yet")
            })?
        }
        (None, None) => {
            return Err(ActionError::bad(
                "TALK_REQUIRED",
                "name the talk with `talk_id` or `chat_id`",
            ))
        }
    };
    let account = world
        .account_mut(account_id)
        .ok_or_else(|| ActionError::not_found("ACCOUNT_NOT_FOUND", account_id.to_string()))?;
    let talk = account
        .talks
        .iter_mut()
        .find(|t| t.talk_id == talk_id)
        .ok_or_else(|| ActionError::not_found("TALK_NOT_FOUND", format!("no talk {talk_id}")))?;
    if talk.closed {
        return Err(ActionError::conflict(
            "TALK_CLOSED",
            format!("talk {talk_id} is already closed"),
        ));
    }
    talk.closed = true;
    talk.is_in_work = false;
    talk.updated_at = now;
    let data = json!({"talk_id": talk.talk_id, "chat_id": talk.chat_id, "contact_id": talk.contact_id, "entity_id": talk.entity_id, "entity_type": talk.entity_type, "is_in_work": false, "is_read": talk.is_read, "origin": talk.origin, "force_close": force_close, "updated_at": now});
    let e = event(account, "talk", "update", "update_talk", data, now);
    world.emit(e);
    Ok(talk_id)
}
