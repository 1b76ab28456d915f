//! Accounts and what belongs to them: users, pipelines, sources, and the CRM
//! records that chats create.

use super::crm::{Company, Contact, IncomingLead, Lead, Notification, Talk};
use super::fields::CustomField;
use crate::ids::Ids;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: i64,
    pub amojo_id: String,
    pub name: String,
    pub subdomain: String,
    /// The account's UUID (`uuid` of `GET /api/v4/account`).
    pub uuid: String,
    pub created_at: i64,
    pub users: Vec<User>,
    pub pipelines: Vec<Pipeline>,
    pub sources: Vec<Source>,
    pub contacts: Vec<Contact>,
    pub companies: Vec<Company>,
    /// Tags of leads, contacts and companies (`/api/v4/{entity}/tags`).
    pub tags: Vec<super::crm::Tag>,
    /// Notes on leads, contacts and companies (`/api/v4/{entity}/notes`).
    pub notes: Vec<super::crm::Note>,
    /// Tasks for the account's users (`/api/v4/tasks`).
    pub tasks: Vec<super::crm::Task>,
    pub custom_fields: Vec<CustomField>,
    pub leads: Vec<Lead>,
    pub incoming_leads: Vec<IncomingLead>,
    pub talks: Vec<Talk>,
    pub notifications: super::chunked::Chunked<Notification>,
    /// Account events as REST v4 webhooks see them (`add_lead`, `add_message`, ...).
    pub events: std::collections::VecDeque<super::AccountEvent>,
    pub templates: Vec<super::Template>,
    pub salesbots: Vec<super::Salesbot>,
    /// `/api/v4/webhooks` subscriptions.
    pub webhooks: Vec<super::Webhook>,
    pub chat_links: Vec<super::ChatLink>,
    pub bot_runs: Vec<super::BotRun>,
    /// JS SDK calls, calling status and the website chat (browser surfaces).
    pub browser: super::browser_state::BrowserState,
    #[serde(skip)]
    pub ids: Ids,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub amojo_id: String,
    pub is_admin: bool,
    pub online: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pipeline {
    pub id: i64,
    pub name: String,
    pub is_main: bool,
    /// Status id of the pipeline's "Incoming leads" stage (type 1).
    pub incoming_status_id: i64,
    /// Status id of the first ordinary stage.
    pub first_status_id: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub id: i64,
    pub name: String,
    pub external_id: String,
    pub pipeline_id: i64,
    pub default: bool,
    pub origin_code: Option<String>,
    pub services: serde_json::Value,
    /// The integration (OAuth client / channel owner) the source belongs to.
    pub integration_id: String,
}

impl Account {
    /// The fields of `entity_type` (`leads`, `contacts`, `companies`).
    pub fn fields_of(&self, entity_type: &str) -> impl Iterator<Item = &CustomField> {
        let entity_type = entity_type.to_string();
        self.custom_fields
            .iter()
            .filter(move |f| f.entity_type == entity_type)
    }

    /// The field of `entity_type` with this code (`PHONE`, `EMAIL`, ...).
    pub fn field_by_code(&self, entity_type: &str, code: &str) -> Option<&CustomField> {
        self.fields_of(entity_type)
            .find(|f| f.code.as_deref() == Some(code))
    }

    pub fn main_pipeline(&self) -> &Pipeline {
        self.pipelines
            .iter()
            .find(|p| p.is_main)
            .unwrap_or(&self.pipelines[0])
    }

    pub fn user_by_amojo(&self, amojo_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.amojo_id == amojo_id)
    }

    /// Resolves a chat's source as Kommo does (spec §7.3): the named source of
    /// this integration, else its default source, else none (the integration itself).
    pub fn resolve_source(
        &self,
        integration_id: &str,
        external_id: Option<&str>,
    ) -> Option<&Source> {
        let own = || {
            self.sources
                .iter()
                .filter(|s| s.integration_id == integration_id)
        };
        external_id
            .and_then(|ext| own().find(|s| s.external_id == ext))
            .or_else(|| own().find(|s| s.default))
    }

    /// The pipeline for an incoming lead from this source (else the main one).
    pub fn pipeline_for(&self, source: Option<&Source>) -> &Pipeline {
        source
            .and_then(|s| self.pipelines.iter().find(|p| p.id == s.pipeline_id))
            .unwrap_or_else(|| self.main_pipeline())
    }
}
