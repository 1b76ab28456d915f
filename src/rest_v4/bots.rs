//! Salesbot (spec kommo-rest-v4.md §5): `GET /api/v4/bots[/{id}]`, launching
//! with the legacy `POST /api/v2/salesbot/run` (entity_type 1 contact, 2 lead)
//! and the v4 run/stop endpoints. A run executes the bot's steps at once.

use super::hal::{body, hal, items, links, no_content, ok, paged};
use super::problem::{ApiResult, FieldError, Problem};
use super::{account_mut_of, account_of, path_id, Api, Shared};
use crate::domain::salesbot::{self, Target};
use crate::domain::{Account, Salesbot};
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

/// "No more than 100 bots at a time" (S15).
pub const BATCH_LIMIT: usize = 100;

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new()
        .route("/api/v4/bots", get(list))
        .route("/api/v4/bots/run", post(run_many))
        .route("/api/v4/bots/{id}", get(one))
        .route("/api/v4/bots/{id}/run", post(run_one))
        .route("/api/v4/bots/{id}/stop", post(stop))
        .route("/api/v2/salesbot/run", post(run_v2))
}

fn view(api: &Api, b: &Salesbot) -> Value {
    json!({"id": b.id, "name": b.name, "type_functionality": "regular", "_links": links(&api.base, &format!("/api/v4/bots/{}", b.id))})
}

async fn list(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let page = api.query.page(250)?;
    let ids = api.query.filter_ids("id")?;
    let kinds = api.query.filter("type_functionality");
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let found: Vec<&Salesbot> = a
        .salesbots
        .iter()
        .filter(|b| ids.is_empty() || ids.contains(&b.id))
        .filter(|_| kinds.is_empty() || kinds.iter().any(|k| k == "regular"))
        .collect();
    let items: Vec<Value> = page.slice(&found).iter().map(|b| view(&api, b)).collect();
    Ok(paged(
        &api.base,
        "/api/v4/bots",
        &api.query,
        page,
        found.len(),
        "bots",
        items,
    ))
}

async fn one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    Ok(a.salesbots
        .iter()
        .find(|b| b.id == id)
        .map(|b| ok(view(&api, b)))
        .unwrap_or_else(no_content))
}

/// One launch request, checked: (bot id, target) or field errors.
fn check(
    a: &Account,
    bot_id: &Value,
    entity_id: &Value,
    entity_type: Option<&str>,
    type_path: &str,
) -> Result<(i64, Target), Vec<FieldError>> {
    let mut e = vec![];
    let bot = match bot_id {
        Value::Number(n) if n.as_i64().is_some_and(|id| id > 0) => n.as_i64(),
        Value::Number(_) => {
            e.push(FieldError::new(
                "TooLow",
                "bot_id",
                "This value should be greater than 0.",
            ));
            None
        }
        _ => {
            e.push(FieldError::new(
                "InvalidType",
                "bot_id",
                "This value should be of type int.",
            ));
            None
        }
    };
    if entity_type.is_none() {
        e.push(FieldError::new(
            "NotSupportedChoice",
            type_path,
            "The value you selected is not a valid choice.",
        ));
    }
    let entity = entity_id.as_i64();
    if entity.is_none() {
        e.push(FieldError::new(
            "InvalidType",
            "entity_id",
            "This value should be of type int.",
        ));
    }
    if let (Some(kind), Some(id)) = (entity_type, entity) {
        let exists = if kind == "leads" {
            a.leads.iter().any(|l| l.id == id)
        } else {
            a.contacts.iter().any(|c| c.id == id)
        };
        if !exists {
            e.push(FieldError::new("NotFound", "entity_id", "Entity not found"));
        }
    }
    match (bot, entity_type, entity) {
        (Some(b), Some(kind), Some(id)) if e.is_empty() => Ok((
            b,
            Target {
                entity_type: kind.into(),
                entity_id: id,
            },
        )),
        _ => Err(e),
    }
}

fn v4_type(v: &Value) -> Option<&str> {
    v.as_str().filter(|t| *t == "leads" || *t == "contacts")
}

/// Legacy numbers: 1 contact, 2 lead.
fn v2_type(v: &Value) -> Option<&'static str> {
    match v.as_i64() {
        Some(1) => Some("contacts"),
        Some(2) => Some("leads"),
        _ => None,
    }
}

/// Checks every item, then 404 for an unknown bot, then runs them all.
fn launch(sb: &crate::Sandbox, api: &Api, list: &[Value], v2: bool) -> ApiResult<()> {
    let mut world = sb.world();
    let a = account_mut_of(&mut world, api)?;
    let mut errors = vec![];
    let mut runs = vec![];
    for (i, item) in list.iter().enumerate() {
        let kind = if v2 {
            v2_type(&item["entity_type"])
        } else {
            v4_type(&item["entity_type"])
        };
        match check(a, &item["bot_id"], &item["entity_id"], kind, "entity_type") {
            Ok(run) => runs.push(run),
            Err(e) => errors.push((super::hal::request_id(item, i), e)),
        }
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    if let Some((bot, _)) = runs
        .iter()
        .find(|(bot, _)| a.salesbots.iter().all(|b| b.id != *bot))
    {
        return Err(Problem::not_found(format!("Bot {bot} not found")));
    }
    for (bot, target) in runs {
        salesbot::run(&mut world, &api.account_id, bot, &target, api.now)
            .map_err(Problem::bad_request)?;
    }
    Ok(())
}

async fn run_many(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let list = items(&bytes, BATCH_LIMIT)?;
    launch(&sb, &api, &list, false)?;
    Ok(StatusCode::ACCEPTED.into_response())
}

async fn run_one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let mut item = body(&bytes)?;
    if !item.is_object() {
        return Err(Problem::invalid(
            "InvalidType",
            "",
            "This value should be of type object.",
        ));
    }
    item["bot_id"] = json!(id);
    launch(&sb, &api, &[item], false)?;
    Ok(StatusCode::ACCEPTED.into_response())
}

async fn run_v2(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let list = items(&bytes, BATCH_LIMIT)?;
    launch(&sb, &api, &list, true)?;
    Ok(hal(
        StatusCode::OK,
        json!({"success": true, "_links": {"self": {"href": "/api/v2/salesbot/run", "method": "post"}}}),
    ))
}

async fn stop(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let req = body(&bytes)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let (bot, target) = check(
        a,
        &json!(id),
        &req["entity_id"],
        v4_type(&req["entity_type"]),
        "entity_type",
    )
    .map_err(|e| Problem::validation(vec![("0".into(), e)]))?;
    if a.salesbots.iter().all(|b| b.id != bot) {
        return Err(Problem::not_found(format!("Bot {bot} not found")));
    }
    salesbot::stop(a, bot, &target);
    Ok(StatusCode::ACCEPTED.into_response())
}
