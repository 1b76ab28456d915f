//! Incoming leads (`/api/v4/leads/unsorted`, spec kommo-rest-v4.md §3): list,
//! get, summary, accept, decline and link. Accept and decline are reported to
//! account webhooks as `unsorted.delete` with `action` accept / decline.

use super::hal::{body, links, no_content, ok, paged, sort_by};
use super::leads::{lead_event, link as lead_link, status_allowed};
use super::problem::{ApiResult, Problem};
use super::{account_mut_of, account_of, Api, Shared};
use crate::domain::effects::event;
use crate::domain::{Account, AccountEvent, IncomingLead};
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

pub const CATEGORIES: [&str; 4] = ["sip", "mail", "forms", "chats"];

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new()
        .route("/api/v4/leads/unsorted", get(list))
        .route("/api/v4/leads/unsorted/summary", get(summary))
        .route(
            "/api/v4/leads/unsorted/forms",
            post(super::unsorted_forms::create),
        )
        .route("/api/v4/leads/unsorted/{uid}", get(one))
        .route("/api/v4/leads/unsorted/{uid}/accept", post(accept))
        .route("/api/v4/leads/unsorted/{uid}/decline", delete(decline))
        .route("/api/v4/leads/unsorted/{uid}/link", post(link))
}

fn contact_link(api: &Api, id: i64) -> Value {
    json!({"id": id, "_links": links(&api.base, &format!("/api/v4/contacts/{id}"))})
}

pub fn view(api: &Api, a: &Account, u: &IncomingLead) -> Value {
    let to = u
        .source_uid
        .split_once(':')
        .map(|(_, ext)| ext)
        .unwrap_or("");
    let metadata = u.form_metadata.clone().unwrap_or_else(|| {
        json!({
            "from": u.client_name, "to": to, "received_at": u.created_at, "service": u.service,
            "client": {"name": u.client_name, "avatar": u.client_avatar},
            "origin": {"chat_id": u.chat_id, "ref": null, "visitor_uid": null},
            "last_message_text": u.last_message_text, "source_name": u.source_name,
        })
    });
    json!({
        "uid": u.uid, "source_uid": u.source_uid, "source_name": u.source_name, "category": u.category,
        "pipeline_id": u.pipeline_id, "created_at": u.created_at,
        "metadata": metadata,
        "account_id": a.id,
        "_links": links(&api.base, &format!("/api/v4/leads/unsorted/{}", u.uid)),
        "_embedded": {"contacts": [contact_link(api, u.contact_id)], "leads": [lead_link(api, u.lead_id)], "companies": []},
    })
}

fn matches(api: &Api, u: &IncomingLead) -> ApiResult<bool> {
    let uids = api.query.filter("uid");
    let categories = api.query.filter("category");
    let pipelines = api.query.filter_ids("pipeline_id")?;
    Ok((uids.is_empty() || uids.contains(&u.uid))
        && (categories.is_empty() || categories.contains(&u.category))
        && (pipelines.is_empty() || pipelines.contains(&u.pipeline_id)))
}

async fn list(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let page = api.query.page(250)?;
    if let Some(bad) = api
        .query
        .filter("category")
        .iter()
        .find(|c| !CATEGORIES.contains(&c.as_str()))
    {
        return Err(Problem::invalid(
            "NotSupportedChoice",
            "filter.category",
            format!("{bad:?} is not one of sip, mail, forms, chats"),
        ));
    }
    let order = api.query.order(&["created_at", "updated_at"])?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let mut found = vec![];
    for u in a.incoming_leads.iter().filter(|u| u.state == "pending") {
        if matches(&api, u)? {
            found.push(u);
        }
    }
    // Incoming leads change only by leaving the list, so both orders read created_at.
    sort_by(&mut found, order, |u, _| u.created_at);
    let items: Vec<Value> = page
        .slice(&found)
        .iter()
        .map(|u| view(&api, a, u))
        .collect();
    Ok(paged(
        &api.base,
        "/api/v4/leads/unsorted",
        &api.query,
        page,
        found.len(),
        "unsorted",
        items,
    ))
}

async fn one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(uid): Path<String>,
) -> ApiResult<Response> {
    let world = sb.world();
    let a = account_of(&world, &api)?;
    Ok(a.incoming_leads
        .iter()
        .find(|u| u.uid == uid && u.state == "pending")
        .map(|u| ok(view(&api, a, u)))
        .unwrap_or_else(no_content))
}

async fn summary(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let from = api
        .query
        .get("filter[created_at][from]")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(i64::MIN);
    let to = api
        .query
        .get("filter[created_at][to]")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(i64::MAX);
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let mut all = vec![];
    for u in a
        .incoming_leads
        .iter()
        .filter(|u| u.created_at >= from && u.created_at <= to)
    {
        if matches(&api, u)? {
            all.push(u);
        }
    }
    let count = |state: &str| all.iter().filter(|u| u.state == state).count();
    let categories: serde_json::Map<String, Value> = CATEGORIES
        .iter()
        .map(|c| {
            (
                c.to_string(),
                json!({"total": all.iter().filter(|u| u.category == *c).count()}),
            )
        })
        .collect();
    Ok(ok(
        json!({"total": all.len(), "accepted": count("accepted"), "declined": count("declined"), "average_sort_time": 0, "categories": categories}),
    ))
}

/// The pending incoming lead `uid`, else 404.
fn pending(a: &Account, uid: &str) -> ApiResult<usize> {
    a.incoming_leads
        .iter()
        .position(|u| u.uid == uid && u.state == "pending")
        .ok_or_else(|| Problem::not_found(format!("Unsorted {uid} not found")))
}

/// An optional JSON object body.
fn optional_body(bytes: &[u8]) -> ApiResult<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    let v = body(bytes)?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(Problem::invalid(
            "InvalidType",
            "",
            "This value should be of type object.",
        ))
    }
}

fn check_user(a: &Account, req: &Value) -> ApiResult<Option<i64>> {
    match &req["user_id"] {
        Value::Null => Ok(None),
        v => v
            .as_i64()
            .filter(|id| a.users.iter().any(|u| u.id == *id))
            .map(Some)
            .ok_or_else(|| {
                Problem::invalid(
                    "NotSupportedChoice",
                    "user_id",
                    "The value you selected is not a valid choice.",
                )
            }),
    }
}

fn answer(api: &Api, u: &IncomingLead) -> Value {
    json!({
        "uid": u.uid, "pipeline_id": u.pipeline_id, "category": u.category, "created_at": u.created_at,
        "_embedded": {"leads": [lead_link(api, u.lead_id)], "contacts": [contact_link(api, u.contact_id)], "companies": []},
        "_links": links(&api.base, &format!("/api/v4/leads/unsorted/{}", u.uid)),
    })
}

fn unsorted_delete(
    a: &Account,
    u: &IncomingLead,
    action: &str,
    user: i64,
    now: i64,
) -> AccountEvent {
    let mut data = json!({"action": action, "uid": u.uid, "category": u.category, "created_at": u.created_at, "modified_user_id": user, "pipeline_id": u.pipeline_id, "account_id": a.id});
    let key = format!("{action}_result");
    data[key] = if action == "accept" {
        json!({"leads": [u.lead_id], "contacts": [u.contact_id]})
    } else {
        json!({"leads": [u.lead_id]})
    };
    event(a, "unsorted", "delete", "delete_unsorted", data, now)
}

async fn accept(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(uid): Path<String>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req = optional_body(&bytes)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let i = pending(a, &uid)?;
    let user = check_user(a, &req)?;
    let pipeline = a
        .pipelines
        .iter()
        .find(|p| p.id == a.incoming_leads[i].pipeline_id)
        .unwrap_or(a.main_pipeline())
        .clone();
    let status = match &req["status_id"] {
        Value::Null => pipeline.first_status_id,
        v => v
            .as_i64()
            .filter(|s| status_allowed(&pipeline, *s))
            .ok_or_else(|| {
                Problem::invalid(
                    "NotSupportedChoice",
                    "status_id",
                    "The value you selected is not a valid choice.",
                )
            })?,
    };
    a.incoming_leads[i].state = "accepted".into();
    let lead_id = a.incoming_leads[i].lead_id;
    let mut events = vec![];
    if let Some(l) = a.leads.iter_mut().find(|l| l.id == lead_id) {
        let old = l.status_id;
        l.status_id = status;
        l.responsible_user_id = user.unwrap_or(l.responsible_user_id);
        l.updated_at = api.now;
        let l = l.clone();
        events.push(lead_event(
            a,
            &l,
            "status",
            "status_lead",
            Some(old),
            api.now,
        ));
    }
    let u = a.incoming_leads[i].clone();
    events.insert(
        0,
        unsorted_delete(a, &u, "accept", user.unwrap_or(a.users[0].id), api.now),
    );
    events.into_iter().for_each(|e| world.emit(e));
    Ok(ok(answer(&api, &u)))
}

async fn decline(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(uid): Path<String>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req = optional_body(&bytes)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let i = pending(a, &uid)?;
    let user = check_user(a, &req)?.unwrap_or(a.users[0].id);
    a.incoming_leads[i].state = "declined".into();
    let u = a.incoming_leads[i].clone();
    let mut events = vec![unsorted_delete(a, &u, "decline", user, api.now)];
    // The declined lead goes to the trash.
    if let Some(pos) = a.leads.iter().position(|l| l.id == u.lead_id) {
        let l = a.leads.remove(pos);
        events.push(event(a, "leads", "delete", "delete_lead", json!({"id": l.id, "status_id": l.status_id, "pipeline_id": l.pipeline_id, "account_id": a.id}), api.now));
    }
    events.into_iter().for_each(|e| world.emit(e));
    Ok(ok(answer(&api, &u)))
}

async fn link(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(uid): Path<String>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req = body(&bytes)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let i = pending(a, &uid)?;
    check_user(a, &req)?;
    if a.incoming_leads[i].category != "chats" {
        return Err(Problem::bad_request("Only chats unsorted can be linked"));
    }
    if req["link"]["entity_type"] != "leads" {
        return Err(Problem::invalid(
            "NotSupportedChoice",
            "link.entity_type",
            "The value you selected is not a valid choice.",
        ));
    }
    let target = req["link"]["entity_id"]
        .as_i64()
        .filter(|id| a.leads.iter().any(|l| l.id == *id))
        .ok_or_else(|| Problem::invalid("NotFound", "link.entity_id", "Lead not found"))?;
    let contact = req["link"]["metadata"]["contact_id"]
        .as_i64()
        .unwrap_or(a.incoming_leads[i].contact_id);
    let u = a.incoming_leads[i].clone();
    a.incoming_leads[i].state = "linked".into();
    a.leads.retain(|l| l.id != u.lead_id);
    if let Some(l) = a.leads.iter_mut().find(|l| l.id == target) {
        if !l.contact_ids.contains(&contact) {
            l.contact_ids.push(contact);
        }
        l.updated_at = api.now;
    }
    for t in a
        .talks
        .iter_mut()
        .filter(|t| t.chat_id == u.chat_id && t.entity_id == Some(u.lead_id))
    {
        t.entity_id = Some(target);
    }
    Ok(ok(
        json!({"uid": u.uid, "_embedded": {"leads": [lead_link(&api, target)]}}),
    ))
}
