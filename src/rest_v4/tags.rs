//! Tags (`/api/v4/{leads,contacts,companies}/tags`): each entity type has the
//! account's own list. Leads and contacts carry tags: `_embedded.tags`
//! (`{id}` or `{name}`) replaces them, `tags_to_add` / `tags_to_delete` add
//! and remove, and a new name becomes a tag of the list.

use super::hal::{items, links, ok, paged, request_id};
use super::problem::{ApiResult, FieldError, Problem};
use super::{account_mut_of, account_of, Api, Shared};
use crate::domain::crm::Tag;
use crate::domain::Account;
use crate::ids::Kind;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

const ENTITIES: [&str; 3] = ["leads", "contacts", "companies"];

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    let mut router = Router::new();
    for entity in ENTITIES {
        router = router.route(
            &format!("/api/v4/{entity}/tags"),
            get(move |s: Shared, a: Extension<Api>| list(s, a, entity))
                .post(move |s: Shared, a: Extension<Api>, b: Bytes| create(s, a, b, entity)),
        );
    }
    router
}

/// One tag named by a write: an existing one, or a name to find or make.
#[derive(Debug, Clone)]
pub enum Named {
    Id(i64),
    Name(String),
}

/// What a write does to an entity's tags, once checked.
#[derive(Debug, Default)]
pub struct Change {
    replace: Option<Vec<Named>>,
    add: Vec<Named>,
    delete: Vec<Named>,
}

/// Reads `_embedded.tags`, `tags_to_add` and `tags_to_delete` of `item`.
pub fn read(a: &Account, entity: &str, item: &Value) -> Result<Change, Vec<FieldError>> {
    let mut errors = vec![];
    let mut list = |path: &str, value: &Value| -> Vec<Named> {
        named(a, entity, path, value).unwrap_or_else(|e| {
            errors.push(e);
            vec![]
        })
    };
    let replace = match item["_embedded"].get("tags") {
        None | Some(Value::Null) => None,
        Some(v) => Some(list("_embedded.tags", v)),
    };
    let add = list("tags_to_add", &item["tags_to_add"]);
    let delete = list("tags_to_delete", &item["tags_to_delete"]);
    if errors.is_empty() {
        Ok(Change {
            replace,
            add,
            delete,
        })
    } else {
        Err(errors)
    }
}

fn named(a: &Account, entity: &str, path: &str, value: &Value) -> Result<Vec<Named>, FieldError> {
    let items = match value {
        Value::Null => return Ok(vec![]),
        Value::Array(items) => items,
        _ => {
            return Err(FieldError::new(
                "InvalidType",
                path,
                "This value should be of type array.",
            ))
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, t)| match (t["id"].as_i64(), t["name"].as_str()) {
            (Some(id), _) if a.tags.iter().any(|x| x.id == id && x.entity_type == entity) => {
                Ok(Named::Id(id))
            }
            (Some(_), _) => Err(FieldError::new(
                "NotFound",
                format!("{path}.{i}.id"),
                "Tag not found",
            )),
            (None, Some(name)) if !name.trim().is_empty() => {
                Ok(Named::Name(name.trim().to_string()))
            }
            _ => Err(FieldError::new(
                "NotBlank",
                format!("{path}.{i}"),
                "A tag needs an id or a name.",
            )),
        })
        .collect()
}

/// The tag of `entity` called `name`, made if the account has none.
fn find_or_make(a: &mut Account, entity: &str, name: &str) -> i64 {
    if let Some(t) = a
        .tags
        .iter()
        .find(|t| t.entity_type == entity && t.name.eq_ignore_ascii_case(name))
    {
        return t.id;
    }
    let id = a.ids.next(Kind::Other);
    a.tags.push(Tag {
        id,
        name: name.to_string(),
        entity_type: entity.to_string(),
        color: None,
    });
    id
}

fn resolve(a: &mut Account, entity: &str, named: &[Named]) -> Vec<i64> {
    named
        .iter()
        .map(|n| match n {
            Named::Id(id) => *id,
            Named::Name(name) => find_or_make(a, entity, name),
        })
        .collect()
}

/// Applies a checked change to the tag ids an entity holds.
pub fn apply(a: &mut Account, entity: &str, change: Change, tags: &mut Vec<i64>) {
    if let Some(replace) = &change.replace {
        *tags = resolve(a, entity, replace);
    }
    for id in resolve(a, entity, &change.add) {
        if !tags.contains(&id) {
            tags.push(id);
        }
    }
    let gone = resolve(a, entity, &change.delete);
    tags.retain(|id| !gone.contains(id));
}

/// `_embedded.tags` of an entity.
pub fn view(a: &Account, ids: &[i64]) -> Value {
    let tags: Vec<Value> = ids
        .iter()
        .filter_map(|id| a.tags.iter().find(|t| t.id == *id))
        .map(|t| json!({"id": t.id, "name": t.name, "color": t.color}))
        .collect();
    Value::Array(tags)
}

async fn list(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    entity: &'static str,
) -> ApiResult<Response> {
    let page = api.query.page(250)?;
    let ids = api.query.filter_ids("id")?;
    let names = api.query.filter("name");
    let query = api.query.get("query").unwrap_or("").to_lowercase();
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let found: Vec<&Tag> = a
        .tags
        .iter()
        .filter(|t| t.entity_type == entity)
        .filter(|t| ids.is_empty() || ids.contains(&t.id))
        .filter(|t| names.is_empty() || names.iter().any(|n| n.eq_ignore_ascii_case(&t.name)))
        .filter(|t| query.is_empty() || t.name.to_lowercase().contains(&query))
        .collect();
    let items: Vec<Value> = page
        .slice(&found)
        .iter()
        .map(|t| json!({"id": t.id, "name": t.name, "color": t.color}))
        .collect();
    let path = format!("/api/v4/{entity}/tags");
    Ok(paged(
        &api.base,
        &path,
        &api.query,
        page,
        found.len(),
        "tags",
        items,
    ))
}

async fn create(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
    entity: &'static str,
) -> ApiResult<Response> {
    let list = items(&bytes, 250)?;
    let mut errors = vec![];
    for (i, item) in list.iter().enumerate() {
        if item["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
            let e = FieldError::new("NotBlank", "name", "This value should not be blank.");
            errors.push((request_id(item, i), vec![e]));
        }
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let out: Vec<Value> = list
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let name = item["name"].as_str().expect("checked").trim();
            let id = find_or_make(a, entity, name);
            if let Some(color) = item["color"].as_str() {
                let tag = a.tags.iter_mut().find(|t| t.id == id).expect("just found or made");
                tag.color = Some(color.to_string());
            }
            json!({"id": id, "name": name, "color": item["color"], "request_id": request_id(item, i)})
        })
        .collect();
    let path = format!("/api/v4/{entity}/tags");
    Ok(ok(
        json!({"_total_items": out.len(), "_links": links(&api.base, &path), "_embedded": {"tags": out}}),
    ))
}
