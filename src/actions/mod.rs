//! Kommo-side actions: what a manager (or the channel bot, or Salesbot) does in
//! the Kommo interface. Each changes the world and queues the hooks Kommo would
//! send; the caller releases the lock and calls `Sandbox::flush`.

mod outgoing;
mod presence;
mod talk;
mod template;
mod write_first;

use outgoing::send_outgoing_to;
pub use outgoing::{send_outgoing, Author, OutgoingSpec};
pub use presence::{manager_reaction, manager_typing, TypingOutcome};
pub use talk::close_talk;
pub use template::{send_template, TemplateRef};
pub use write_first::{write_first, WriteFirst};

use crate::domain::{ChatHook, Message, Outbound, Scope, World};
use serde::Serialize;

/// An action refused, with the status the admin plane answers and a code.
#[derive(Debug, Clone, Serialize)]
pub struct ActionError {
    #[serde(skip)]
    pub status: u16,
    pub code: &'static str,
    pub error: String,
}

impl ActionError {
    pub fn bad(code: &'static str, error: impl Into<String>) -> Self {
        ActionError {
            status: 400,
            code,
            error: error.into(),
        }
    }

    pub fn not_found(code: &'static str, error: impl Into<String>) -> Self {
        ActionError {
            status: 404,
            code,
            error: error.into(),
        }
    }

    pub fn conflict(code: &'static str, error: impl Into<String>) -> Self {
        ActionError {
            status: 409,
            code,
            error: error.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, ActionError>;

/// Index of the scope of `account_id` that holds chat `chat_id`, and the chat's index in it.
pub fn find_chat(world: &World, account_id: &str, chat_id: &str) -> Result<(usize, usize)> {
    world
        .scopes
        .iter()
        .enumerate()
        .filter(|(_, s)| s.account_id == account_id)
        .find_map(|(i, s)| s.conversation_idx(chat_id).map(|c| (i, c)))
        .ok_or_else(|| {
            ActionError::not_found(
                "CHAT_NOT_FOUND",
                format!("no chat {chat_id} in account {account_id}"),
            )
        })
}

/// Finds a message by sandbox id in the account's scopes.
pub fn find_message(world: &World, account_id: &str, message_id: &str) -> Result<(usize, usize)> {
    world
        .scopes
        .iter()
        .enumerate()
        .filter(|(_, s)| s.account_id == account_id)
        .find_map(|(i, s)| s.message_idx(message_id).map(|m| (i, m)))
        .ok_or_else(|| {
            ActionError::not_found(
                "MESSAGE_NOT_FOUND",
                format!("no message {message_id} in account {account_id}"),
            )
        })
}

/// The amojo id of a Kommo user (the first user when none is named).
pub fn user_amojo_id(
    world: &World,
    account_id: &str,
    user_id: Option<i64>,
) -> Result<(String, String)> {
    let account = world.account(account_id).ok_or_else(|| {
        ActionError::not_found("ACCOUNT_NOT_FOUND", format!("no account {account_id}"))
    })?;
    let user = match user_id {
        Some(id) => account.users.iter().find(|u| u.id == id),
        None => account.users.first(),
    }
    .ok_or_else(|| {
        ActionError::not_found(
            "USER_NOT_FOUND",
            format!("no user {user_id:?} in account {account_id}"),
        )
    })?;
    Ok((user.amojo_id.clone(), user.name.clone()))
}

/// Queues a hook for the scope's channel, unless the account disconnected it.
pub fn queue_hook(
    world: &mut World,
    scope_idx: usize,
    hook: &str,
    body: serde_json::Value,
    message_id: Option<String>,
) -> bool {
    let scope: &Scope = &world.scopes[scope_idx];
    if !scope.connected {
        return false;
    }
    let Some(channel) = world.channel(&scope.channel_id) else {
        return false;
    };
    let out = ChatHook {
        scope_id: scope.scope_id.clone(),
        account_id: scope.account_id.clone(),
        url: channel.webhook_url_for(&scope.scope_id),
        secret: channel.secret.clone(),
        hook: hook.to_string(),
        body: body.to_string(),
        message_id,
    };
    world.outbox.push(Outbound::ChatHook(out));
    true
}

/// The source a chat's hooks name: its own, else the integration's default source.
pub fn hook_source(world: &World, scope_idx: usize, conv_idx: usize) -> Option<String> {
    let scope = &world.scopes[scope_idx];
    let conv = &scope.conversations[conv_idx];
    let channel = world.channel(&scope.channel_id)?;
    let account = world.account(&scope.account_id)?;
    account
        .resolve_source(&channel.integration_id, conv.source_external_id.as_deref())
        .map(|s| s.external_id.clone())
        .or_else(|| conv.source_external_id.clone())
}

/// Queues the message hook in the format the scope connected with (v2, or deprecated v1).
pub fn queue_message_hook(
    world: &mut World,
    scope_idx: usize,
    conv_idx: usize,
    msg_idx: usize,
    now: i64,
) -> bool {
    let source = hook_source(world, scope_idx, conv_idx);
    let scope = &world.scopes[scope_idx];
    let m: &Message = &scope.messages[msg_idx];
    let body = if scope.hook_api_version == "v1" {
        crate::webhooks::payload::message_hook_v1(scope, m)
    } else {
        crate::webhooks::payload::message_hook(&scope.account_id, now, scope, m, source.as_deref())
    };
    let id = m.id.clone();
    queue_hook(world, scope_idx, "message", body, Some(id))
}
