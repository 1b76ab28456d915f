//! CRM records that chats create: contacts, leads, incoming (unsorted) leads,
//! talks and notifications for managers.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: i64,
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    /// Kommo's PHONE and EMAIL multitext fields: every value with its kind,
    /// the main one first.
    pub phones: Vec<FieldValue>,
    pub emails: Vec<FieldValue>,
    pub avatar: Option<String>,
    pub responsible_user_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Chats (sandbox UUIDs) linked to this contact.
    pub chat_ids: Vec<String>,
    /// The company the contact works for (Kommo links a contact to one).
    pub company_id: Option<i64>,
    pub tag_ids: Vec<i64>,
    /// Values of the account's other contact fields.
    pub fields: Vec<StoredField>,
}

impl Contact {
    /// A contact with no name, phone or email yet, as the account's user
    /// `responsible_user_id` gets it at `now`.
    pub fn new(id: i64, responsible_user_id: i64, now: i64) -> Contact {
        Contact {
            id,
            name: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            phones: vec![],
            emails: vec![],
            avatar: None,
            responsible_user_id,
            created_at: now,
            updated_at: now,
            chat_ids: vec![],
            company_id: None,
            tag_ids: vec![],
            fields: vec![],
        }
    }

    /// The main phone number: the one chats, write-first and templates use.
    pub fn phone(&self) -> Option<&str> {
        self.phones.first().map(|v| v.value.as_str())
    }

    pub fn email(&self) -> Option<&str> {
        self.emails.first().map(|v| v.value.as_str())
    }
}

/// One value of a multitext field and its kind (`enum_code`: `WORK`, `MOB`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldValue {
    pub value: String,
    pub enum_code: String,
}

impl FieldValue {
    /// A value of the first kind, `WORK`, as Kommo files a chat client's
    /// phone or email; none when there is no value.
    pub fn work(value: Option<String>) -> Vec<FieldValue> {
        value
            .into_iter()
            .map(|value| FieldValue {
                value,
                enum_code: "WORK".into(),
            })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Lead {
    pub id: i64,
    pub name: String,
    pub price: i64,
    pub status_id: i64,
    pub pipeline_id: i64,
    pub responsible_user_id: i64,
    pub contact_ids: Vec<i64>,
    /// A lead belongs to at most one company.
    pub company_id: Option<i64>,
    pub source_id: Option<i64>,
    pub tag_ids: Vec<i64>,
    pub fields: Vec<StoredField>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Lead {
    /// A lead named `Lead #<id>` in `status_id` of `pipeline_id`, with no
    /// contacts, as `responsible_user_id` gets it at `now`.
    pub fn new(
        id: i64,
        pipeline_id: i64,
        status_id: i64,
        responsible_user_id: i64,
        now: i64,
    ) -> Lead {
        Lead {
            id,
            name: format!("Lead #{id}"),
            price: 0,
            status_id,
            pipeline_id,
            responsible_user_id,
            contact_ids: vec![],
            company_id: None,
            source_id: None,
            tag_ids: vec![],
            fields: vec![],
            created_at: now,
            updated_at: now,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Company {
    pub id: i64,
    pub name: String,
    pub responsible_user_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Values of the account's company fields (PHONE and EMAIL among them).
    pub fields: Vec<StoredField>,
}

/// A tag of one entity type (`leads`, `contacts`, `companies`) of an account.
#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub entity_type: String,
    pub color: Option<String>,
}

/// A note in an entity's feed: a comment, a call, a service message...
#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub id: i64,
    /// `leads`, `contacts` or `companies`.
    pub entity_type: String,
    pub entity_id: i64,
    pub note_type: String,
    pub params: serde_json::Value,
    pub created_by: i64,
    pub responsible_user_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A task for a user, on an entity or on none.
#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub id: i64,
    pub text: String,
    pub task_type_id: i64,
    pub responsible_user_id: i64,
    pub created_by: i64,
    /// `leads`, `contacts`, `companies`, or none.
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub complete_till: i64,
    pub duration: i64,
    pub is_completed: bool,
    pub result_text: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Company {
    /// A company with no name or fields yet, as `responsible_user_id` gets it at `now`.
    pub fn new(id: i64, responsible_user_id: i64, now: i64) -> Company {
        Company {
            id,
            name: String::new(),
            responsible_user_id,
            created_at: now,
            updated_at: now,
            fields: vec![],
        }
    }
}

/// The values an entity holds for one custom field, as the API shows them
/// (`{"value": ...}`, with `enum_id`/`enum_code` for fields with enums).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredField {
    pub field_id: i64,
    pub values: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncomingLead {
    pub uid: String,
    pub source_uid: String,
    pub source_name: String,
    pub category: String,
    pub pipeline_id: i64,
    pub created_at: i64,
    /// `pending`, `accepted`, `declined` or `linked`.
    pub state: String,
    pub chat_id: String,
    pub contact_id: i64,
    pub lead_id: i64,
    pub client_name: String,
    pub client_avatar: Option<String>,
    pub service: String,
    pub last_message_text: Option<String>,
    /// A form's `metadata` as the integration sent it (category `forms`).
    pub form_metadata: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Talk {
    pub talk_id: i64,
    pub chat_id: String,
    pub contact_id: i64,
    pub entity_id: Option<i64>,
    pub entity_type: Option<String>,
    pub is_in_work: bool,
    pub is_read: bool,
    pub origin: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: i64,
    /// `incoming_message`, or the JS SDK kinds (`call`, `error`, ...).
    pub kind: String,
    pub user_ids: Vec<i64>,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<i64>,
    /// Every field the JS SDK was given (`add_call`: `from`, `to`, `duration`, `link`,
    /// `element`, ...; `add_error`: `header`, `text`, `link`), as the widget passed them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
    pub created_at: i64,
}
