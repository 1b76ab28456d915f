//! `POST /api/v4/leads/complex` (spec kommo-rest-v4.md §10.2): up to 50 leads,
//! each with at most one embedded contact (new, or `{id}` of an existing one);
//! answers a plain array. Companies and `_embedded.metadata` (form or SIP
//! incoming leads) are not emulated and are refused with a validation error.

use super::hal::{items, ok, request_id};
use super::problem::{ApiResult, FieldError, Problem};
use super::{account_mut_of, contacts, leads, Api, Shared};
use crate::domain::Account;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

pub const BATCH_LIMIT: usize = 50;

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new().route("/api/v4/leads/complex", post(complex))
}

/// What one item will do: the lead plan and the contact to use or create.
struct Item {
    lead: leads::Plan,
    contact: Contact,
}

enum Contact {
    None,
    Existing(i64),
    New(Value, contacts::Written),
}

/// The lead without its embedded contact, so the lead checks see only lead fields.
fn lead_part(item: &Value) -> Value {
    let mut lead = item.clone();
    if let Some(embedded) = lead["_embedded"].as_object_mut() {
        embedded.remove("contacts");
    }
    lead
}

fn check_contact(a: &Account, item: &Value) -> Result<Contact, Vec<FieldError>> {
    let list = match &item["_embedded"]["contacts"] {
        Value::Null => return Ok(Contact::None),
        Value::Array(l) if l.len() <= 1 => l,
        Value::Array(_) => {
            return Err(vec![FieldError::new(
                "TooMany",
                "_embedded.contacts",
                "A complex lead takes at most one contact.",
            )])
        }
        _ => {
            return Err(vec![FieldError::new(
                "InvalidType",
                "_embedded.contacts",
                "This value should be of type array.",
            )])
        }
    };
    let Some(c) = list.first() else {
        return Ok(Contact::None);
    };
    if let Some(id) = c["id"].as_i64() {
        return match a.contacts.iter().any(|x| x.id == id) {
            true => Ok(Contact::Existing(id)),
            false => Err(vec![FieldError::new(
                "NotFound",
                "_embedded.contacts.0.id",
                "Contact not found",
            )]),
        };
    }
    let prefix = |mut e: FieldError| {
        e.path = format!("_embedded.contacts.0.{}", e.path);
        e
    };
    contacts::check(a, "contacts", c)
        .map(|w| Contact::New(c.clone(), w))
        .map_err(|errs| errs.into_iter().map(prefix).collect())
}

fn check(a: &Account, api: &Api, item: &Value) -> Result<Item, Vec<FieldError>> {
    let mut errors = vec![];
    for (key, what) in [
        ("companies", "Companies"),
        ("metadata", "Forms and SIP incoming leads"),
    ] {
        if item["_embedded"]
            .get(key)
            .is_some_and(|v| !v.is_null() && v != &json!([]))
        {
            errors.push(FieldError::new(
                "NotSupportedChoice",
                format!("_embedded.{key}"),
                format!("{what} are not emulated by the sandbox"),
            ));
        }
    }
    let contact = check_contact(a, item).map_err(|e| errors.extend(e)).ok();
    let lead = leads::check(a, api, &lead_part(item), None)
        .map_err(|e| errors.extend(e))
        .ok();
    match (lead, contact) {
        (Some(lead), Some(contact)) if errors.is_empty() => Ok(Item { lead, contact }),
        _ => Err(errors),
    }
}

async fn complex(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let list = items(&bytes, BATCH_LIMIT)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let mut plans = vec![];
    let mut errors = vec![];
    for (i, item) in list.iter().enumerate() {
        match check(a, &api, item) {
            Ok(p) => plans.push(p),
            Err(e) => errors.push((request_id(item, i), e)),
        }
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let mut out = vec![];
    let mut events = vec![];
    for (i, (item, mut plan)) in list.iter().zip(plans).enumerate() {
        let contact_id = match plan.contact {
            Contact::None => None,
            Contact::Existing(id) => Some(id),
            Contact::New(body, written) => {
                let (id, e) = contacts::add(a, &body, written, api.now);
                events.push(e);
                Some(id)
            }
        };
        plan.lead.contacts = contact_id.map(|c| vec![c]);
        let (id, e) = leads::add(a, &lead_part(item), plan.lead, api.now);
        events.push(e);
        out.push(json!({"id": id, "contact_id": contact_id, "company_id": null, "request_id": [request_id(item, i)], "merged": false}));
    }
    events.into_iter().for_each(|e| world.emit(e));
    Ok(ok(Value::Array(out)))
}
