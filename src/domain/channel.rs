//! Registered chat channels and their connections (scopes) to accounts.

use super::chunked::Chunked;
use super::conversation::{Conversation, Message, Participant};
use serde::Serialize;
/// The id indexes grow with every message. griddle moves entries to a grown
/// table a few per insert instead of all at once, so no single message pays
/// for rehashing the whole index under the world's lock. foldhash: the ids
/// are long strings hashed several times per message, and SipHash's
/// resistance to flooding buys nothing on loopback.
type HashMap<K, V> = griddle::HashMap<K, V, foldhash::fast::RandomState>;

#[derive(Debug, Clone, Serialize)]
pub struct Channel {
    pub id: String,
    pub code: String,
    pub secret: String,
    pub title: String,
    /// With `:scope_id`, replaced per account when a hook is sent.
    pub webhook_url: String,
    pub bot: Bot,
    pub integration_id: String,
    pub features: Features,
    /// Accounts that may connect; empty = all.
    pub accounts: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bot {
    pub id: String,
    pub client_id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Features {
    pub write_first: bool,
    pub time_window: Option<u64>,
    pub block_after_window: bool,
    pub typing_hooks: bool,
    pub reactions: Vec<String>,
}

impl Channel {
    pub fn may_connect(&self, account_id: &str) -> bool {
        self.accounts.is_empty() || self.accounts.iter().any(|a| a == account_id)
    }

    pub fn webhook_url_for(&self, scope_id: &str) -> String {
        self.webhook_url.replace(":scope_id", scope_id)
    }
}

/// A channel connected to an account: the unit of the Chats API. Holds that
/// connection's conversations, participants and messages.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    pub scope_id: String,
    pub channel_id: String,
    pub account_id: String,
    pub title: String,
    pub hook_api_version: String,
    pub is_time_window_disabled: bool,
    pub connected: bool,
    pub connected_at: i64,
    pub conversations: Vec<Conversation>,
    pub participants: Vec<Participant>,
    pub messages: Chunked<Message>,
    #[serde(skip)]
    pub index: ScopeIndex,
}

/// Lookups by both id spaces (integration ids and sandbox UUIDs).
#[derive(Debug, Clone, Default)]
pub struct ScopeIndex {
    pub conversation_by_id: HashMap<String, usize>,
    pub conversation_by_client_id: HashMap<String, usize>,
    pub participant_by_id: HashMap<String, usize>,
    pub participant_by_client_id: HashMap<String, usize>,
    pub message_by_id: HashMap<String, usize>,
    pub message_by_client_id: HashMap<String, usize>,
}

impl Scope {
    pub fn new(scope_id: String, channel_id: String, account_id: String) -> Scope {
        Scope {
            scope_id,
            channel_id,
            account_id,
            title: String::new(),
            hook_api_version: "v1".into(),
            is_time_window_disabled: false,
            connected: false,
            connected_at: 0,
            conversations: vec![],
            participants: vec![],
            messages: Chunked::new(),
            index: ScopeIndex::default(),
        }
    }

    pub fn conversation(&self, id: &str) -> Option<&Conversation> {
        self.index
            .conversation_by_id
            .get(id)
            .map(|&i| &self.conversations[i])
    }

    pub fn conversation_idx_by_client(&self, client_id: &str) -> Option<usize> {
        self.index.conversation_by_client_id.get(client_id).copied()
    }

    pub fn conversation_idx(&self, id: &str) -> Option<usize> {
        self.index.conversation_by_id.get(id).copied()
    }

    pub fn participant(&self, id: &str) -> Option<&Participant> {
        self.index
            .participant_by_id
            .get(id)
            .map(|&i| &self.participants[i])
    }

    pub fn participant_idx_by_client(&self, client_id: &str) -> Option<usize> {
        self.index.participant_by_client_id.get(client_id).copied()
    }

    pub fn message_idx(&self, id: &str) -> Option<usize> {
        self.index.message_by_id.get(id).copied()
    }

    pub fn message_idx_by_client(&self, client_id: &str) -> Option<usize> {
        self.index.message_by_client_id.get(client_id).copied()
    }

    pub fn add_conversation(&mut self, c: Conversation) -> usize {
        let i = self.conversations.len();
        self.index.conversation_by_id.insert(c.id.clone(), i);
        if let Some(client) = &c.client_id {
            self.index
                .conversation_by_client_id
                .insert(client.clone(), i);
        }
        self.conversations.push(c);
        i
    }

    /// Binds an integration chat id to an existing conversation (write first).
    pub fn bind_conversation(&mut self, i: usize, client_id: &str) {
        self.conversations[i].client_id = Some(client_id.to_string());
        self.index
            .conversation_by_client_id
            .insert(client_id.to_string(), i);
    }

    pub fn add_participant(&mut self, p: Participant) -> usize {
        let i = self.participants.len();
        self.index.participant_by_id.insert(p.id.clone(), i);
        if let Some(client) = &p.client_id {
            self.index
                .participant_by_client_id
                .insert(client.clone(), i);
        }
        self.participants.push(p);
        i
    }

    pub fn bind_participant(&mut self, i: usize, client_id: &str) {
        self.participants[i].client_id = Some(client_id.to_string());
        self.index
            .participant_by_client_id
            .insert(client_id.to_string(), i);
    }

    pub fn add_message(&mut self, m: Message) -> usize {
        let i = self.messages.len();
        self.index.message_by_id.insert(m.id.clone(), i);
        if let Some(client) = &m.client_id {
            self.index.message_by_client_id.insert(client.clone(), i);
        }
        self.messages.push(m);
        i
    }

    pub fn set_message_client_id(&mut self, i: usize, client_id: &str) {
        if let Some(old) = self.messages[i].client_id.take() {
            self.index.message_by_client_id.remove(&old);
        }
        self.messages[i].client_id = Some(client_id.to_string());
        self.index
            .message_by_client_id
            .insert(client_id.to_string(), i);
    }
}
