//! What an incoming client message does in the CRM (spec chat capabilities):
//! the first one in a new chat creates a contact, an incoming lead in the
//! source's pipeline, and a talk; every non-silent one notifies the managers.

use super::{Account, Channel, Contact, IncomingLead, Lead, Notification, Participant, Scope, Talk};

pub struct Incoming<'a> {
    pub conversation: usize,
    pub client: &'a Participant,
    pub text: Option<String>,
    pub now: i64,
}

pub fn on_incoming_message(account: &mut Account, channel: &Channel, scope: &mut Scope, msg: Incoming) {
    let conv = &scope.conversations[msg.conversation];
    let chat_id = conv.id.clone();
    let source_ext = conv.source_external_id.clone();
    let contact_id = match conv.contact_id {
        Some(id) => id,
        None => create_contact(account, msg.client, &chat_id, msg.now),
    };
    scope.conversations[msg.conversation].contact_id = Some(contact_id);
    let open_talk = scope.conversations[msg.conversation]
        .talk_id
        .and_then(|id| account.talks.iter().find(|t| t.talk_id == id && !t.closed));
    if open_talk.is_none() {
        let talk_id = open_incoming_lead(account, channel, &chat_id, contact_id, source_ext.as_deref(), msg.client, msg.text.clone(), msg.now);
        scope.conversations[msg.conversation].talk_id = Some(talk_id);
    } else if let Some(lead) = account.incoming_leads.iter_mut().rev().find(|l| l.chat_id == chat_id) {
        lead.last_message_text = msg.text.clone();
    }
    notify(account, &chat_id, contact_id, msg.client, msg.text, msg.now);
}

fn create_contact(account: &mut Account, client: &Participant, chat_id: &str, now: i64) -> i64 {
    let id = account.ids.number();
    let mut parts = client.name.splitn(2, ' ');
    let first_name = parts.next().unwrap_or("").to_string();
    let last_name = parts.next().unwrap_or("").to_string();
    account.contacts.push(Contact {
        id,
        name: client.name.clone(),
        first_name,
        last_name,
        phone: client.phone.clone(),
        email: client.email.clone(),
        avatar: (!client.avatar.is_empty()).then(|| client.avatar.clone()),
        responsible_user_id: account.users[0].id,
        created_at: now,
        updated_at: now,
        chat_ids: vec![chat_id.to_string()],
    });
    id
}

#[allow(clippy::too_many_arguments)]
fn open_incoming_lead(
    account: &mut Account,
    channel: &Channel,
    chat_id: &str,
    contact_id: i64,
    source_ext: Option<&str>,
    client: &Participant,
    text: Option<String>,
    now: i64,
) -> i64 {
    let source = account.resolve_source(&channel.integration_id, source_ext).cloned();
    let pipeline = account.pipeline_for(source.as_ref()).clone();
    let lead_id = account.ids.number();
    account.leads.push(Lead {
        id: lead_id,
        name: format!("Lead #{lead_id}"),
        price: 0,
        status_id: pipeline.incoming_status_id,
        pipeline_id: pipeline.id,
        responsible_user_id: account.users[0].id,
        contact_ids: vec![contact_id],
        source_id: source.as_ref().map(|s| s.id),
        created_at: now,
        updated_at: now,
    });
    let uid = account.ids.hex(40);
    let source_name = source.as_ref().map(|s| s.name.clone()).unwrap_or_else(|| channel.title.clone());
    account.incoming_leads.push(IncomingLead {
        uid,
        source_uid: format!("{}:{}", channel.code, source.as_ref().map(|s| s.external_id.as_str()).unwrap_or("")),
        source_name,
        category: "chats".into(),
        pipeline_id: pipeline.id,
        created_at: now,
        state: "pending".into(),
        chat_id: chat_id.to_string(),
        contact_id,
        lead_id,
        client_name: client.name.clone(),
        client_avatar: (!client.avatar.is_empty()).then(|| client.avatar.clone()),
        service: channel.code.clone(),
        last_message_text: text,
    });
    let talk_id = account.ids.number();
    account.talks.push(Talk {
        talk_id,
        chat_id: chat_id.to_string(),
        contact_id,
        entity_id: Some(lead_id),
        entity_type: Some("lead".into()),
        is_in_work: true,
        is_read: false,
        origin: channel.code.clone(),
        created_at: now,
        updated_at: now,
        closed: false,
    });
    talk_id
}

fn notify(account: &mut Account, chat_id: &str, contact_id: i64, client: &Participant, text: Option<String>, now: i64) {
    let id = account.ids.number();
    let user_ids = account.users.iter().map(|u| u.id).collect();
    account.notifications.push(Notification {
        id,
        kind: "incoming_message".into(),
        user_ids,
        text: format!("{}: {}", client.name, text.unwrap_or_default()),
        chat_id: Some(chat_id.to_string()),
        contact_id: Some(contact_id),
        created_at: now,
    });
}
