//! "Write first" (spec §6): a manager writes to a phone number from a lead card.
//! Kommo creates the chat itself, so its hook has no `conversation.client_id`;
//! the chat binds when the integration answers with `conversation_ref_id`.

use super::{send_outgoing, ActionError, Author, OutgoingSpec, Result};
use crate::domain::{Contact, Conversation, FieldValue, Participant, ParticipantKind, World};
use serde_json::json;

#[derive(Debug, Clone, Default)]
pub struct WriteFirst {
    pub phone: String,
    pub text: String,
    /// Which connected channel; the account's first connected scope by default.
    pub scope_id: Option<String>,
    pub source_external_id: Option<String>,
    pub user_id: Option<i64>,
}

pub struct WriteFirstResult {
    pub chat_id: String,
    pub message_id: String,
    pub receiver_id: String,
}

pub fn write_first(
    world: &mut World,
    now: i64,
    account_id: &str,
    req: WriteFirst,
) -> Result<WriteFirstResult> {
    if req.phone.trim().is_empty() || req.text.is_empty() {
        return Err(ActionError::bad(
            "PHONE_AND_TEXT_REQUIRED",
            "write first needs `phone` and `text`",
        ));
    }
    let si = pick_scope(world, account_id, req.scope_id.as_deref())?;
    let contact_id = contact_for_phone(world, account_id, &req.phone, now);
    let account = world.account_mut(account_id).expect("scope found");
    let (participant_id, chat_id) = (account.ids.uuid(), account.ids.uuid());
    let name = account
        .contacts
        .iter()
        .find(|c| c.id == contact_id)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    if let Some(c) = account.contacts.iter_mut().find(|c| c.id == contact_id) {
        c.chat_ids.push(chat_id.clone());
    }
    let scope = &mut world.scopes[si];
    scope.add_participant(Participant {
        id: participant_id.clone(),
        client_id: None,
        kind: ParticipantKind::Client,
        name,
        avatar: String::new(),
        phone: Some(req.phone.clone()),
        email: None,
        profile_link: None,
    });
    let mut chat = Conversation::new(
        chat_id.clone(),
        None,
        participant_id.clone(),
        req.source_external_id.clone(),
        now,
    );
    chat.write_first_phone = Some(req.phone.clone());
    chat.contact_id = Some(contact_id);
    scope.add_conversation(chat);
    let spec = OutgoingSpec {
        chat_id: chat_id.clone(),
        author: Author::Manager,
        user_id: req.user_id,
        message: json!({"type": "text", "text": req.text}),
        reply_to: None,
        is_template: false,
        silent: false,
    };
    let message_id = send_outgoing(world, now, account_id, spec)?;
    Ok(WriteFirstResult {
        chat_id,
        message_id,
        receiver_id: participant_id,
    })
}

fn pick_scope(world: &World, account_id: &str, scope_id: Option<&str>) -> Result<usize> {
    let i = world
        .scopes
        .iter()
        .position(|s| s.account_id == account_id && s.connected && scope_id.is_none_or(|id| s.scope_id == id))
        .ok_or_else(|| ActionError::conflict("CHANNEL_NOT_CONNECTED", "no connected channel in this account: the integration must call connect first (write first is hidden while disconnected)"))?;
    let channel = world
        .channel(&world.scopes[i].channel_id)
        .ok_or_else(|| ActionError::not_found("CHANNEL_NOT_FOUND", "channel is gone"))?;
    if !channel.features.write_first {
        return Err(ActionError::bad(
            "WRITE_FIRST_DISABLED",
            format!(
                "channel {} was registered without \"write first\"",
                channel.id
            ),
        ));
    }
    Ok(i)
}

/// The contact with this phone, or a new one named after it.
fn contact_for_phone(world: &mut World, account_id: &str, phone: &str, now: i64) -> i64 {
    let account = world.account_mut(account_id).expect("account exists");
    if let Some(c) = account
        .contacts
        .iter()
        .find(|c| c.phones.iter().any(|p| p.value == phone))
    {
        return c.id;
    }
    let id = account.ids.next(crate::ids::Kind::Contact);
    let responsible = account.users.first().map(|u| u.id).unwrap_or(0);
    account.contacts.push(Contact {
        name: phone.to_string(),
        first_name: phone.to_string(),
        phones: FieldValue::work(Some(phone.to_string())),
        ..Contact::new(id, responsible, now)
    });
    id
}
