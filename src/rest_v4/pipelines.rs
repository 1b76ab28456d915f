//! `GET /api/v4/leads/pipelines[/{id}]` and `.../{id}/statuses[/{id}]`: the pipelines sources and leads point
//! at, each with its "Incoming leads" stage (type 1), first ordinary stage,
//! and the system stages 142 (won) and 143 (lost) (spec kommo-rest-v4.md §3.1).

use super::hal::{batch, links, no_content, ok};
use super::leads::{LOST, WON};
use super::problem::ApiResult;
use super::{account_of, path_id, Api, Shared};
use crate::domain::{Account, Pipeline};
use axum::extract::{Extension, Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new()
        .route("/api/v4/leads/pipelines", get(list))
        .route("/api/v4/leads/pipelines/{id}", get(one))
        .route("/api/v4/leads/pipelines/{id}/statuses", get(statuses))
        .route(
            "/api/v4/leads/pipelines/{id}/statuses/{status_id}",
            get(one_status),
        )
}

fn status(
    api: &Api,
    a: &Account,
    p: &Pipeline,
    (id, name, sort, kind): (i64, &str, i64, i64),
) -> Value {
    json!({
        "id": id, "name": name, "sort": sort, "is_editable": kind == 0 && id != WON && id != LOST, "pipeline_id": p.id,
        "color": "#99ccff", "type": kind, "account_id": a.id,
        "_links": links(&api.base, &format!("/api/v4/leads/pipelines/{}/statuses/{id}", p.id)),
    })
}

/// A pipeline's stages: (id, name, sort, type).
fn stages(p: &Pipeline) -> [(i64, &'static str, i64, i64); 4] {
    [
        (p.incoming_status_id, "Incoming leads", 10, 1),
        (p.first_status_id, "Initial contact", 20, 0),
        (WON, "Closed - won", 10000, 0),
        (LOST, "Closed - lost", 11000, 0),
    ]
}

fn view(api: &Api, a: &Account, p: &Pipeline, sort: usize) -> Value {
    let statuses: Vec<Value> = stages(p)
        .into_iter()
        .map(|s| status(api, a, p, s))
        .collect();
    json!({
        "id": p.id, "name": p.name, "sort": (sort + 1) * 1000, "is_main": p.is_main, "is_unsorted_on": true, "is_archive": false,
        "account_id": a.id, "_links": links(&api.base, &format!("/api/v4/leads/pipelines/{}", p.id)), "_embedded": {"statuses": statuses},
    })
}

async fn list(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let items: Vec<Value> = a
        .pipelines
        .iter()
        .enumerate()
        .map(|(i, p)| view(&api, a, p, i))
        .collect();
    Ok(ok(batch(
        &api.base,
        "/api/v4/leads/pipelines",
        "pipelines",
        items,
    )))
}

async fn one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let found = a
        .pipelines
        .iter()
        .enumerate()
        .find(|(_, p)| p.id == id)
        .map(|(i, p)| ok(view(&api, a, p, i)));
    Ok(found.unwrap_or_else(no_content))
}

/// `GET /api/v4/leads/pipelines/{id}/statuses`; 204 for an unknown pipeline.
async fn statuses(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let Some(p) = a.pipelines.iter().find(|p| p.id == id) else {
        return Ok(no_content());
    };
    let items: Vec<Value> = stages(p)
        .into_iter()
        .map(|s| status(&api, a, p, s))
        .collect();
    let path = format!("/api/v4/leads/pipelines/{id}/statuses");
    Ok(ok(batch(&api.base, &path, "statuses", items)))
}

async fn one_status(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path((id, status_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (id, status_id) = (path_id(&id)?, path_id(&status_id)?);
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let found = a.pipelines.iter().find(|p| p.id == id).and_then(|p| {
        let s = stages(p).into_iter().find(|s| s.0 == status_id)?;
        Some(ok(status(&api, a, p, s)))
    });
    Ok(found.unwrap_or_else(no_content))
}
