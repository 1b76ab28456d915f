//! The endpoints leads, contacts, companies and tasks share:
//! `GET /api/v4/{kind}/{id}` (the record, or 204), `PATCH /api/v4/{kind}`
//! (a batch) and `PATCH /api/v4/{kind}/{id}` (one object), the edits through
//! the resource's own `update` of a checked batch.

use super::hal::{items, links, no_content, ok};
use super::problem::ApiResult;
use super::{account_of, path_id, Api, Shared};
use crate::domain::{Account, World};
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::response::Response;
use serde_json::{json, Value};

/// A resource's update of a batch: the answer items, or why it was refused whole.
pub type Update = fn(&mut World, &Api, &[Value]) -> ApiResult<Vec<Value>>;

/// `{_links, _embedded: {<kind>: items}}`, the answer to a batch write.
pub fn answer(api: &Api, kind: &str, out: Vec<Value>) -> Response {
    let path = format!("/api/v4/{kind}");
    ok(json!({"_links": links(&api.base, &path), "_embedded": {kind: out}}))
}

pub async fn update_many(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
    (kind, limit, update): (&'static str, usize, Update),
) -> ApiResult<Response> {
    let list = items(&bytes, limit)?;
    let out = update(&mut sb.world(), &api, &list)?;
    Ok(answer(&api, kind, out))
}

/// `PATCH /{kind}/{id}`: the object as a one-item batch, for an entity that
/// `exists` (else 404 "<what> <id> not found"); answers the item alone.
pub async fn update_one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
    bytes: Bytes,
    (what, exists, update): (&'static str, fn(&Account, i64) -> bool, Update),
) -> ApiResult<Response> {
    let mut world = sb.world();
    let a = account_of(&world, &api)?;
    let item = super::contacts::single(&bytes, &id, what, |id| exists(a, id))?;
    Ok(ok(super::contacts::only(update(&mut world, &api, &item)?)))
}

/// Finds record `id` of the account and shows it.
pub type Show = fn(&Api, &Account, i64) -> Option<Value>;

/// `GET /{kind}/{id}`: the record, or 204 when the account has none with that id.
pub async fn get_one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
    show: Show,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    Ok(show(&api, a, id).map(ok).unwrap_or_else(no_content))
}
