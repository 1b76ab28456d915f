//! Sources (`/api/v4/sources`, spec kommo-rest-v4.md §1): each integration
//! sees and manages only its own; `external_id` is unique and immutable;
//! active sources are capped per integration (`sources_limit`), 50 per batch.

use super::hal::{batch, body, items, links, no_content, ok, request_id};
use super::problem::{ApiResult, FieldError, Problem};
use super::{account_mut_of, account_of, path_id, Api, Shared};
use crate::domain::{Account, Source};
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

pub const BATCH_LIMIT: usize = 50;
/// S1: "36 characters, any printable ASCII plus space" (the Chats API allows 40).
pub const EXTERNAL_ID_MAX: usize = 36;
pub const ORIGIN_CODE_MAX: usize = 20;

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new()
        .route(
            "/api/v4/sources",
            get(list)
                .post(create)
                .patch(update_many)
                .delete(delete_many),
        )
        .route(
            "/api/v4/sources/{id}",
            get(one).patch(update_one).delete(delete_one),
        )
}

pub fn view(base: &str, s: &Source) -> Value {
    json!({
        "id": s.id, "name": s.name, "pipeline_id": s.pipeline_id, "external_id": s.external_id,
        "default": s.default, "origin_code": s.origin_code, "services": s.services,
        "_links": links(base, &format!("/api/v4/sources/{}", s.id)),
    })
}

fn own<'a>(a: &'a Account, api: &'a Api) -> impl Iterator<Item = &'a Source> {
    a.sources
        .iter()
        .filter(move |s| s.integration_id == api.integration_id)
}

async fn list(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let wanted = api.query.filter("external_id");
    let world = sb.world();
    let a = account_of(&world, &api)?;
    // "GET list returns at most 100" (S1).
    let found: Vec<Value> = own(a, &api)
        .filter(|s| wanted.is_empty() || wanted.contains(&s.external_id))
        .take(100)
        .map(|s| view(&api.base, s))
        .collect();
    if found.is_empty() {
        return Ok(no_content());
    }
    Ok(ok(batch(&api.base, "/api/v4/sources", "sources", found)))
}

async fn one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let found = own(a, &api)
        .find(|s| s.id.to_string() == id)
        .map(|s| ok(view(&api.base, s)));
    Ok(found.unwrap_or_else(no_content))
}

async fn create(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let list = items(&bytes, BATCH_LIMIT)?;
    let limit = sb.settings.sources_limit;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let mut taken: Vec<String> = own(a, &api).map(|s| s.external_id.clone()).collect();
    let active = taken.len();
    let mut errors = vec![];
    for (i, item) in list.iter().enumerate() {
        let mut e = check_fields(a, item, true);
        let ext = item["external_id"].as_str().unwrap_or("").to_string();
        if e.iter().all(|f| f.path != "external_id") && taken.contains(&ext) {
            e.push(FieldError::new(
                "NotUnique",
                "external_id",
                format!("A source with external_id {ext:?} already exists"),
            ));
        }
        taken.push(ext);
        if active + i + 1 > limit {
            e.push(FieldError::new(
                "LimitExceeded",
                "",
                format!("The integration may have at most {limit} active sources in this account"),
            ));
        }
        if !e.is_empty() {
            errors.push((request_id(item, i), e));
        }
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let created: Vec<Value> = list
        .iter()
        .enumerate()
        .map(|(i, item)| insert(a, &api, item, i))
        .collect();
    Ok(ok(batch(&api.base, "/api/v4/sources", "sources", created)))
}

fn insert(a: &mut Account, api: &Api, item: &Value, index: usize) -> Value {
    let pipeline_id = item["pipeline_id"]
        .as_i64()
        .unwrap_or_else(|| a.main_pipeline().id);
    let source = Source {
        id: a.ids.next(crate::ids::Kind::Source),
        name: item["name"].as_str().unwrap_or("").into(),
        external_id: item["external_id"].as_str().unwrap_or("").into(),
        pipeline_id,
        default: false,
        origin_code: item["origin_code"].as_str().map(str::to_string),
        services: item.get("services").cloned().unwrap_or(json!([])),
        integration_id: api.integration_id.clone(),
    };
    let id = source.id;
    a.sources.push(source);
    if item["default"].as_bool() == Some(true) {
        make_default(a, api, id);
    }
    let mut v = view(
        &api.base,
        a.sources.iter().find(|s| s.id == id).expect("just added"),
    );
    v["request_id"] = json!(request_id(item, index));
    v
}

/// One default source per integration: the new default takes it from the others.
fn make_default(a: &mut Account, api: &Api, id: i64) {
    for s in a
        .sources
        .iter_mut()
        .filter(|s| s.integration_id == api.integration_id)
    {
        s.default = s.id == id;
    }
}

/// Field checks shared by create and update.
fn check_fields(a: &Account, item: &Value, creating: bool) -> Vec<FieldError> {
    let mut e = vec![];
    match &item["name"] {
        Value::String(s) if !s.trim().is_empty() => {}
        Value::Null if !creating => {}
        Value::Null => e.push(FieldError::new(
            "NotBlank",
            "name",
            "This value should not be blank.",
        )),
        _ => e.push(FieldError::new(
            "InvalidType",
            "name",
            "This value should be of type string.",
        )),
    }
    if creating {
        match &item["external_id"] {
            Value::String(s) if external_id_ok(s) => {}
            Value::Null => e.push(FieldError::new(
                "NotBlank",
                "external_id",
                "This value should not be blank.",
            )),
            _ => e.push(FieldError::new(
                "InvalidType",
                "external_id",
                format!("external_id must be 1 to {EXTERNAL_ID_MAX} printable ASCII characters"),
            )),
        }
    }
    match &item["pipeline_id"] {
        Value::Null => {}
        Value::Number(n)
            if n.as_i64()
                .is_some_and(|id| a.pipelines.iter().any(|p| p.id == id)) => {}
        Value::Number(_) => e.push(FieldError::new(
            "NotFound",
            "pipeline_id",
            "Pipeline not found",
        )),
        _ => e.push(FieldError::new(
            "InvalidType",
            "pipeline_id",
            "This value should be of type int.",
        )),
    }
    if !matches!(item["default"], Value::Null | Value::Bool(_)) {
        e.push(FieldError::new(
            "InvalidType",
            "default",
            "This value should be of type bool.",
        ));
    }
    if let Some(code) = item.get("origin_code") {
        if let Some(err) = origin_code_error(code) {
            e.push(FieldError::new("InvalidValue", "origin_code", err));
        }
    }
    if let Some(services) = item.get("services") {
        e.extend(services_errors(services));
    }
    e
}

pub fn external_id_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= EXTERNAL_ID_MAX && s.chars().all(|c| (' '..='~').contains(&c))
}

/// S18: when given, not null, not only digits, no double quotes, ≤ 20 characters.
fn origin_code_error(code: &Value) -> Option<String> {
    let Value::String(s) = code else {
        return Some("origin_code must be a string".into());
    };
    if s.is_empty()
        || s.chars().all(|c| c.is_ascii_digit())
        || s.contains('"')
        || s.chars().count() > ORIGIN_CODE_MAX
    {
        return Some(format!("origin_code {s:?} must be a channel code of at most {ORIGIN_CODE_MAX} characters, not only digits, without quotes"));
    }
    None
}

fn services_errors(services: &Value) -> Vec<FieldError> {
    let Some(list) = services.as_array() else {
        return vec![FieldError::new(
            "InvalidType",
            "services",
            "This value should be of type array.",
        )];
    };
    let mut e = vec![];
    for (i, s) in list.iter().enumerate() {
        if s["type"] != "whatsapp" {
            e.push(FieldError::new(
                "NotSupportedChoice",
                format!("services.{i}.type"),
                "The value you selected is not a valid choice.",
            ));
        }
        for flag in ["waba", "is_supports_list_message"] {
            if !matches!(s["params"][flag], Value::Null | Value::Bool(_)) {
                e.push(FieldError::new(
                    "InvalidType",
                    format!("services.{i}.params.{flag}"),
                    "This value should be of type bool.",
                ));
            }
        }
        if !matches!(s["pages"], Value::Null | Value::Array(_)) {
            e.push(FieldError::new(
                "InvalidType",
                format!("services.{i}.pages"),
                "This value should be of type array.",
            ));
        }
    }
    e
}

/// Checks one update; `external_id` may be repeated but not changed.
fn check_update(a: &Account, api: &Api, item: &Value, id: i64) -> Vec<FieldError> {
    let Some(source) = own(a, api).find(|s| s.id == id) else {
        return vec![FieldError::new(
            "NotFound",
            "id",
            format!("source with id = {id} not found"),
        )];
    };
    let mut e = check_fields(a, item, false);
    if let Some(ext) = item.get("external_id") {
        if ext.as_str() != Some(source.external_id.as_str()) {
            e.push(FieldError::new(
                "NotSupportedChoice",
                "external_id",
                "external_id cannot be changed",
            ));
        }
    }
    e
}

fn apply(a: &mut Account, api: &Api, item: &Value, id: i64) -> Value {
    let s = a.sources.iter_mut().find(|s| s.id == id).expect("checked");
    if let Some(name) = item["name"].as_str() {
        s.name = name.into();
    }
    if let Some(p) = item["pipeline_id"].as_i64() {
        s.pipeline_id = p;
    }
    if let Some(code) = item["origin_code"].as_str() {
        s.origin_code = Some(code.into());
    }
    if let Some(services) = item.get("services") {
        s.services = services.clone();
    }
    match item["default"].as_bool() {
        Some(true) => make_default(a, api, id),
        Some(false) => a
            .sources
            .iter_mut()
            .filter(|s| s.id == id)
            .for_each(|s| s.default = false),
        None => {}
    }
    view(
        &api.base,
        a.sources.iter().find(|s| s.id == id).expect("checked"),
    )
}

async fn update_many(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let list = items(&bytes, BATCH_LIMIT)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let mut errors = vec![];
    for (i, item) in list.iter().enumerate() {
        let e = match item["id"].as_i64() {
            Some(id) => check_update(a, &api, item, id),
            None => vec![FieldError::new(
                "NotBlank",
                "id",
                "This value should not be blank.",
            )],
        };
        if !e.is_empty() {
            errors.push((request_id(item, i), e));
        }
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let updated: Vec<Value> = list
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut v = apply(a, &api, item, item["id"].as_i64().expect("checked"));
            v["request_id"] = json!(request_id(item, i));
            v
        })
        .collect();
    Ok(ok(batch(&api.base, "/api/v4/sources", "sources", updated)))
}

async fn update_one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let item = body(&bytes)?;
    if !item.is_object() {
        return Err(Problem::invalid(
            "InvalidType",
            "",
            "This value should be of type object.",
        ));
    }
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    if own(a, &api).all(|s| s.id != id) {
        return Err(Problem::not_found(format!(
            "source with id = {id} not found"
        )));
    }
    let e = check_update(a, &api, &item, id);
    if !e.is_empty() {
        return Err(Problem::validation(vec![("0".into(), e)]));
    }
    Ok(ok(apply(a, &api, &item, id)))
}

async fn delete_many(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let list = items(&bytes, BATCH_LIMIT)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    if own(a, &api).next().is_none() {
        return Err(Problem::not_found("The integration has no sources"));
    }
    let missing: Vec<Value> = list
        .iter()
        .enumerate()
        .filter(|(_, item)| !item["id"].as_i64().is_some_and(|id| own(a, &api).any(|s| s.id == id)))
        .map(|(i, item)| {
            let detail = format!("source with id = {} not found", item["id"]);
            json!({"request_id": request_id(item, i), "errors": {"code": "EntityNotFound", "path": "id", "detail": detail}})
        })
        .collect();
    if !missing.is_empty() {
        return Err(
            Problem::bad_request("Invalid request items").with("errors", Value::Array(missing))
        );
    }
    let ids: Vec<i64> = list.iter().filter_map(|i| i["id"].as_i64()).collect();
    a.sources
        .retain(|s| !(s.integration_id == api.integration_id && ids.contains(&s.id)));
    Ok(no_content())
}

async fn delete_one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    if own(a, &api).all(|s| s.id != id) {
        return Err(Problem::not_found(format!(
            "source with id = {id} not found"
        )));
    }
    a.sources.retain(|s| s.id != id);
    Ok(StatusCode::NO_CONTENT.into_response())
}
