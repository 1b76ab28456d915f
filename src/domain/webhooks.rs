//! Account webhook subscriptions (`/api/v4/webhooks`) and the other REST-only
//! records: chat-contact links and Salesbot runs.

use serde::Serialize;

/// At most this many subscriptions per account (spec §7.1).
pub const WEBHOOKS_LIMIT: usize = 100;
/// A subscriber must answer within 2 s with 100–299 (spec §7.3).
pub const ANSWER_WITHIN_MS: u64 = 2_000;

#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub id: i64,
    pub destination: String,
    pub settings: Vec<String>,
    pub sort: i64,
    pub disabled: bool,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A chat linked to a contact (`/api/v4/contacts/chats`); the id changes on relink.
#[derive(Debug, Clone, Serialize)]
pub struct ChatLink {
    pub id: i64,
    pub chat_id: String,
    pub contact_id: i64,
}

/// One Salesbot run, with what each step did.
#[derive(Debug, Clone, Serialize)]
pub struct BotRun {
    pub bot_id: i64,
    pub entity_id: i64,
    /// `leads` or `contacts`.
    pub entity_type: String,
    pub chat_id: Option<String>,
    pub at: i64,
    pub stopped: bool,
    pub log: Vec<String>,
}
