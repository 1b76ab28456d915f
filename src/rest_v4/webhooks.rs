//! Account webhook subscriptions (`/api/v4/webhooks`, spec kommo-rest-v4.md
//! §7.1): list by destination, create-or-update by destination (201), delete
//! by destination (204); at most 100 per account.

use super::hal::{body, hal, no_content, ok};
use super::problem::{ApiResult, FieldError, Problem};
use super::{account_mut_of, account_of, Api, Shared};
use crate::domain::webhooks::WEBHOOKS_LIMIT;
use crate::domain::Webhook;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

/// Event codes a subscription may name (amoCRM list, Kommo's `add_message`,
/// and the unsorted / outgoing-message codes seen in client code).
pub const EVENTS: [&str; 37] = [
    "add_lead",
    "update_lead",
    "delete_lead",
    "restore_lead",
    "status_lead",
    "responsible_lead",
    "note_lead",
    "add_contact",
    "update_contact",
    "delete_contact",
    "restore_contact",
    "responsible_contact",
    "note_contact",
    "add_company",
    "update_company",
    "delete_company",
    "restore_company",
    "responsible_company",
    "note_company",
    "add_customer",
    "update_customer",
    "delete_customer",
    "responsible_customer",
    "note_customer",
    "add_task",
    "update_task",
    "delete_task",
    "responsible_task",
    "add_talk",
    "update_talk",
    "add_chat_template_review",
    "add_message",
    "add_outgoing_message",
    "add_unsorted",
    "update_unsorted",
    "delete_unsorted",
    "add_source",
];

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new().route(
        "/api/v4/webhooks",
        get(list).post(subscribe).delete(unsubscribe),
    )
}

fn view(account_id: i64, w: &Webhook) -> Value {
    json!({
        "id": w.id, "destination": w.destination, "created_at": w.created_at, "updated_at": w.updated_at,
        "account_id": account_id, "created_by": w.created_by, "sort": w.sort, "disabled": w.disabled, "settings": w.settings,
    })
}

async fn list(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let wanted = api.query.filter("destination");
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let found: Vec<Value> = a
        .webhooks
        .iter()
        .filter(|w| wanted.is_empty() || wanted.contains(&w.destination))
        .map(|w| view(a.id, w))
        .collect();
    if found.is_empty() {
        return Ok(no_content());
    }
    Ok(ok(
        json!({"_total_items": found.len(), "_embedded": {"webhooks": found}}),
    ))
}

fn destination(req: &Value) -> Result<String, FieldError> {
    match req["destination"].as_str() {
        Some(d)
            if url::Url::parse(d).is_ok_and(|u| u.scheme() == "http" || u.scheme() == "https") =>
        {
            Ok(d.to_string())
        }
        Some(_) => Err(FieldError::new(
            "InvalidUrl",
            "destination",
            "This value is not a valid URL.",
        )),
        None => Err(FieldError::new(
            "NotBlank",
            "destination",
            "This value should not be blank.",
        )),
    }
}

fn settings(req: &Value) -> Result<Vec<String>, FieldError> {
    let list = req["settings"]
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| {
            FieldError::new("NotBlank", "settings", "This value should not be blank.")
        })?;
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_str()
                .filter(|s| EVENTS.contains(s))
                .map(str::to_string)
                .ok_or_else(|| {
                    FieldError::new(
                        "NotSupportedChoice",
                        format!("settings.{i}"),
                        "The value you selected is not a valid choice.",
                    )
                })
        })
        .collect()
}

async fn subscribe(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req = body(&bytes)?;
    let (dest, events) = (destination(&req), settings(&req));
    let sort = match &req["sort"] {
        Value::Null => Ok(None),
        v => v.as_i64().map(Some).ok_or_else(|| {
            FieldError::new("InvalidType", "sort", "This value should be of type int.")
        }),
    };
    let errors: Vec<FieldError> = [
        dest.as_ref().err(),
        events.as_ref().err(),
        sort.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    if !errors.is_empty() {
        return Err(Problem::validation(vec![("0".into(), errors)]));
    }
    let (dest, events, sort) = (
        dest.expect("checked"),
        events.expect("checked"),
        sort.expect("checked"),
    );
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let user = a.users[0].id;
    let idx = match a.webhooks.iter().position(|w| w.destination == dest) {
        Some(i) => i,
        None if a.webhooks.len() >= WEBHOOKS_LIMIT => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Limit {WEBHOOKS_LIMIT} webhooks per account"),
            ))
        }
        None => {
            let id = a.ids.number();
            a.webhooks.push(Webhook {
                id,
                destination: dest,
                settings: vec![],
                sort: 1,
                disabled: false,
                created_by: user,
                created_at: api.now,
                updated_at: api.now,
                failures: vec![],
            });
            a.webhooks.len() - 1
        }
    };
    let w = &mut a.webhooks[idx];
    w.settings = events;
    w.sort = sort.unwrap_or(w.sort);
    w.disabled = false;
    w.failures.clear();
    w.updated_at = api.now;
    Ok(hal(StatusCode::CREATED, view(a.id, &a.webhooks[idx])))
}

async fn unsubscribe(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req = body(&bytes)?;
    let dest = destination(&req).map_err(|e| Problem::validation(vec![("0".into(), vec![e])]))?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let before = a.webhooks.len();
    a.webhooks.retain(|w| w.destination != dest);
    if a.webhooks.len() == before {
        return Err(Problem::not_found(format!(
            "No webhook with destination {dest}"
        )));
    }
    Ok(no_content())
}
