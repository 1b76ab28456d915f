//! What an incoming client message does in the CRM (spec chat capabilities):
//! the first one in a new chat creates a contact, an incoming lead in the
//! source's pipeline, and a talk; every non-silent one notifies the managers.

use super::{
    Account, AccountEvent, Channel, Contact, Conversation, FieldValue, IncomingLead, Lead,
    Notification, Participant, Talk,
};
use serde::Serialize;
use serde_json::json;

pub struct Incoming<'a> {
    pub conversation: &'a mut Conversation,
    pub message_id: String,
    pub client: &'a Participant,
    pub text: Option<String>,
    pub now: i64,
}

/// Applies the CRM effects and returns the account events they raise (the
/// caller queues them with [`super::World::emit`] once its borrows end).
pub fn on_incoming_message(
    account: &mut Account,
    channel: &Channel,
    msg: Incoming,
) -> Vec<AccountEvent> {
    let mut events = vec![];
    let conv = &*msg.conversation;
    let chat_id = conv.id.clone();
    let source_ext = conv.source_external_id.clone();
    let contact_id = match conv.contact_id {
        Some(id) => id,
        None => {
            let id = create_contact(account, msg.client, &chat_id, msg.now);
            events.push(event(
                account,
                "contacts",
                "add",
                "add_contact",
                json!({"id": id, "name": msg.client.name, "type": "contact"}),
                msg.now,
            ));
            id
        }
    };
    msg.conversation.contact_id = Some(contact_id);
    let open_talk = msg
        .conversation
        .talk_id
        .and_then(|id| account.talks.iter().find(|t| t.talk_id == id && !t.closed));
    if open_talk.is_none() {
        let talk_id = open_incoming_lead(
            account,
            channel,
            &chat_id,
            contact_id,
            source_ext.as_deref(),
            msg.client,
            msg.text.clone(),
            msg.now,
        );
        msg.conversation.talk_id = Some(talk_id);
        events.extend(incoming_lead_events(account, talk_id, msg.now));
    } else if let Some(lead) = account
        .incoming_leads
        .iter_mut()
        .rev()
        .find(|l| l.chat_id == chat_id)
    {
        lead.last_message_text = msg.text.clone();
    }
    let talk_id = msg.conversation.talk_id;
    let lead_id = talk_id
        .and_then(|t| account.talks.iter().find(|x| x.talk_id == t))
        .and_then(|t| t.entity_id);
    events.push(event(
        account,
        "message",
        "add",
        "add_message",
        MessageAdded {
            id: &msg.message_id,
            chat_id: &chat_id,
            talk_id,
            contact_id,
            text: msg.text.as_deref().unwrap_or_default(),
            created_at: msg.now,
            element_type: 2,
            element_id: lead_id,
            entity_type: "lead",
            entity_id: lead_id,
            kind: "incoming",
            author: Author {
                id: &msg.client.id,
                kind: "external",
                name: &msg.client.name,
            },
            origin: &channel.code,
        },
        msg.now,
    ));
    notify(account, &chat_id, contact_id, msg.client, msg.text, msg.now);
    events
}

/// `message.add` as the account's webhooks carry it; typed rather than built
/// with `json!` because every incoming message raises one.
#[derive(Serialize)]
struct MessageAdded<'a> {
    id: &'a str,
    chat_id: &'a str,
    talk_id: Option<i64>,
    contact_id: i64,
    text: &'a str,
    created_at: i64,
    element_type: u8,
    element_id: Option<i64>,
    entity_type: &'static str,
    entity_id: Option<i64>,
    #[serde(rename = "type")]
    kind: &'static str,
    author: Author<'a>,
    origin: &'a str,
}

#[derive(Serialize)]
struct Author<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
}

pub fn event(
    account: &Account,
    entity: &str,
    action: &str,
    code: &str,
    data: impl Serialize,
    now: i64,
) -> AccountEvent {
    AccountEvent {
        account_id: account.amojo_id.clone(),
        entity: entity.into(),
        action: action.into(),
        event: code.into(),
        data: serde_json::value::to_raw_value(&data).expect("event data is plain JSON"),
        at: now,
    }
}

/// `leads.add`, `unsorted.add` and `talk.add` for a freshly opened incoming lead.
fn incoming_lead_events(account: &Account, talk_id: i64, now: i64) -> Vec<AccountEvent> {
    let talk = account
        .talks
        .iter()
        .find(|t| t.talk_id == talk_id)
        .expect("talk just created");
    let lead = account
        .leads
        .iter()
        .find(|l| Some(l.id) == talk.entity_id)
        .expect("lead just created");
    let unsorted = account
        .incoming_leads
        .iter()
        .rev()
        .find(|u| u.lead_id == lead.id)
        .expect("incoming lead just created");
    vec![
        event(
            account,
            "leads",
            "add",
            "add_lead",
            json!({"id": lead.id, "name": lead.name, "status_id": lead.status_id, "pipeline_id": lead.pipeline_id, "price": lead.price, "responsible_user_id": lead.responsible_user_id, "created_at": lead.created_at, "account_id": account.id}),
            now,
        ),
        event(
            account,
            "unsorted",
            "add",
            "add_unsorted",
            json!({"uid": unsorted.uid, "category": "chats", "pipeline_id": unsorted.pipeline_id, "account_id": account.id, "source": unsorted.source_uid, "data": {"leads": [{"id": lead.id}], "contacts": [{"id": unsorted.contact_id}]}, "created_at": unsorted.created_at}),
            now,
        ),
        event(
            account,
            "talk",
            "add",
            "add_talk",
            json!({"talk_id": talk.talk_id, "chat_id": talk.chat_id, "contact_id": talk.contact_id, "entity_id": talk.entity_id, "entity_type": talk.entity_type, "is_in_work": talk.is_in_work, "is_read": talk.is_read, "origin": talk.origin, "created_at": talk.created_at, "updated_at": talk.updated_at, "account_id": account.id}),
            now,
        ),
    ]
}

fn create_contact(account: &mut Account, client: &Participant, chat_id: &str, now: i64) -> i64 {
    let id = account.ids.next(crate::ids::Kind::Contact);
    let mut parts = client.name.splitn(2, ' ');
    let first_name = parts.next().unwrap_or("").to_string();
    let last_name = parts.next().unwrap_or("").to_string();
    account.contacts.push(Contact {
        name: client.name.clone(),
        first_name,
        last_name,
        phones: FieldValue::work(client.phone.clone()),
        emails: FieldValue::work(client.email.clone()),
        avatar: (!client.avatar.is_empty()).then(|| client.avatar.clone()),
        chat_ids: vec![chat_id.to_string()],
        ..Contact::new(id, account.users[0].id, now)
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
    let source = account
        .resolve_source(&channel.integration_id, source_ext)
        .cloned();
    let pipeline = account.pipeline_for(source.as_ref()).clone();
    let lead_id = account.ids.next(crate::ids::Kind::Lead);
    account.leads.push(Lead {
        contact_ids: vec![contact_id],
        source_id: source.as_ref().map(|s| s.id),
        ..Lead::new(
            lead_id,
            pipeline.id,
            pipeline.incoming_status_id,
            account.users[0].id,
            now,
        )
    });
    let uid = account.ids.hex(40);
    let source_name = source
        .as_ref()
        .map(|s| s.name.clone())
        .unwrap_or_else(|| channel.title.clone());
    account.incoming_leads.push(IncomingLead {
        uid,
        source_uid: format!(
            "{}:{}",
            channel.code,
            source
                .as_ref()
                .map(|s| s.external_id.as_str())
                .unwrap_or("")
        ),
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
        form_metadata: None,
    });
    let talk_id = account.ids.next(crate::ids::Kind::Talk);
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

fn notify(
    account: &mut Account,
    chat_id: &str,
    contact_id: i64,
    client: &Participant,
    text: Option<String>,
    now: i64,
) {
    let id = account.ids.number();
    let user_ids = account.users.iter().map(|u| u.id).collect();
    account.notifications.push(Notification {
        id,
        kind: "incoming_message".into(),
        user_ids,
        text: format!("{}: {}", client.name, text.unwrap_or_default()),
        chat_id: Some(chat_id.to_string()),
        contact_id: Some(contact_id),
        params: None,
        created_at: now,
    });
}
