//! `POST /api/v4/leads/complex` (spec kommo-rest-v4.md §10.2): up to 50 leads,
//! each with at most one embedded contact and one company (new, or `{id}` of
//! an existing one; the contact joins the company); answers a plain array.
//! `_embedded.metadata` (form or SIP incoming leads) is not emulated and is
//! refused with a validation error.

use super::hal::{items, ok, request_id};
use super::problem::{ApiResult, FieldError, Problem};
use super::{account_mut_of, companies, contacts, leads, Api, Shared};
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

/// What one item will do: the lead plan and the contact and company to use or create.
struct Item {
    lead: leads::Plan,
    contact: Embedded,
    company: Embedded,
}

/// An embedded contact or company: none, `{id}` of an existing one, or a new one.
enum Embedded {
    None,
    Existing(i64),
    New(Value, contacts::Written),
}

/// The lead without its embedded contact and company, so the lead checks see only lead fields.
fn lead_part(item: &Value) -> Value {
    let mut lead = item.clone();
    if let Some(embedded) = lead["_embedded"].as_object_mut() {
        embedded.remove("contacts");
        embedded.remove("companies");
    }
    lead
}

/// `_embedded.<kind>` (`contacts` or `companies`) of one complex lead: at most one.
fn check_embedded(a: &Account, item: &Value, kind: &str) -> Result<Embedded, Vec<FieldError>> {
    let at = format!("_embedded.{kind}");
    let list = match &item["_embedded"][kind] {
        Value::Null => return Ok(Embedded::None),
        Value::Array(l) if l.len() <= 1 => l,
        Value::Array(_) => {
            let what = if kind == "contacts" {
                "contact"
            } else {
                "company"
            };
            let detail = format!("A complex lead takes at most one {what}.");
            return Err(vec![FieldError::new("TooMany", at, detail)]);
        }
        _ => {
            let detail = "This value should be of type array.";
            return Err(vec![FieldError::new("InvalidType", at, detail)]);
        }
    };
    let Some(one) = list.first() else {
        return Ok(Embedded::None);
    };
    if let Some(id) = one["id"].as_i64() {
        let exists = match kind {
            "contacts" => a.contacts.iter().any(|x| x.id == id),
            _ => a.companies.iter().any(|x| x.id == id),
        };
        let what = if kind == "contacts" {
            "Contact not found"
        } else {
            "Company not found"
        };
        return match exists {
            true => Ok(Embedded::Existing(id)),
            false => Err(vec![FieldError::new(
                "NotFound",
                format!("{at}.0.id"),
                what,
            )]),
        };
    }
    let prefix = |mut e: FieldError| {
        e.path = format!("{at}.0.{}", e.path);
        e
    };
    contacts::check(a, kind, one)
        .map(|w| Embedded::New(one.clone(), w))
        .map_err(|errs| errs.into_iter().map(prefix).collect())
}

fn check(a: &Account, api: &Api, item: &Value) -> Result<Item, Vec<FieldError>> {
    let mut errors = vec![];
    if item["_embedded"]
        .get("metadata")
        .is_some_and(|v| !v.is_null() && v != &json!([]))
    {
        errors.push(FieldError::new(
            "NotSupportedChoice",
            "_embedded.metadata",
            "Forms and SIP incoming leads are not emulated by the sandbox",
        ));
    }
    let mut embedded = |kind| {
        check_embedded(a, item, kind)
            .map_err(|e| errors.extend(e))
            .ok()
    };
    let (contact, company) = (embedded("contacts"), embedded("companies"));
    let lead = leads::check(a, api, &lead_part(item), None)
        .map_err(|e| errors.extend(e))
        .ok();
    match (lead, contact, company) {
        (Some(lead), Some(contact), Some(company)) if errors.is_empty() => Ok(Item {
            lead,
            contact,
            company,
        }),
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
        let company_id = match plan.company {
            Embedded::None => None,
            Embedded::Existing(id) => Some(id),
            Embedded::New(body, written) => {
                let (id, e) = companies::add(a, &body, written, api.now);
                events.push(e);
                Some(id)
            }
        };
        let contact_id = match plan.contact {
            Embedded::None => None,
            Embedded::Existing(id) => Some(id),
            Embedded::New(body, written) => {
                let (id, e) = contacts::add(a, &body, written, api.now);
                events.push(e);
                Some(id)
            }
        };
        if let (Some(contact), Some(company)) = (contact_id, company_id) {
            let c = a
                .contacts
                .iter_mut()
                .find(|c| c.id == contact)
                .expect("just made or checked");
            c.company_id = Some(company);
        }
        plan.lead.contacts = contact_id.map(|c| vec![c]);
        plan.lead.company = company_id.map(Some);
        let (id, e) = leads::add(a, &lead_part(item), plan.lead, api.now);
        events.push(e);
        out.push(json!({"id": id, "contact_id": contact_id, "company_id": company_id, "request_id": [request_id(item, i)], "merged": false}));
    }
    events.into_iter().for_each(|e| world.emit(e));
    Ok(ok(Value::Array(out)))
}
