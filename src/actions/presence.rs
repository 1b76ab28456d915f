//! Manager typing and reactions (spec §5.3, §5.4).

use super::{find_chat, find_message, queue_hook, user_amojo_id, ActionError, Result};
use crate::domain::{Reaction, World};
use crate::webhooks::payload::{reaction_hook, typing_hook};
use serde::Serialize;

/// Typing hooks go out at most once per this many seconds per chat.
pub const TYPING_INTERVAL: i64 = 5;

#[derive(Debug, Serialize)]
pub struct TypingOutcome {
    /// Whether a hook was queued (not within 5 s of the last, and the channel subscribed to typing).
    pub sent: bool,
    pub expired_at: i64,
    pub reason: Option<String>,
}

pub fn manager_typing(
    world: &mut World,
    now: i64,
    account_id: &str,
    chat_id: &str,
    user_id: Option<i64>,
) -> Result<TypingOutcome> {
    let (si, ci) = find_chat(world, account_id, chat_id)?;
    let (user, _) = user_amojo_id(world, account_id, user_id)?;
    let subscribed = world
        .channel(&world.scopes[si].channel_id)
        .is_some_and(|c| c.features.typing_hooks);
    let expired_at = now + TYPING_INTERVAL;
    if !subscribed {
        return Ok(TypingOutcome {
            sent: false,
            expired_at,
            reason: Some("the channel has no typing-hook subscription".into()),
        });
    }
    let conv = &mut world.scopes[si].conversations[ci];
    if conv
        .manager_typing_at
        .is_some_and(|at| now - at < TYPING_INTERVAL)
    {
        return Ok(TypingOutcome {
            sent: false,
            expired_at: conv.manager_typing_at.unwrap() + TYPING_INTERVAL,
            reason: Some("a typing hook went out less than 5 s ago".into()),
        });
    }
    conv.manager_typing_at = Some(now);
    let body = typing_hook(account_id, now, conv, &user);
    let sent = queue_hook(world, si, "typing", body, None);
    Ok(TypingOutcome {
        sent,
        expired_at,
        reason: (!sent).then(|| "the account disconnected the channel".into()),
    })
}

/// `emoji: None` un-reacts.
pub fn manager_reaction(
    world: &mut World,
    now: i64,
    account_id: &str,
    message_id: &str,
    emoji: Option<String>,
    user_id: Option<i64>,
) -> Result<()> {
    let (si, mi) = find_message(world, account_id, message_id)?;
    let (user, _) = user_amojo_id(world, account_id, user_id)?;
    let channel = world
        .channel(&world.scopes[si].channel_id)
        .ok_or_else(|| ActionError::not_found("CHANNEL_NOT_FOUND", "channel is gone"))?;
    if channel.features.reactions.is_empty() {
        return Err(ActionError::bad(
            "REACTIONS_UNSUPPORTED",
            "the channel declared no supported reactions at registration",
        ));
    }
    if let Some(e) = &emoji {
        if !channel.features.reactions.contains(e) {
            return Err(ActionError::bad(
                "REACTION_UNSUPPORTED",
                format!(
                    "{e} is not among the channel's reactions: {}",
                    channel.features.reactions.join(" ")
                ),
            ));
        }
    }
    let m = &mut world.scopes[si].messages[mi];
    m.reactions.retain(|r| r.participant_id != user);
    if let Some(e) = &emoji {
        m.reactions.push(Reaction {
            participant_id: user.clone(),
            emoji: e.clone(),
            at: now,
        });
    }
    let scope = &world.scopes[si];
    let body = reaction_hook(
        account_id,
        now,
        scope,
        &scope.messages[mi],
        &user,
        emoji.as_deref(),
    );
    queue_hook(world, si, "reaction", body, Some(message_id.to_string()));
    Ok(())
}
