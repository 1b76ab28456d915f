//! Chat-contact links (`/api/v4/contacts/chats`, spec kommo-rest-v4.md §2): a
//! chat belongs to one contact; relinking moves it and changes the link id.
//! An integration sees only chats of its own channels.

use super::hal::{batch, items, no_content, ok, request_id};
use super::problem::{ApiResult, FieldError, Problem};
use super::{Api, Shared};
use crate::domain::{ChatLink, World};
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

pub const BATCH_LIMIT: usize = 50;

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new().route("/api/v4/contacts/chats", get(list).post(link))
}

/// (scope index, conversation index, chat id, contact id) of the integration's chats.
fn chats(world: &World, api: &Api) -> Vec<(usize, usize, String, Option<i64>)> {
    let own = |channel_id: &str| {
        world
            .channel(channel_id)
            .is_some_and(|c| c.integration_id == api.integration_id)
    };
    world
        .scopes
        .iter()
        .enumerate()
        .filter(|(_, s)| s.account_id == api.account_id && own(&s.channel_id))
        .flat_map(|(si, s)| {
            s.conversations
                .iter()
                .enumerate()
                .map(move |(ci, c)| (si, ci, c.id.clone(), c.contact_id))
        })
        .collect()
}

/// The link id of a chat-contact pair, made on first sight; a new contact gets a new id.
fn link_id(world: &mut World, account_id: &str, chat_id: &str, contact_id: i64) -> i64 {
    let a = world.account_mut(account_id).expect("caller's account");
    if let Some(l) = a
        .chat_links
        .iter()
        .find(|l| l.chat_id == chat_id && l.contact_id == contact_id)
    {
        return l.id;
    }
    let id = a.ids.number();
    a.chat_links.retain(|l| l.chat_id != chat_id);
    a.chat_links.push(ChatLink {
        id,
        chat_id: chat_id.into(),
        contact_id,
    });
    id
}

async fn list(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let chat_ids = api.query.list("chat_id");
    let contact_ids: Vec<i64> = api
        .query
        .list("contact_id")
        .iter()
        .map(|v| {
            v.parse().map_err(|_| {
                Problem::invalid(
                    "InvalidType",
                    "contact_id",
                    "This value should be of type int.",
                )
            })
        })
        .collect::<ApiResult<_>>()?;
    let mut world = sb.world();
    let found: Vec<(String, i64)> = chats(&world, &api)
        .into_iter()
        .filter_map(|(_, _, chat, contact)| contact.map(|c| (chat, c)))
        .filter(|(chat, contact)| {
            (chat_ids.is_empty() && contact_ids.is_empty())
                || chat_ids.contains(chat)
                || contact_ids.contains(contact)
        })
        .collect();
    if found.is_empty() {
        return Ok(no_content());
    }
    let items: Vec<Value> = found.into_iter().map(|(chat, contact)| json!({"chat_id": chat, "contact_id": contact, "id": link_id(&mut world, &api.account_id, &chat, contact)})).collect();
    Ok(ok(
        json!({"_total_items": items.len(), "_embedded": {"chats": items}}),
    ))
}

async fn link(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let list = items(&bytes, BATCH_LIMIT)?;
    let mut world = sb.world();
    let known = chats(&world, &api);
    let contacts: Vec<i64> = world
        .account(&api.account_id)
        .map(|a| a.contacts.iter().map(|c| c.id).collect())
        .unwrap_or_default();
    let mut errors = vec![];
    for (i, item) in list.iter().enumerate() {
        let mut e = vec![];
        if !item["chat_id"]
            .as_str()
            .is_some_and(|c| known.iter().any(|k| k.2 == c))
        {
            e.push(FieldError::new("NotFound", "chat_id", "Chat not found"));
        }
        if !item["contact_id"]
            .as_i64()
            .is_some_and(|c| contacts.contains(&c))
        {
            e.push(FieldError::new(
                "NotFound",
                "contact_id",
                "Contact not found",
            ));
        }
        if !e.is_empty() {
            errors.push((request_id(item, i), e));
        }
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let mut out = vec![];
    for (i, item) in list.iter().enumerate() {
        let chat = item["chat_id"].as_str().expect("checked");
        let contact = item["contact_id"].as_i64().expect("checked");
        let &(si, ci, _, _) = known.iter().find(|k| k.2 == chat).expect("checked");
        relink(&mut world, &api.account_id, si, ci, contact);
        let id = link_id(&mut world, &api.account_id, chat, contact);
        out.push(json!({"chat_id": chat, "contact_id": contact, "id": id, "request_id": request_id(item, i)}));
    }
    let mut body = batch(&api.base, "/api/v4/contacts/chats", "chats", out);
    body.as_object_mut().expect("object").remove("_links");
    Ok(ok(body))
}

/// Moves the chat to the contact in the domain: conversation and both contacts.
fn relink(world: &mut World, account_id: &str, si: usize, ci: usize, contact_id: i64) {
    let conv = &mut world.scopes[si].conversations[ci];
    let chat_id = conv.id.clone();
    conv.contact_id = Some(contact_id);
    let a = world.account_mut(account_id).expect("caller's account");
    for c in a.contacts.iter_mut() {
        c.chat_ids.retain(|id| *id != chat_id);
        if c.id == contact_id {
            c.chat_ids.push(chat_id.clone());
        }
    }
}
