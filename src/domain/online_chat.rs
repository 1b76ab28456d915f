//! The account's website chat ("online chat"): a channel of its own whose
//! conversations are visitors of the site. A visitor's message is an incoming
//! message like any other (contact, incoming lead, talk, notification); what
//! only the website chat knows (setMeta data, bot runs, web1on1 fields) lives
//! in [`ChatMeta`].

use super::effects::{on_incoming_message, Incoming};
use super::{
    Bot, Channel, Conversation, Direction, Features, Message, Participant, ParticipantKind, Scope,
    StatusChange, World,
};
use serde::Serialize;
use serde_json::{Map, Value};

/// Channel code of the website chat [inferred: Kommo's own code is not documented].
pub const CHANNEL_CODE: &str = "online_chat";

#[derive(Debug, Clone, Default, Serialize)]
pub struct OnlineChat {
    /// Created on first use, so configured accounts and their credentials stay as they were.
    pub scope_id: Option<String>,
    /// The button's own settings in the CRM (what `crmPluginConfig` may override).
    pub button: Value,
    /// The online chatbot (`browser::bot::BotConfig` as JSON), if one is set.
    pub bot: Option<Value>,
    pub chats: Vec<ChatMeta>,
    pub key_action_hooks: Vec<KeyActionHook>,
}

/// What the website chat knows about one conversation beyond its messages.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChatMeta {
    /// The sandbox chat UUID.
    pub conversation_id: String,
    /// `onlinechat.user_id` when the site passed one, else the browser's own visitor id.
    pub visitor: String,
    /// `button` or `web1on1`.
    pub widget: String,
    /// Every `setMeta` payload, in order.
    pub meta: Vec<Value>,
    /// `bot_params` merged from the payloads.
    pub bot_params: Map<String, Value>,
    pub bot_runs: Vec<Value>,
    /// web1on1 `>cs` results: profile/form fields, forms, category, variables, ...
    pub fields: Map<String, Value>,
    pub forms: Vec<String>,
    pub category: Option<String>,
    pub variables: Map<String, Value>,
    pub assigned_to: Option<String>,
    /// `/notify [inbox]`; `None` = all organizations.
    pub notified: Vec<Option<String>>,
    pub mentions: Vec<Value>,
    pub command_errors: Vec<Value>,
    /// The visitor's read position: outgoing messages up to here are read.
    pub read_until: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyActionHook {
    pub hook: String,
    pub conversation_id: Option<String>,
    pub visitor: String,
    pub at: i64,
    /// The configured bot flow it started, if any.
    pub started_bot: bool,
}

/// The website chat's scope for this account, created on first use.
pub fn ensure_scope(world: &mut World, amojo_id: &str, now: i64) -> Option<String> {
    let account = world.account(amojo_id)?;
    if let Some(id) = &account.browser.online_chat.scope_id {
        return Some(id.clone());
    }
    let channel = channel_for(world, amojo_id);
    let scope_id = super::scope_id(&channel.id, amojo_id);
    let mut scope = Scope::new(scope_id.clone(), channel.id.clone(), amojo_id.to_string());
    scope.title = channel.title.clone();
    scope.connected = true;
    scope.connected_at = now;
    world.channels.push(channel);
    world.scopes.push(scope);
    world.account_mut(amojo_id)?.browser.online_chat.scope_id = Some(scope_id.clone());
    Some(scope_id)
}

fn channel_for(world: &mut World, amojo_id: &str) -> Channel {
    let account = world.account_mut(amojo_id).expect("checked");
    let id = account.ids.uuid();
    let integration_id = account.ids.uuid();
    Channel {
        bot: Bot {
            id: account.ids.uuid(),
            client_id: "online-chat-bot".into(),
            name: "Online chat bot".into(),
        },
        id,
        code: CHANNEL_CODE.into(),
        secret: account.ids.hex(40),
        title: "Website chat".into(),
        // Nothing listens for the website chat's hooks; port 9 refuses at once.
        webhook_url: "http://127.0.0.1:9/online-chat/:scope_id".into(),
        integration_id,
        features: Features {
            write_first: false,
            time_window: None,
            block_after_window: false,
            typing_hooks: false,
            reactions: vec![],
        },
        accounts: vec![amojo_id.to_string()],
    }
}

/// The visitor's conversation (created if new) and its index in the scope.
pub fn conversation_for(
    world: &mut World,
    amojo_id: &str,
    visitor: &str,
    widget: &str,
    name: &str,
    now: i64,
) -> Option<(String, usize)> {
    let scope_id = ensure_scope(world, amojo_id, now)?;
    let (scope, account) = world.scope_and_account_mut(&scope_id)?;
    if let Some(i) = scope.conversation_idx_by_client(visitor) {
        return Some((scope_id, i));
    }
    let participant = Participant {
        id: account.ids.uuid(),
        client_id: Some(visitor.to_string()),
        kind: ParticipantKind::Client,
        name: name.to_string(),
        avatar: String::new(),
        phone: None,
        email: None,
        profile_link: None,
    };
    let conversation = Conversation::new(
        account.ids.uuid(),
        Some(visitor.to_string()),
        participant.id.clone(),
        None,
        now,
    );
    let meta = ChatMeta {
        conversation_id: conversation.id.clone(),
        visitor: visitor.into(),
        widget: widget.into(),
        ..Default::default()
    };
    account.browser.online_chat.chats.push(meta);
    scope.add_participant(participant);
    Some((scope_id, scope.add_conversation(conversation)))
}

/// Stores the visitor's message and applies the CRM effects of an incoming message.
pub fn visitor_message(
    world: &mut World,
    scope_id: &str,
    conv: usize,
    text: &str,
    now_ms: i64,
) -> Option<String> {
    let (scope, account, channel) = world.scope_account_channel_mut(scope_id)?;
    let client = *scope
        .index
        .participant_by_id
        .get(&scope.conversations[conv].client_participant_id)?;
    let msg = message(
        account.ids.uuid(),
        &scope.conversations[conv].id,
        &scope.participants[client].id,
        Direction::Incoming,
        text,
        now_ms,
    );
    let message_id = msg.id.clone();
    scope.add_message(msg);
    scope.conversations[conv].last_incoming_at = Some(now_ms / 1000);
    let incoming = Incoming {
        conversation: &mut scope.conversations[conv],
        message_id: message_id.clone(),
        client: &scope.participants[client],
        text: Some(text.into()),
        now: now_ms / 1000,
    };
    let events = on_incoming_message(account, channel, incoming);
    events.into_iter().for_each(|e| world.emit(e));
    apply_site_meta(world, scope_id, conv);
    Some(message_id)
}

/// `setMeta({contact: {name}, lead: {name, sale}})`: what the site knows about the
/// visitor names the chat's client, its contact and its lead (latest payload wins).
/// Idempotent, so it runs after every payload and every visitor message.
pub fn apply_site_meta(world: &mut World, scope_id: &str, conv: usize) {
    let Some((scope, account)) = world.scope_and_account_mut(scope_id) else {
        return;
    };
    let conversation = scope.conversations[conv].clone();
    let Some(meta) = account
        .browser
        .online_chat
        .chats
        .iter()
        .find(|c| c.conversation_id == conversation.id)
    else {
        return;
    };
    let last = |path: &[&str]| {
        meta.meta
            .iter()
            .rev()
            .find_map(|p| path.iter().try_fold(p, |v, k| v.get(*k)).cloned())
    };
    let (contact_name, lead_name, sale) = (
        last(&["contact", "name"]),
        last(&["lead", "name"]),
        last(&["lead", "sale"]),
    );
    if let Some(name) = contact_name.as_ref().and_then(Value::as_str) {
        if let Some(i) = scope
            .index
            .participant_by_id
            .get(&conversation.client_participant_id)
            .copied()
        {
            scope.participants[i].name = name.to_string();
        }
        if let Some(c) = account
            .contacts
            .iter_mut()
            .find(|c| Some(c.id) == conversation.contact_id)
        {
            c.name = name.to_string();
        }
    }
    let lead_id = conversation
        .talk_id
        .and_then(|t| account.talks.iter().find(|x| x.talk_id == t))
        .and_then(|t| t.entity_id);
    let Some(lead) = account.leads.iter_mut().find(|l| Some(l.id) == lead_id) else {
        return;
    };
    if let Some(name) = lead_name.as_ref().and_then(Value::as_str) {
        lead.name = name.to_string();
    }
    if let Some(sale) = sale.as_ref().and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    }) {
        lead.price = sale;
    }
}

/// A reply to the visitor from the bot (`user_id` None) or a manager.
pub fn reply(
    world: &mut World,
    scope_id: &str,
    conv: usize,
    user_id: Option<i64>,
    text: &str,
    now_ms: i64,
) -> Option<String> {
    let bot = world
        .scope(scope_id)
        .and_then(|s| world.channel(&s.channel_id))
        .map(|c| c.bot.clone())?;
    let (scope, account) = world.scope_and_account_mut(scope_id)?;
    let (author_key, name) = match user_id.and_then(|id| account.users.iter().find(|u| u.id == id))
    {
        Some(u) => (u.amojo_id.clone(), u.name.clone()),
        None if user_id.is_some() => return None,
        None => (bot.id.clone(), bot.name.clone()),
    };
    let kind = if user_id.is_some() {
        ParticipantKind::User
    } else {
        ParticipantKind::Bot
    };
    let sender = author_participant(scope, &author_key, kind, &name);
    let mut msg = message(
        account.ids.uuid(),
        &scope.conversations[conv].id,
        &sender,
        Direction::Outgoing,
        text,
        now_ms,
    );
    msg.origin = "kommo".into();
    msg.receiver_id = Some(scope.conversations[conv].client_participant_id.clone());
    msg.statuses.push(StatusChange {
        status: "sent".into(),
        error_code: None,
        error: None,
        at: now_ms / 1000,
    });
    let id = msg.id.clone();
    scope.add_message(msg);
    Some(id)
}

/// The participant standing for a Kommo user or the bot, keyed by its amojo id.
fn author_participant(scope: &mut Scope, key: &str, kind: ParticipantKind, name: &str) -> String {
    if let Some(i) = scope.participant_idx_by_client(key) {
        return scope.participants[i].id.clone();
    }
    let p = Participant {
        id: key.to_string(),
        client_id: Some(key.to_string()),
        kind,
        name: name.into(),
        avatar: String::new(),
        phone: None,
        email: None,
        profile_link: None,
    };
    scope.add_participant(p);
    key.to_string()
}

fn message(
    id: String,
    conversation_id: &str,
    sender: &str,
    direction: Direction,
    text: &str,
    now_ms: i64,
) -> Message {
    Message {
        id,
        client_id: None,
        conversation_id: conversation_id.into(),
        sender_id: sender.into(),
        receiver_id: None,
        direction,
        origin: "online_chat".into(),
        message: serde_json::json!({"type": "text", "text": text}),
        timestamp: now_ms / 1000,
        msec_timestamp: now_ms,
        silent: false,
        source_external_id: None,
        reply_to: None,
        forwards: None,
        statuses: vec![],
        edits: vec![],
        reactions: vec![],
    }
}

/// The visitor has seen every message so far: outgoing ones become `read`.
pub fn mark_read(world: &mut World, scope_id: &str, conversation_id: &str, now: i64) -> usize {
    let Some((scope, account)) = world.scope_and_account_mut(scope_id) else {
        return 0;
    };
    let mut changed = 0;
    for m in scope
        .messages
        .iter_mut()
        .filter(|m| m.conversation_id == conversation_id && m.direction == Direction::Outgoing)
    {
        if m.current_status().map(|s| s.status.as_str()) != Some("read") {
            m.statuses.push(StatusChange {
                status: "read".into(),
                error_code: None,
                error: None,
                at: now,
            });
            changed += 1;
        }
    }
    if let Some(meta) = account
        .browser
        .online_chat
        .chats
        .iter_mut()
        .find(|c| c.conversation_id == conversation_id)
    {
        meta.read_until = scope.messages.len();
    }
    changed
}

pub fn meta_mut<'a>(
    world: &'a mut World,
    amojo_id: &str,
    conversation_id: &str,
) -> Option<&'a mut ChatMeta> {
    world
        .account_mut(amojo_id)?
        .browser
        .online_chat
        .chats
        .iter_mut()
        .find(|c| c.conversation_id == conversation_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn world() -> (World, String) {
        let w = World::from_config(&Config::default());
        let id = w.accounts[0].amojo_id.clone();
        (w, id)
    }

    #[test]
    fn visitor_message_creates_contact_lead_and_notification() {
        let (mut w, acc) = world();
        let (scope, conv) =
            conversation_for(&mut w, &acc, "v1", "button", "Ann Lee", 1_000).unwrap();
        visitor_message(&mut w, &scope, conv, "hi", 1_000_000).unwrap();
        let a = w.account(&acc).unwrap();
        assert_eq!(a.contacts.len(), 1);
        assert_eq!(a.incoming_leads[0].service, CHANNEL_CODE);
        assert!(a.notifications.iter().any(|n| n.text == "Ann Lee: hi"));
    }

    #[test]
    fn set_meta_names_the_contact_and_the_lead() {
        let (mut w, acc) = world();
        let (scope, conv) =
            conversation_for(&mut w, &acc, "v2", "button", "Visitor v2", 1).unwrap();
        let conv_id = w.scope(&scope).unwrap().conversations[conv].id.clone();
        let meta = serde_json::json!({"contact": {"name": "Maria Silva"}, "lead": {"name": "Website order", "sale": "1500"}});
        meta_mut(&mut w, &acc, &conv_id).unwrap().meta.push(meta);
        visitor_message(&mut w, &scope, conv, "hi", 1_000).unwrap();
        let a = w.account(&acc).unwrap();
        assert_eq!(a.contacts[0].name, "Maria Silva");
        assert_eq!(
            (a.leads[0].name.as_str(), a.leads[0].price),
            ("Website order", 1500)
        );
    }

    #[test]
    fn same_visitor_same_conversation_and_reply_is_read() {
        let (mut w, acc) = world();
        let (scope, a) = conversation_for(&mut w, &acc, "u:abc", "button", "V", 1).unwrap();
        let (_, b) = conversation_for(&mut w, &acc, "u:abc", "button", "V", 1).unwrap();
        assert_eq!(a, b);
        let user = w.accounts[0].users[0].id;
        reply(&mut w, &scope, a, Some(user), "hello", 2_000).unwrap();
        let conv_id = w.scope(&scope).unwrap().conversations[a].id.clone();
        assert_eq!(mark_read(&mut w, &scope, &conv_id, 3), 1);
        assert_eq!(
            w.scope(&scope).unwrap().messages[0]
                .current_status()
                .unwrap()
                .status,
            "read"
        );
    }
}
