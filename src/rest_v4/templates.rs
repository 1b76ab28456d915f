//! Chat templates (`/api/v4/chats/templates`, spec kommo-rest-v4.md §6): only
//! the creating integration sees them; `limit` ≤ 50; WABA review endpoints.

use super::hal::{batch, body, items, links, no_content, ok, paged, request_id};
use super::problem::{ApiResult, FieldError, Problem};
use super::{account_mut_of, account_of, path_id, Api, Shared};
use crate::domain::effects::event;
use crate::domain::{Account, Template};
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};
use std::sync::Arc;

pub const BATCH_LIMIT: usize = 50;
const WABA_FIELDS: [&str; 6] = [
    "waba_footer",
    "waba_category",
    "waba_language",
    "waba_examples",
    "waba_header",
    "waba_header_type",
];
const REVIEW_STATUSES: [&str; 3] = ["approved", "paused", "rejected"];

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new()
        .route(
            "/api/v4/chats/templates",
            get(list)
                .post(create)
                .patch(update_many)
                .delete(delete_many),
        )
        .route(
            "/api/v4/chats/templates/{id}",
            get(one).patch(update_one).delete(delete_one),
        )
        .route("/api/v4/chats/templates/{id}/review", post(request_review))
        .route(
            "/api/v4/chats/templates/{id}/review/{review_id}",
            post(set_review),
        )
}

fn view(api: &Api, a: &Account, t: &Template) -> Value {
    let mut v = json!({
        "id": t.id, "account_id": a.id, "name": t.name, "content": t.content, "is_editable": t.is_editable,
        "type": t.kind, "buttons": t.buttons, "attachment": t.attachment, "created_at": t.created_at,
        "updated_at": t.updated_at, "external_id": t.external_id,
    });
    for (k, val) in &t.extra {
        v[k] = val.clone();
    }
    if api.query.has_with("reviews") {
        let last = t
            .reviews
            .last()
            .and_then(|r| r["status"].as_str())
            .map(str::to_string);
        v["review_status"] = json!(last);
        v["is_on_review"] = json!(last.as_deref() == Some("review"));
        v["_embedded"] = json!({"reviews": t.reviews});
    }
    v["_links"] = links(&api.base, &format!("/api/v4/chats/templates/{}", t.id));
    v
}

fn own<'a>(a: &'a Account, api: &'a Api) -> impl Iterator<Item = &'a Template> {
    a.templates
        .iter()
        .filter(move |t| t.integration_id == api.integration_id)
}

async fn list(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let page = api.query.page(50)?;
    let ext = api.query.filter("external_id");
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let found: Vec<&Template> = own(a, &api)
        .filter(|t| ext.is_empty() || t.external_id.as_ref().is_some_and(|e| ext.contains(e)))
        .collect();
    let items: Vec<Value> = page
        .slice(&found)
        .iter()
        .map(|t| view(&api, a, t))
        .collect();
    Ok(paged(
        &api.base,
        "/api/v4/chats/templates",
        &api.query,
        page,
        found.len(),
        "chat_templates",
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
    let t = own(a, &api)
        .find(|t| t.id == id)
        .ok_or_else(|| Problem::not_found(format!("Template {id} not found")))?;
    Ok(ok(view(&api, a, t)))
}

fn check(item: &Value, creating: bool) -> Vec<FieldError> {
    let mut e = vec![];
    for key in ["name", "content"] {
        match &item[key] {
            Value::String(s) if !s.trim().is_empty() => {}
            Value::Null if !creating => {}
            Value::Null | Value::String(_) => e.push(FieldError::new(
                "NotBlank",
                key,
                "This value should not be blank.",
            )),
            _ => e.push(FieldError::new(
                "InvalidType",
                key,
                "This value should be of type string.",
            )),
        }
    }
    if !matches!(item["type"].as_str(), None | Some("amocrm") | Some("waba"))
        || !matches!(item["type"], Value::Null | Value::String(_))
    {
        e.push(FieldError::new(
            "NotSupportedChoice",
            "type",
            "The value you selected is not a valid choice.",
        ));
    }
    if !matches!(item["is_editable"], Value::Null | Value::Bool(_)) {
        e.push(FieldError::new(
            "InvalidType",
            "is_editable",
            "This value should be of type bool.",
        ));
    }
    if !matches!(item["external_id"], Value::Null | Value::String(_)) {
        e.push(FieldError::new(
            "InvalidType",
            "external_id",
            "This value should be of type string.",
        ));
    }
    e.extend(buttons_errors(&item["buttons"]));
    e.extend(waba_errors(item));
    e
}

fn buttons_errors(buttons: &Value) -> Vec<FieldError> {
    let list = match buttons {
        Value::Null => return vec![],
        Value::Array(l) => l,
        _ => {
            return vec![FieldError::new(
                "InvalidType",
                "buttons",
                "This value should be of type array.",
            )]
        }
    };
    let mut e = vec![];
    for (i, b) in list.iter().enumerate() {
        match b["type"].as_str() {
            Some("inline") => {}
            Some("url") if b["url"].as_str().is_some_and(|u| !u.is_empty()) => {}
            Some("url") => e.push(FieldError::new(
                "NotBlank",
                format!("buttons.{i}.url"),
                "This value should not be blank.",
            )),
            _ => e.push(FieldError::new(
                "NotSupportedChoice",
                format!("buttons.{i}.type"),
                "The value you selected is not a valid choice.",
            )),
        }
        if b["text"].as_str().is_none_or(str::is_empty) {
            e.push(FieldError::new(
                "NotBlank",
                format!("buttons.{i}.text"),
                "This value should not be blank.",
            ));
        }
    }
    e
}

fn waba_errors(item: &Value) -> Vec<FieldError> {
    let mut e = vec![];
    if let Some(c) = item.get("waba_category") {
        if !matches!(c.as_str(), Some("UTILITY" | "AUTHENTICATION" | "MARKETING")) {
            e.push(FieldError::new(
                "NotSupportedChoice",
                "waba_category",
                "The value you selected is not a valid choice.",
            ));
        }
    }
    if item["waba_header"]
        .as_str()
        .is_some_and(|h| h.chars().count() > 60)
    {
        e.push(FieldError::new(
            "TooLong",
            "waba_header",
            "This value is too long. It should have 60 characters or less.",
        ));
    }
    match item["waba_header_type"].as_str() {
        None | Some("text") => {}
        Some("media") if item["attachment"].is_object() => {}
        Some("media") => e.push(FieldError::new(
            "NotBlank",
            "attachment",
            "A media header needs an attachment.",
        )),
        Some(_) => e.push(FieldError::new(
            "NotSupportedChoice",
            "waba_header_type",
            "The value you selected is not a valid choice.",
        )),
    }
    e
}

fn apply(t: &mut Template, item: &Value, now: i64) {
    if let Some(v) = item["name"].as_str() {
        t.name = v.into();
    }
    if let Some(v) = item["content"].as_str() {
        t.content = v.into();
    }
    if let Some(v) = item["is_editable"].as_bool() {
        t.is_editable = v;
    }
    if let Some(v) = item["type"].as_str() {
        t.kind = v.into();
    }
    if let Some(v) = item["buttons"].as_array() {
        t.buttons = v.clone();
    }
    if let Some(v) = item.get("attachment") {
        t.attachment = (!v.is_null()).then(|| v.clone());
    }
    if let Some(v) = item["external_id"].as_str() {
        t.external_id = Some(v.into());
    }
    for key in WABA_FIELDS {
        if let Some(v) = item.get(key) {
            t.extra.insert(key.into(), v.clone());
        }
    }
    t.updated_at = now;
}

fn validate_all(
    list: &[Value],
    mut extra: impl FnMut(&Value) -> Vec<FieldError>,
    creating: bool,
) -> ApiResult<()> {
    let errors: Vec<(String, Vec<FieldError>)> = list
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut e = extra(item);
            e.extend(check(item, creating));
            (request_id(item, i), e)
        })
        .filter(|(_, e)| !e.is_empty())
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::validation(errors))
    }
}

async fn create(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let list = items(&bytes, BATCH_LIMIT)?;
    validate_all(&list, |_| vec![], true)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let mut out = vec![];
    for (i, item) in list.iter().enumerate() {
        let mut t = Template {
            id: a.ids.number(),
            name: String::new(),
            content: String::new(),
            is_editable: false,
            kind: "amocrm".into(),
            buttons: vec![],
            attachment: None,
            external_id: None,
            integration_id: api.integration_id.clone(),
            created_at: api.now,
            updated_at: api.now,
            extra: Map::new(),
            reviews: vec![],
        };
        apply(&mut t, item, api.now);
        let mut v = view(&api, a, &t);
        v["request_id"] = json!(request_id(item, i));
        out.push(v);
        a.templates.push(t);
    }
    let mut body = batch(&api.base, "/api/v4/chats/templates", "chat_templates", out);
    body.as_object_mut().expect("object").remove("_links");
    Ok(ok(body))
}

/// Errors that stop an update: unknown id, or a WABA template past draft.
fn update_blockers(a: &Account, api: &Api, id: Option<i64>) -> Vec<FieldError> {
    match id.and_then(|id| own(a, api).find(|t| t.id == id)) {
        None => vec![FieldError::new("NotFound", "id", "Template not found")],
        Some(t) if t.kind == "waba" && !t.reviews.is_empty() => vec![FieldError::new(
            "InvalidValue",
            "id",
            "WABA templates can be edited only in draft status",
        )],
        Some(_) => vec![],
    }
}

fn update(a: &mut Account, api: &Api, list: &[Value]) -> ApiResult<Vec<Value>> {
    validate_all(
        list,
        |item| update_blockers(a, api, item["id"].as_i64()),
        false,
    )?;
    let mut out = vec![];
    for (i, item) in list.iter().enumerate() {
        let idx = a
            .templates
            .iter()
            .position(|t| Some(t.id) == item["id"].as_i64())
            .expect("checked");
        let mut t = a.templates[idx].clone();
        apply(&mut t, item, api.now);
        let mut v = view(api, a, &t);
        v["request_id"] = json!(request_id(item, i));
        a.templates[idx] = t;
        out.push(v);
    }
    Ok(out)
}

async fn update_many(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let list = items(&bytes, BATCH_LIMIT)?;
    let mut world = sb.world();
    let out = update(account_mut_of(&mut world, &api)?, &api, &list)?;
    let mut body = batch(&api.base, "/api/v4/chats/templates", "chat_templates", out);
    body.as_object_mut().expect("object").remove("_links");
    Ok(ok(body))
}

async fn update_one(
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
    item["id"] = json!(id);
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    if own(a, &api).all(|t| t.id != id) {
        return Err(Problem::not_found(format!("Template {id} not found")));
    }
    let mut out = update(a, &api, &[item])?;
    let mut one = out.remove(0);
    one.as_object_mut().expect("object").remove("request_id");
    Ok(ok(one))
}

async fn delete_many(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let list = items(&bytes, BATCH_LIMIT)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let errors: Vec<(String, Vec<FieldError>)> = list
        .iter()
        .enumerate()
        .filter(|(_, item)| {
            !item["id"]
                .as_i64()
                .is_some_and(|id| own(a, &api).any(|t| t.id == id))
        })
        .map(|(i, item)| {
            (
                request_id(item, i),
                vec![FieldError::new("NotFound", "id", "Template not found")],
            )
        })
        .collect();
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let ids: Vec<i64> = list.iter().filter_map(|i| i["id"].as_i64()).collect();
    a.templates
        .retain(|t| !(t.integration_id == api.integration_id && ids.contains(&t.id)));
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
    if own(a, &api).all(|t| t.id != id) {
        return Err(Problem::not_found(format!("Template {id} not found")));
    }
    a.templates.retain(|t| t.id != id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Sources of the integration marked official WhatsApp (`services[].params.waba`).
fn waba_sources(a: &Account, api: &Api) -> Vec<i64> {
    let is_waba = |s: &Value| {
        s.as_array()
            .is_some_and(|l| l.iter().any(|x| x["params"]["waba"] == true))
    };
    a.sources
        .iter()
        .filter(|s| s.integration_id == api.integration_id && is_waba(&s.services))
        .map(|s| s.id)
        .collect()
}

async fn request_review(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let idx = a
        .templates
        .iter()
        .position(|t| t.id == id && t.integration_id == api.integration_id)
        .ok_or_else(|| Problem::not_found(format!("Template {id} not found")))?;
    let sources = waba_sources(a, &api);
    if sources.is_empty() {
        return Err(Problem::bad_request("The integration has no WhatsApp source (services[].params.waba = true) to review the template for"));
    }
    let reviews: Vec<Value> = sources.iter().map(|s| json!({"id": a.ids.number(), "source_id": s, "status": "review", "reject_reason": ""})).collect();
    a.templates[idx].reviews.extend(reviews.clone());
    let t = a.templates[idx].clone();
    let data = json!({"id": t.id, "type": t.kind, "account_id": a.id, "name": t.name, "content": t.content, "created_at": t.created_at, "updated_at": t.updated_at, "is_editable": t.is_editable, "reviews": reviews, "is_on_review": true});
    let e = event(
        a,
        "chat_template_review",
        "add",
        "add_chat_template_review",
        data,
        api.now,
    );
    world.emit(e);
    Ok(ok(json!({"_embedded": {"reviews": reviews}})))
}

async fn set_review(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path((id, review_id)): Path<(String, String)>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let (id, review_id) = (path_id(&id)?, path_id(&review_id)?);
    let req = body(&bytes)?;
    let status = req["status"]
        .as_str()
        .filter(|s| REVIEW_STATUSES.contains(s))
        .ok_or_else(|| {
            Problem::invalid(
                "NotSupportedChoice",
                "status",
                "The value you selected is not a valid choice.",
            )
        })?;
    let reason = match &req["reject_reason"] {
        Value::Null => String::new(),
        Value::String(s) if s.len() <= 65_535 => s.clone(),
        _ => {
            return Err(Problem::invalid(
                "TooLong",
                "reject_reason",
                "This value is too long. It should have 65535 characters or less.",
            ))
        }
    };
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let t = a
        .templates
        .iter_mut()
        .find(|t| t.id == id && t.integration_id == api.integration_id)
        .ok_or_else(|| Problem::not_found(format!("Template {id} not found")))?;
    let r = t
        .reviews
        .iter_mut()
        .find(|r| r["id"] == review_id)
        .ok_or_else(|| Problem::not_found(format!("Review {review_id} not found")))?;
    r["status"] = json!(status);
    r["reject_reason"] = json!(reason);
    Ok(ok(r.clone()))
}
