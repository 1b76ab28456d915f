//! Notes (`/api/v4/{leads,contacts,companies}/notes` and `/{id}/notes`): what
//! an entity's feed shows besides chats: comments, calls, service messages.
//! Add in batches, list with `filter[id]`, `filter[entity_id]`,
//! `filter[note_type]`, get one.

use super::hal::{items, links, no_content, ok, paged, request_id};
use super::problem::{ApiResult, FieldError, Problem};
use super::{account_mut_of, account_of, path_id, Api, Shared};
use crate::domain::crm::Note;
use crate::domain::Account;
use crate::ids::Kind;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

/// Kommo's note types, and the `params` key each needs.
const TYPES: [(&str, Option<&str>); 11] = [
    ("common", Some("text")),
    ("call_in", Some("phone")),
    ("call_out", Some("phone")),
    ("service_message", Some("text")),
    ("extended_service_message", Some("text")),
    ("message_cashier", Some("text")),
    ("geolocation", Some("text")),
    ("sms_in", Some("text")),
    ("sms_out", Some("text")),
    ("attachment", Some("file_uuid")),
    ("invoice_paid", Some("text")),
];

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    let mut router = Router::new();
    for entity in ["leads", "contacts", "companies"] {
        let base = format!("/api/v4/{entity}");
        router = router
            .route(
                &format!("{base}/notes"),
                get(move |s: Shared, a: Extension<Api>| list(s, a, entity, None)).post(
                    move |s: Shared, a: Extension<Api>, b: Bytes| create(s, a, b, entity, None),
                ),
            )
            .route(
                &format!("{base}/notes/{{note_id}}"),
                get(move |s: Shared, a: Extension<Api>, p: Path<String>| one(s, a, entity, p)),
            )
            .route(
                &format!("{base}/{{id}}/notes"),
                get(move |s: Shared, a: Extension<Api>, Path(id): Path<String>| async move {
                    list(s, a, entity, Some(path_id(&id)?)).await
                })
                .post(
                    move |s: Shared, a: Extension<Api>, Path(id): Path<String>, b: Bytes| async move {
                        create(s, a, b, entity, Some(path_id(&id)?)).await
                    },
                ),
            );
    }
    router
}

fn view(api: &Api, a: &Account, n: &Note) -> Value {
    json!({
        "id": n.id, "entity_id": n.entity_id, "created_by": n.created_by, "updated_by": n.created_by,
        "created_at": n.created_at, "updated_at": n.updated_at, "responsible_user_id": n.responsible_user_id,
        "group_id": 0, "note_type": n.note_type, "params": n.params, "account_id": a.id,
        "_links": links(&api.base, &format!("/api/v4/{}/{}/notes/{}", n.entity_type, n.entity_id, n.id)),
    })
}

fn entity_exists(a: &Account, entity: &str, id: i64) -> bool {
    super::links::Entity::parse(entity).is_some_and(|e| e.exists(a, id))
}

async fn list(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    entity: &'static str,
    of: Option<i64>,
) -> ApiResult<Response> {
    let page = api.query.page(250)?;
    let ids = api.query.filter_ids("id")?;
    let entity_ids = api.query.filter_ids("entity_id")?;
    let types = api.query.filter("note_type");
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let found: Vec<&Note> = a
        .notes
        .iter()
        .filter(|n| n.entity_type == entity && of.is_none_or(|id| n.entity_id == id))
        .filter(|n| ids.is_empty() || ids.contains(&n.id))
        .filter(|n| entity_ids.is_empty() || entity_ids.contains(&n.entity_id))
        .filter(|n| types.is_empty() || types.contains(&n.note_type))
        .collect();
    let shown: Vec<Value> = page
        .slice(&found)
        .iter()
        .map(|n| view(&api, a, n))
        .collect();
    let path = match of {
        Some(id) => format!("/api/v4/{entity}/{id}/notes"),
        None => format!("/api/v4/{entity}/notes"),
    };
    Ok(paged(
        &api.base,
        &path,
        &api.query,
        page,
        found.len(),
        "notes",
        shown,
    ))
}

async fn one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    entity: &'static str,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    Ok(a.notes
        .iter()
        .find(|n| n.id == id && n.entity_type == entity)
        .map(|n| ok(view(&api, a, n)))
        .unwrap_or_else(no_content))
}

/// The errors of one note to add, for `entity` (or entity `of` from the path).
fn check(a: &Account, entity: &str, of: Option<i64>, item: &Value) -> Vec<FieldError> {
    let mut errors = vec![];
    let entity_id = of.or(item["entity_id"].as_i64());
    if !entity_id.is_some_and(|id| entity_exists(a, entity, id)) {
        errors.push(FieldError::new("NotFound", "entity_id", "Entity not found"));
    }
    match TYPES
        .iter()
        .find(|(t, _)| Some(*t) == item["note_type"].as_str())
    {
        None => errors.push(FieldError::new(
            "NotSupportedChoice",
            "note_type",
            "The value you selected is not a valid choice.",
        )),
        Some((_, Some(key))) if item["params"].get(*key).is_none_or(Value::is_null) => {
            errors.push(FieldError::new(
                "NotBlank",
                format!("params.{key}"),
                "This value should not be blank.",
            ));
        }
        Some(_) => {}
    }
    errors
}

async fn create(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
    entity: &'static str,
    of: Option<i64>,
) -> ApiResult<Response> {
    let list = items(&bytes, 250)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    if let Some(id) = of.filter(|id| !entity_exists(a, entity, *id)) {
        return Err(Problem::not_found(format!("Entity {id} not found")));
    }
    let errors: Vec<(String, Vec<FieldError>)> = list
        .iter()
        .enumerate()
        .map(|(i, item)| (request_id(item, i), check(a, entity, of, item)))
        .filter(|(_, e)| !e.is_empty())
        .collect();
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let mut out = vec![];
    for (i, item) in list.iter().enumerate() {
        let owner = item["responsible_user_id"]
            .as_i64()
            .unwrap_or(a.users[0].id);
        let note = Note {
            id: a.ids.next(Kind::Other),
            entity_type: entity.to_string(),
            entity_id: of.or(item["entity_id"].as_i64()).expect("checked"),
            note_type: item["note_type"].as_str().expect("checked").to_string(),
            params: item["params"].clone(),
            created_by: item["created_by"].as_i64().unwrap_or(a.users[0].id),
            responsible_user_id: owner,
            created_at: api.now,
            updated_at: api.now,
        };
        let path = format!("/api/v4/{entity}/{}/notes/{}", note.entity_id, note.id);
        out.push(json!({"id": note.id, "entity_id": note.entity_id, "request_id": request_id(item, i), "_links": links(&api.base, &path)}));
        a.notes.push(note);
    }
    let path = format!("/api/v4/{entity}/notes");
    Ok(ok(
        json!({"_links": links(&api.base, &path), "_embedded": {"notes": out}}),
    ))
}
