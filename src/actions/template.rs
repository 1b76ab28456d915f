//! A manager sends a chat template: placeholders are filled from the chat's
//! contact and lead, and the hook carries the `template` object (spec §7.2).

use super::{find_chat, send_outgoing_to, ActionError, Author, OutgoingSpec, Result};
use crate::domain::template::{placeholders, render};
use crate::domain::{Template, World};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub enum TemplateRef {
    /// A template stored in the account (REST v4 `/api/v4/chats/templates`).
    Id(i64),
    /// An ad-hoc template; it is stored first so the hook carries a real id.
    Inline {
        content: String,
        external_id: Option<String>,
        buttons: Vec<Value>,
    },
}

/// Sends the template; returns the message id and the rendered text.
pub fn send_template(
    world: &mut World,
    now: i64,
    account_id: &str,
    chat_id: &str,
    template: TemplateRef,
    user_id: Option<i64>,
    author: Author,
) -> Result<(String, String)> {
    let (si, ci) = find_chat(world, account_id, chat_id)?;
    let integration = world
        .channel(&world.scopes[si].channel_id)
        .map(|c| c.integration_id.clone())
        .unwrap_or_default();
    let tpl = resolve(world, now, account_id, &integration, template)?;
    let conv = &world.scopes[si].conversations[ci];
    let account = world.account(account_id).expect("chat found");
    let contact = conv
        .contact_id
        .and_then(|id| account.contacts.iter().find(|c| c.id == id));
    let lead = lead_of_chat(world, account_id, conv.talk_id, conv.contact_id);
    let (text, params) = render(&tpl.content, &placeholders(account, contact, lead));
    let mut template_obj = json!({"id": tpl.id});
    if let Some(ext) = &tpl.external_id {
        template_obj["external_id"] = json!(ext);
    }
    template_obj["content"] = json!(tpl.content);
    template_obj["params"] = json!(params);
    let mut message = json!({"type": "text", "text": text, "template": template_obj});
    if !tpl.buttons.is_empty() {
        let row: Vec<Value> = tpl.buttons.iter().map(button).collect();
        message["markup"] = json!({"mode": "inline", "buttons": [row]});
    }
    let spec = OutgoingSpec {
        chat_id: chat_id.into(),
        author,
        user_id,
        message,
        reply_to: None,
        is_template: true,
        silent: false,
    };
    let id = send_outgoing_to(world, now, account_id, (si, ci), spec)?;
    Ok((id, text))
}

fn button(b: &Value) -> Value {
    let mut out = json!({"text": b.get("text").cloned().unwrap_or(json!(""))});
    if let Some(url) = b.get("url").filter(|u| !u.is_null()) {
        out["url"] = url.clone();
    }
    out
}

fn resolve(
    world: &mut World,
    now: i64,
    account_id: &str,
    integration: &str,
    template: TemplateRef,
) -> Result<Template> {
    let account = world
        .account_mut(account_id)
        .ok_or_else(|| ActionError::not_found("ACCOUNT_NOT_FOUND", account_id.to_string()))?;
    match template {
        TemplateRef::Id(id) => account
            .templates
            .iter()
            .find(|t| t.id == id)
            .cloned()
            .ok_or_else(|| {
                ActionError::not_found(
                    "TEMPLATE_NOT_FOUND",
                    format!("no template {id}; create it with POST /api/v4/chats/templates"),
                )
            }),
        TemplateRef::Inline {
            content,
            external_id,
            buttons,
        } => {
            if content.is_empty() {
                return Err(ActionError::bad(
                    "CONTENT_REQUIRED",
                    "a template needs `content`",
                ));
            }
            let tpl = Template {
                id: account.ids.number(),
                name: external_id
                    .clone()
                    .unwrap_or_else(|| "Sandbox template".into()),
                content,
                is_editable: false,
                kind: "amocrm".into(),
                buttons,
                attachment: None,
                external_id,
                integration_id: integration.to_string(),
                created_at: now,
                updated_at: now,
                extra: Default::default(),
                reviews: vec![],
            };
            account.templates.push(tpl.clone());
            Ok(tpl)
        }
    }
}

/// The lead a chat belongs to: its talk's lead, else the contact's newest lead.
pub fn lead_of_chat<'a>(
    world: &'a World,
    account_id: &str,
    talk_id: Option<i64>,
    contact_id: Option<i64>,
) -> Option<&'a crate::domain::Lead> {
    let account = world.account(account_id)?;
    let by_talk = talk_id
        .and_then(|t| account.talks.iter().find(|x| x.talk_id == t))
        .and_then(|t| t.entity_id);
    let lead_id = by_talk.or_else(|| {
        contact_id.and_then(|c| {
            account
                .leads
                .iter()
                .rev()
                .find(|l| l.contact_ids.contains(&c))
                .map(|l| l.id)
        })
    })?;
    account.leads.iter().find(|l| l.id == lead_id)
}
