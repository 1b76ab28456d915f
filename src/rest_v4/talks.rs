//! Talks (`/api/v4/talks/{id}`, spec kommo-rest-v4.md §8): read one, close one
//! (202; 422 when already closed), which raises `update_talk`.

use super::hal::{body, links, ok};
use super::problem::{ApiResult, Problem};
use super::{account_of, path_id, Api, Shared};
use crate::actions;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new()
        .route("/api/v4/talks/{id}", get(one))
        .route("/api/v4/talks/{id}/close", post(close))
}

async fn one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let t = a
        .talks
        .iter()
        .find(|t| t.talk_id == id)
        .ok_or_else(|| Problem::not_found(format!("Talk {id} not found")))?;
    let contact = json!({"id": t.contact_id, "_links": links(&api.base, &format!("/api/v4/contacts/{}", t.contact_id))});
    let leads: Vec<Value> = t
        .entity_id
        .filter(|_| t.entity_type.as_deref() == Some("lead"))
        .map(|id| super::leads::link(&api, id))
        .into_iter()
        .collect();
    Ok(ok(json!({
        "talk_id": t.talk_id, "created_at": t.created_at, "updated_at": t.updated_at, "rate": 0,
        "contact_id": t.contact_id, "chat_id": t.chat_id, "entity_id": t.entity_id, "entity_type": t.entity_type,
        "is_in_work": t.is_in_work, "is_read": t.is_read, "origin": t.origin, "missed_at": null, "account_id": a.id,
        "_links": links(&api.base, &format!("/api/v4/talks/{}", t.talk_id)),
        "_embedded": {"contacts": [contact], "leads": leads, "customers": []},
    })))
}

async fn close(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let req = if bytes.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        body(&bytes)?
    };
    let force = match &req["force_close"] {
        Value::Null => false,
        Value::Bool(b) => *b,
        _ => {
            return Err(Problem::invalid(
                "InvalidType",
                "force_close",
                "This value should be of type bool.",
            ))
        }
    };
    let mut world = sb.world();
    match actions::close_talk(&mut world, api.now, &api.account_id, Some(id), None, force) {
        Ok(_) => Ok(StatusCode::ACCEPTED.into_response()),
        Err(e) if e.status == 409 => Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Talk {id} is already closed"),
        )),
        Err(_) => Err(Problem::not_found(format!("Talk {id} not found"))),
    }
}
