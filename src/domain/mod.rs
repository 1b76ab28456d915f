//! The shared domain state: what Kommo knows. Every surface (Chats API, REST v4,
//! webhooks, browser, inspector) reads and changes this one world.

pub mod account;
pub mod auth;
pub mod browser_state;
pub mod channel;
pub mod chunked;
pub mod conditions;
pub mod conversation;
pub mod crm;
pub mod effects;
pub mod fields;
pub mod online_chat;
pub mod outbox;
pub mod rate_limit;
pub mod salesbot;
pub mod seed;
pub mod template;
pub mod webhooks;

pub use account::{Account, Pipeline, Source, User};
pub use channel::{Bot, Channel, Features, Scope};
pub use conversation::{
    Conversation, Direction, Message, Participant, ParticipantKind, Reaction, StatusChange,
};
pub use crm::{Company, Contact, FieldValue, IncomingLead, Lead, Notification, StoredField, Talk};
pub use outbox::{AccountEvent, ChatHook, Outbound};
pub use template::{Salesbot, Template};
pub use webhooks::{BotRun, ChatLink, HookRetry, Webhook};

use crate::config::Config;

/// Everything the sandbox holds. Guarded by one mutex in [`crate::Sandbox`];
/// every operation is short, so one lock keeps the model simple and consistent.
#[derive(Debug, Clone)]
pub struct World {
    pub seed: u64,
    pub accounts: Vec<Account>,
    pub channels: Vec<Channel>,
    /// Connections of channels to accounts, keyed by scope id, in creation order.
    pub scopes: Vec<Scope>,
    /// Hooks and events waiting to be delivered (see [`outbox`]).
    pub outbox: Vec<Outbound>,
    /// REST v4 OAuth clients and tokens.
    pub auth: auth::Auth,
    pub rate_limits: rate_limit::RateLimits,
    /// Account webhook retries, due on the sandbox clock.
    pub hook_retries: Vec<HookRetry>,
    /// Numeric id sequences shared by every account (Kommo's ids are global).
    pub sequences: std::sync::Arc<crate::ids::Sequences>,
    /// How many resets came before this world; what it queued carries the
    /// number, so hooks of an older world are never sent (see `webhooks::generation`).
    pub generation: u64,
}

impl World {
    pub fn from_config(config: &Config) -> World {
        seed::build(config)
    }

    pub fn account(&self, amojo_id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.amojo_id == amojo_id)
    }

    pub fn account_mut(&mut self, amojo_id: &str) -> Option<&mut Account> {
        self.accounts.iter_mut().find(|a| a.amojo_id == amojo_id)
    }

    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id)
    }

    pub fn scope(&self, scope_id: &str) -> Option<&Scope> {
        self.scopes.iter().find(|s| s.scope_id == scope_id)
    }

    /// The scope and its account, mutably at once (they live in separate lists).
    pub fn scope_and_account_mut(&mut self, scope_id: &str) -> Option<(&mut Scope, &mut Account)> {
        let scope = self.scopes.iter_mut().find(|s| s.scope_id == scope_id)?;
        let account = self
            .accounts
            .iter_mut()
            .find(|a| a.amojo_id == scope.account_id)?;
        Some((scope, account))
    }

    /// The scope, its account and its channel at once. They live in separate
    /// lists of the world, so they are borrowed side by side instead of
    /// cloning the channel on every message.
    pub fn scope_account_channel_mut(
        &mut self,
        scope_id: &str,
    ) -> Option<(&mut Scope, &mut Account, &Channel)> {
        let scope = self.scopes.iter_mut().find(|s| s.scope_id == scope_id)?;
        let account = self
            .accounts
            .iter_mut()
            .find(|a| a.amojo_id == scope.account_id)?;
        let channel = self.channels.iter().find(|c| c.id == scope.channel_id)?;
        Some((scope, account, channel))
    }

    /// Queues an account event; it is also kept in the account's event log.
    /// Only events some `/api/v4/webhooks` subscription wants are queued for
    /// delivery; the log keeps the last [`EVENT_LOG_CAP`] so memory stays flat.
    pub fn emit(&mut self, event: AccountEvent) {
        let Some(account) = self.account_mut(&event.account_id) else {
            return;
        };
        let wanted = account
            .webhooks
            .iter()
            .any(|w| !w.disabled && w.settings.contains(&event.event));
        if account.events.len() >= EVENT_LOG_CAP {
            account.events.pop_front();
        }
        if wanted {
            account.events.push_back(event.clone());
            self.outbox.push(Outbound::AccountEvent(event));
        } else {
            account.events.push_back(event);
        }
    }

    /// Takes what is to be sent now: the outbox, and the account-webhook retries due at `now`.
    pub fn take_due(&mut self, now: i64) -> Due {
        let queued = std::mem::take(&mut self.outbox);
        let generation = self.generation;
        if self.hook_retries.iter().all(|r| r.due_at > now) {
            return Due {
                queued,
                retries: vec![],
                generation,
            };
        }
        let (retries, later) = std::mem::take(&mut self.hook_retries)
            .into_iter()
            .partition(|r| r.due_at <= now);
        self.hook_retries = later;
        Due {
            queued,
            retries,
            generation,
        }
    }

    pub fn scopes_of(&self, amojo_id: &str) -> impl Iterator<Item = &Scope> {
        let id = amojo_id.to_string();
        self.scopes.iter().filter(move |s| s.account_id == id)
    }
}

/// What the world has to send, taken under its lock and sent after.
#[derive(Debug, Default)]
pub struct Due {
    pub queued: Vec<Outbound>,
    pub retries: Vec<HookRetry>,
    /// The world's generation when they were taken.
    pub generation: u64,
}

/// Account events kept per account (the newest ones).
pub const EVENT_LOG_CAP: usize = 1000;

/// `scope_id` = `{channel_id}_{account amojo_id}` (spec §1).
pub fn scope_id(channel_id: &str, account_id: &str) -> String {
    format!("{channel_id}_{account_id}")
}

/// Splits a scope id into channel and account ids.
pub fn split_scope(scope_id: &str) -> Option<(&str, &str)> {
    scope_id.split_once('_')
}
