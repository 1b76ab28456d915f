//! Conversations (chats), their participants and messages, in the two id
//! spaces of the Chats API: `id` is the sandbox's UUID, `client_id` the
//! integration's own id.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    pub id: String,
    /// The integration's `conversation_id`; `None` for a write-first chat until it binds.
    pub client_id: Option<String>,
    /// The client participant's sandbox id.
    pub client_participant_id: String,
    pub source_external_id: Option<String>,
    pub contact_id: Option<i64>,
    pub talk_id: Option<i64>,
    pub created_at: i64,
    /// Unix time of the last incoming message (restarts the time window).
    pub last_incoming_at: Option<i64>,
    /// Set when a manager wrote first to this phone.
    pub write_first_phone: Option<String>,
    /// The client is typing until this unix time.
    pub client_typing_until: Option<i64>,
    /// When the last manager-typing hook went out (at most one per 5 s).
    pub manager_typing_at: Option<i64>,
}

impl Conversation {
    pub fn new(
        id: String,
        client_id: Option<String>,
        client_participant_id: String,
        source: Option<String>,
        now: i64,
    ) -> Conversation {
        Conversation {
            id,
            client_id,
            client_participant_id,
            source_external_id: source,
            contact_id: None,
            talk_id: None,
            created_at: now,
            last_incoming_at: None,
            write_first_phone: None,
            client_typing_until: None,
            manager_typing_at: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantKind {
    /// A messenger user on the integration's side.
    Client,
    /// A Kommo user (manager), known by amojo id.
    User,
    /// The channel's bot.
    Bot,
}

#[derive(Debug, Clone, Serialize)]
pub struct Participant {
    pub id: String,
    pub client_id: Option<String>,
    pub kind: ParticipantKind,
    pub name: String,
    pub avatar: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub profile_link: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the client to Kommo.
    Incoming,
    /// From Kommo (a manager or the bot) to the client.
    Outgoing,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusChange {
    /// `sent`, `delivered`, `read` or `error`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reaction {
    pub participant_id: String,
    pub emoji: String,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: String,
    /// The integration's `msgid`; `None` for messages created in Kommo until reported.
    pub client_id: Option<String>,
    pub conversation_id: String,
    pub sender_id: String,
    pub receiver_id: Option<String>,
    pub direction: Direction,
    /// `api` (sent by the integration) or `kommo` (a manager, bot or template).
    pub origin: String,
    /// The message object: type, text, media, file_name, file_size, ...
    pub message: Value,
    pub timestamp: i64,
    pub msec_timestamp: i64,
    pub silent: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwards: Option<Value>,
    pub statuses: Vec<StatusChange>,
    pub edits: Vec<Value>,
    pub reactions: Vec<Reaction>,
}

impl Message {
    pub fn kind(&self) -> &str {
        self.message
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("text")
    }

    pub fn current_status(&self) -> Option<&StatusChange> {
        self.statuses.last()
    }
}
