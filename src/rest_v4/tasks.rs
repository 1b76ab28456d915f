//! Tasks (`/api/v4/tasks`, `/tasks/{id}`): what a user must do by a time,
//! on a lead, contact or company or on none. List with `filter[id]`,
//! `filter[entity_type]`, `filter[entity_id]`, `filter[is_completed]`,
//! `filter[responsible_user_id]`; add and edit in batches; a task is done
//! with `is_completed` and a `result`.

use super::hal::{items, links, paged, request_id};
use super::problem::{ApiResult, FieldError, Problem};
use super::{account_mut_of, account_of, Api, Shared};
use crate::domain::crm::Task;
use crate::domain::{Account, World};
use crate::ids::Kind;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new()
        .route(
            "/api/v4/tasks",
            get(list)
                .post(create)
                .patch(|s, a, b| super::batch::update_many(s, a, b, ("tasks", 250, update))),
        )
        .route(
            "/api/v4/tasks/{id}",
            get(|s, a, p| {
                super::batch::get_one(s, a, p, |api, a, id| {
                    a.tasks.iter().find(|t| t.id == id).map(|t| view(api, a, t))
                })
            })
            .patch(|s, a, p, b| {
                super::batch::update_one(
                    s,
                    a,
                    p,
                    b,
                    ("Task", |a, id| a.tasks.iter().any(|t| t.id == id), update),
                )
            }),
        )
}

fn view(api: &Api, a: &Account, t: &Task) -> Value {
    json!({
        "id": t.id, "created_by": t.created_by, "updated_by": t.created_by, "created_at": t.created_at,
        "updated_at": t.updated_at, "responsible_user_id": t.responsible_user_id, "group_id": 0,
        "entity_id": t.entity_id, "entity_type": t.entity_type, "duration": t.duration,
        "is_completed": t.is_completed, "task_type_id": t.task_type_id, "text": t.text,
        "result": t.result_text.as_ref().map_or(json!([]), |text| json!({"text": text})),
        "complete_till": t.complete_till, "account_id": a.id,
        "_links": links(&api.base, &format!("/api/v4/tasks/{}", t.id)),
    })
}

async fn list(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let page = api.query.page(250)?;
    let ids = api.query.filter_ids("id")?;
    let entity_ids = api.query.filter_ids("entity_id")?;
    let users = api.query.filter_ids("responsible_user_id")?;
    let types = api.query.filter("entity_type");
    let done = api.query.filter("is_completed");
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let found: Vec<&Task> = a
        .tasks
        .iter()
        .filter(|t| ids.is_empty() || ids.contains(&t.id))
        .filter(|t| entity_ids.is_empty() || t.entity_id.is_some_and(|id| entity_ids.contains(&id)))
        .filter(|t| users.is_empty() || users.contains(&t.responsible_user_id))
        .filter(|t| types.is_empty() || t.entity_type.as_ref().is_some_and(|e| types.contains(e)))
        .filter(|t| {
            done.is_empty()
                || done
                    .iter()
                    .any(|d| (d == "1" || d == "true") == t.is_completed)
        })
        .collect();
    let shown: Vec<Value> = page
        .slice(&found)
        .iter()
        .map(|t| view(&api, a, t))
        .collect();
    Ok(paged(
        &api.base,
        "/api/v4/tasks",
        &api.query,
        page,
        found.len(),
        "tasks",
        shown,
    ))
}

fn int(item: &Value, key: &str, e: &mut Vec<FieldError>) -> Option<i64> {
    match &item[key] {
        Value::Null => None,
        v => v.as_i64().or_else(|| {
            e.push(FieldError::new(
                "InvalidType",
                key,
                "This value should be of type int.",
            ));
            None
        }),
    }
}

/// The errors of a task to add (`current` none) or to edit.
fn check(a: &Account, item: &Value, current: Option<&Task>) -> Vec<FieldError> {
    let mut e = vec![];
    if current.is_none() && item["text"].as_str().is_none_or(|t| t.is_empty()) {
        e.push(FieldError::new(
            "NotBlank",
            "text",
            "This value should not be blank.",
        ));
    }
    if current.is_none() && item["complete_till"].is_null() {
        e.push(FieldError::new(
            "NotBlank",
            "complete_till",
            "This value should not be blank.",
        ));
    }
    int(item, "complete_till", &mut e);
    int(item, "duration", &mut e);
    if let Some(u) = int(item, "responsible_user_id", &mut e) {
        if a.users.iter().all(|x| x.id != u) {
            e.push(FieldError::new(
                "NotSupportedChoice",
                "responsible_user_id",
                "The value you selected is not a valid choice.",
            ));
        }
    }
    if let Some(t) = int(item, "task_type_id", &mut e) {
        if ![1, 2].contains(&t) {
            e.push(FieldError::new(
                "NotSupportedChoice",
                "task_type_id",
                "The value you selected is not a valid choice.",
            ));
        }
    }
    let entity = item["entity_type"].as_str();
    let entity_id = int(item, "entity_id", &mut e);
    if entity.is_some() || entity_id.is_some() {
        match entity.and_then(super::links::Entity::parse) {
            None => e.push(FieldError::new(
                "NotSupportedChoice",
                "entity_type",
                "The value you selected is not a valid choice.",
            )),
            Some(kind) if !entity_id.is_some_and(|id| kind.exists(a, id)) => {
                e.push(FieldError::new("NotFound", "entity_id", "Entity not found"));
            }
            Some(_) => {}
        }
    }
    e
}

fn apply(t: &mut Task, item: &Value, now: i64) {
    if let Some(text) = item["text"].as_str() {
        t.text = text.to_string();
    }
    for (key, slot) in [
        ("complete_till", &mut t.complete_till),
        ("duration", &mut t.duration),
        ("responsible_user_id", &mut t.responsible_user_id),
        ("task_type_id", &mut t.task_type_id),
    ] {
        if let Some(v) = item[key].as_i64() {
            *slot = v;
        }
    }
    if let Some(e) = item["entity_type"].as_str() {
        t.entity_type = Some(e.to_string());
        t.entity_id = item["entity_id"].as_i64();
    }
    if let Some(done) = item["is_completed"].as_bool() {
        t.is_completed = done;
    }
    if let Some(text) = item["result"]["text"].as_str() {
        t.result_text = Some(text.to_string());
    }
    t.updated_at = now;
}

fn all_checked(a: &Account, list: &[Value], updating: bool) -> ApiResult<()> {
    let mut errors = vec![];
    for (i, item) in list.iter().enumerate() {
        let current = item["id"]
            .as_i64()
            .and_then(|id| a.tasks.iter().find(|t| t.id == id));
        let e = if updating && current.is_none() {
            vec![FieldError::new("NotFound", "id", "Task not found")]
        } else {
            check(a, item, current)
        };
        if !e.is_empty() {
            errors.push((request_id(item, i), e));
        }
    }
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
    let list = items(&bytes, 250)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    all_checked(a, &list, false)?;
    let mut out = vec![];
    for (i, item) in list.iter().enumerate() {
        let owner = a.users[0].id;
        let mut t = Task {
            id: a.ids.next(Kind::Other),
            text: String::new(),
            task_type_id: 1,
            responsible_user_id: owner,
            created_by: owner,
            entity_type: None,
            entity_id: None,
            complete_till: 0,
            duration: 0,
            is_completed: false,
            result_text: None,
            created_at: api.now,
            updated_at: api.now,
        };
        apply(&mut t, item, api.now);
        out.push(json!({"id": t.id, "request_id": request_id(item, i), "_links": links(&api.base, &format!("/api/v4/tasks/{}", t.id))}));
        a.tasks.push(t);
    }
    Ok(super::batch::answer(&api, "tasks", out))
}

fn update(world: &mut World, api: &Api, list: &[Value]) -> ApiResult<Vec<Value>> {
    let a = account_mut_of(world, api)?;
    all_checked(a, list, true)?;
    let mut out = vec![];
    for (i, item) in list.iter().enumerate() {
        let id = item["id"].as_i64().expect("checked");
        let t = a.tasks.iter_mut().find(|t| t.id == id).expect("checked");
        apply(t, item, api.now);
        out.push(json!({"id": t.id, "updated_at": t.updated_at, "request_id": request_id(item, i), "_links": links(&api.base, &format!("/api/v4/tasks/{id}"))}));
    }
    Ok(out)
}
