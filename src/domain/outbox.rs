//! What the world wants sent once the lock is released: signed chat hooks to
//! the integration, and account events for REST v4 webhook subscriptions.
//! Domain code only queues; `Sandbox::flush` delivers.

use serde::Serialize;
use serde_json::value::RawValue;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outbound {
    /// A v2 Chats API hook (message, typing, reaction) to the channel's webhook URL.
    ChatHook(ChatHook),
    /// An account event (`leads.add`, `message.add`, ...) for `/api/v4/webhooks` subscribers.
    AccountEvent(AccountEvent),
}

#[derive(Debug, Clone, Serialize)]
pub struct ChatHook {
    pub scope_id: String,
    pub account_id: String,
    pub url: String,
    pub secret: String,
    /// `message`, `typing` or `reaction`.
    pub hook: String,
    /// Exact body bytes; signed as they are.
    pub body: String,
    /// The sandbox message id, for message hooks.
    pub message_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountEvent {
    /// amojo id of the account.
    pub account_id: String,
    /// Entity key as in the form body: `leads`, `contacts`, `unsorted`, `message`, `talk`.
    pub entity: String,
    /// `add`, `update`, `delete`, `status`, ...
    pub action: String,
    /// Subscription code, e.g. `add_lead`, `add_message`, `update_talk`.
    pub event: String,
    /// Kept as JSON text: an account raises an event for every message, and
    /// text is cheap to build, keep and drop where a JSON map is not.
    pub data: Box<RawValue>,
    pub at: i64,
}
