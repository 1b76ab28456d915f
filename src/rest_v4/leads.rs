//! Leads (`/api/v4/leads`, spec kommo-rest-v4.md §10.2): list, get, create,
//! update; `with=contacts,source_id,source`; `_embedded.source.external_id`
//! on create puts the lead in that source's pipeline.

use super::hal::{items, links, paged, request_id, sort_by};
use super::problem::{ApiResult, FieldError, Problem};
use super::{account_mut_of, account_of, Api, Shared};
use crate::domain::effects::event;
use crate::domain::{Account, AccountEvent, Lead, Pipeline};
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

pub const BATCH_LIMIT: usize = 250;
/// System statuses every pipeline has: won and lost.
pub const WON: i64 = 142;
pub const LOST: i64 = 143;

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new()
        .route(
            "/api/v4/leads",
            get(list).post(create).patch(|s, a, b| {
                super::batch::update_many(s, a, b, ("leads", BATCH_LIMIT, update))
            }),
        )
        .route(
            "/api/v4/leads/{id}",
            get(|s, a, p| {
                super::batch::get_one(s, a, p, |api, a, id| {
                    a.leads.iter().find(|l| l.id == id).map(|l| view(api, a, l))
                })
            })
            .patch(|s, a, p, b| {
                super::batch::update_one(
                    s,
                    a,
                    p,
                    b,
                    ("Lead", |a, id| a.leads.iter().any(|l| l.id == id), update),
                )
            }),
        )
}

pub fn link(api: &Api, id: i64) -> Value {
    json!({"id": id, "_links": links(&api.base, &format!("/api/v4/leads/{id}"))})
}

pub fn view(api: &Api, a: &Account, l: &Lead) -> Value {
    let mut embedded = json!({"tags": super::tags::view(a, &l.tag_ids), "companies": super::contacts::refs(api, "companies", l.company_id)});
    if api.query.has_with("contacts") {
        let contacts: Vec<Value> = l.contact_ids.iter().enumerate().map(|(i, id)| json!({"id": id, "is_main": i == 0, "_links": links(&api.base, &format!("/api/v4/contacts/{id}"))})).collect();
        embedded["contacts"] = json!(contacts);
    }
    if api.query.has_with("source") {
        if let Some(s) = l
            .source_id
            .and_then(|id| a.sources.iter().find(|s| s.id == id))
        {
            embedded["source"] = json!({"id": s.id, "name": s.name});
        }
    }
    let closed = [WON, LOST].contains(&l.status_id);
    let mut v = json!({
        "id": l.id, "name": l.name, "price": l.price, "responsible_user_id": l.responsible_user_id, "group_id": 0,
        "status_id": l.status_id, "pipeline_id": l.pipeline_id, "loss_reason_id": null, "created_by": 0, "updated_by": 0,
        "created_at": l.created_at, "updated_at": l.updated_at, "closed_at": if closed { json!(l.updated_at) } else { Value::Null },
        "closest_task_at": null, "is_deleted": false, "custom_fields_values": super::custom_fields::view(a, "leads", &l.fields), "score": null, "account_id": a.id,
        "_links": links(&api.base, &format!("/api/v4/leads/{}", l.id)), "_embedded": embedded,
    });
    if api.query.has_with("source_id") {
        v["source_id"] = json!(l.source_id);
    }
    v
}

async fn list(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let page = api.query.page(250)?;
    let ids = api.query.filter_ids("id")?;
    let pipelines = api.query.filter_ids("pipeline_id")?;
    let query = api.query.get("query").unwrap_or("").to_lowercase();
    let order = api.query.order(&["created_at", "updated_at", "id"])?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let mut found: Vec<&Lead> = a
        .leads
        .iter()
        .filter(|l| ids.is_empty() || ids.contains(&l.id))
        .filter(|l| pipelines.is_empty() || pipelines.contains(&l.pipeline_id))
        .filter(|l| query.is_empty() || l.name.to_lowercase().contains(&query))
        .collect();
    sort_by(&mut found, order, |l, f| match f {
        "id" => l.id,
        "created_at" => l.created_at,
        _ => l.updated_at,
    });
    let items: Vec<Value> = page
        .slice(&found)
        .iter()
        .map(|l| view(&api, a, l))
        .collect();
    Ok(paged(
        &api.base,
        "/api/v4/leads",
        &api.query,
        page,
        found.len(),
        "leads",
        items,
    ))
}

/// Ordinary stages a lead may be put in by the API (not "Incoming leads").
pub fn status_allowed(p: &Pipeline, status_id: i64) -> bool {
    status_id == p.first_status_id || status_id == WON || status_id == LOST
}

/// What a create or update resolves to, once checked.
pub(super) struct Plan {
    pipeline_id: Option<i64>,
    status_id: Option<i64>,
    source_id: Option<i64>,
    pub contacts: Option<Vec<i64>>,
    /// `_embedded.companies` given: the company, or none to unlink.
    pub company: Option<Option<i64>>,
    fields: super::custom_fields::Written,
    tags: super::tags::Change,
}

pub(super) fn check(
    a: &Account,
    api: &Api,
    item: &Value,
    current: Option<&Lead>,
) -> Result<Plan, Vec<FieldError>> {
    let mut e = vec![];
    let int = |key: &str, e: &mut Vec<FieldError>| match &item[key] {
        Value::Null => None,
        Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
        _ => {
            e.push(FieldError::new(
                "InvalidType",
                key,
                "This value should be of type int.",
            ));
            None
        }
    };
    if !matches!(item["name"], Value::Null | Value::String(_)) {
        e.push(FieldError::new(
            "InvalidType",
            "name",
            "This value should be of type string.",
        ));
    }
    int("price", &mut e);
    if let Some(u) = int("responsible_user_id", &mut e) {
        if a.users.iter().all(|x| x.id != u) {
            e.push(FieldError::new(
                "NotSupportedChoice",
                "responsible_user_id",
                "The value you selected is not a valid choice.",
            ));
        }
    }
    let mut source_id = None;
    let mut pipeline_id = int("pipeline_id", &mut e);
    if let Some(ext) = item["_embedded"]["source"].get("external_id") {
        match a.sources.iter().find(|s| {
            s.integration_id == api.integration_id && Some(s.external_id.as_str()) == ext.as_str()
        }) {
            Some(s) => {
                source_id = Some(s.id);
                pipeline_id = pipeline_id.or(Some(s.pipeline_id));
            }
            None => e.push(FieldError::new(
                "NotFound",
                "_embedded.source.external_id",
                "Source not found",
            )),
        }
    }
    let pipeline = match pipeline_id {
        Some(id) => a.pipelines.iter().find(|p| p.id == id).or_else(|| {
            e.push(FieldError::new(
                "NotSupportedChoice",
                "pipeline_id",
                "The value you selected is not a valid choice.",
            ));
            None
        }),
        None => current
            .and_then(|l| a.pipelines.iter().find(|p| p.id == l.pipeline_id))
            .or(Some(a.main_pipeline())),
    };
    let status_id = int("status_id", &mut e);
    if let (Some(s), Some(p)) = (status_id, pipeline) {
        if !status_allowed(p, s) && current.is_none_or(|l| l.status_id != s) {
            e.push(FieldError::new(
                "NotSupportedChoice",
                "status_id",
                "The value you selected is not a valid choice.",
            ));
        }
    }
    let contacts = item["_embedded"].get("contacts").map(|list| {
        let ids: Vec<Option<i64>> = list
            .as_array()
            .map(|l| l.iter().map(|c| c["id"].as_i64()).collect())
            .unwrap_or_default();
        for (i, id) in ids.iter().enumerate() {
            if !id.is_some_and(|id| a.contacts.iter().any(|c| c.id == id)) {
                e.push(FieldError::new(
                    "NotFound",
                    format!("_embedded.contacts.{i}.id"),
                    "Contact not found",
                ));
            }
        }
        ids.into_iter().flatten().collect()
    });
    let company = item["_embedded"].get("companies").map(|list| {
        let first = list.as_array().and_then(|l| l.first());
        let id = first.map(|c| c["id"].as_i64());
        if let Some(id) = id {
            if !id.is_some_and(|id| a.companies.iter().any(|c| c.id == id)) {
                e.push(FieldError::new(
                    "NotFound",
                    "_embedded.companies.0.id",
                    "Company not found",
                ));
            }
        }
        id.flatten()
    });
    let fields = match item.get("custom_fields_values") {
        None | Some(Value::Null) => Default::default(),
        Some(list) => super::custom_fields::read(a, "leads", list).unwrap_or_else(|errs| {
            e.extend(errs);
            Default::default()
        }),
    };
    let tags = super::tags::read(a, "leads", item).unwrap_or_else(|errs| {
        e.extend(errs);
        Default::default()
    });
    let default_status = pipeline
        .filter(|_| current.is_none() || pipeline_id.is_some())
        .map(|p| p.first_status_id);
    if e.is_empty() {
        Ok(Plan {
            pipeline_id: pipeline.map(|p| p.id),
            status_id: status_id.or(default_status),
            source_id,
            contacts,
            company,
            fields,
            tags,
        })
    } else {
        Err(e)
    }
}

/// Applies a plan to lead `idx` of the account, its tags included.
fn apply_at(a: &mut Account, idx: usize, item: &Value, mut plan: Plan, now: i64) {
    let change = std::mem::take(&mut plan.tags);
    apply(&mut a.leads[idx], item, plan, now);
    let mut tags = std::mem::take(&mut a.leads[idx].tag_ids);
    super::tags::apply(a, "leads", change, &mut tags);
    a.leads[idx].tag_ids = tags;
}

fn apply(l: &mut Lead, item: &Value, plan: Plan, now: i64) {
    if let Some(name) = item["name"].as_str() {
        l.name = name.into();
    }
    if let Some(p) = item["price"].as_i64() {
        l.price = p;
    }
    if let Some(u) = item["responsible_user_id"].as_i64() {
        l.responsible_user_id = u;
    }
    if let Some(p) = plan.pipeline_id {
        l.pipeline_id = p;
    }
    if let Some(s) = plan.status_id {
        l.status_id = s;
    }
    if plan.source_id.is_some() {
        l.source_id = plan.source_id;
    }
    if let Some(c) = plan.contacts {
        l.contact_ids = c;
    }
    if let Some(c) = plan.company {
        l.company_id = c;
    }
    plan.fields.store(&mut l.fields);
    l.updated_at = now;
}

pub fn lead_event(
    a: &Account,
    l: &Lead,
    action: &str,
    code: &str,
    old_status: Option<i64>,
    now: i64,
) -> AccountEvent {
    let mut data = json!({"id": l.id, "name": l.name, "status_id": l.status_id, "price": l.price, "responsible_user_id": l.responsible_user_id,
        "last_modified": l.updated_at, "modified_user_id": 0, "created_user_id": 0, "date_create": l.created_at,
        "pipeline_id": l.pipeline_id, "account_id": a.id, "created_at": l.created_at, "updated_at": l.updated_at});
    if let Some(old) = old_status {
        data["old_status_id"] = json!(old);
    }
    event(a, "leads", action, code, data, now)
}

async fn create(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let list = items(&bytes, BATCH_LIMIT)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let plans = all_checked(a, &api, &list, false)?;
    let mut out = vec![];
    let mut events = vec![];
    for (i, (item, plan)) in list.iter().zip(plans).enumerate() {
        let (id, e) = add(a, item, plan, api.now);
        let mut v = link(&api, id);
        v["request_id"] = json!(request_id(item, i));
        out.push(v);
        events.push(e);
    }
    events.into_iter().for_each(|e| world.emit(e));
    Ok(super::batch::answer(&api, "leads", out))
}

/// Creates a checked lead; returns its id and the `add_lead` event.
pub(super) fn add(a: &mut Account, item: &Value, plan: Plan, now: i64) -> (i64, AccountEvent) {
    let id = a.ids.next(crate::ids::Kind::Lead);
    let mut l = Lead::new(id, 0, 0, a.users[0].id, now);
    l.name = String::new();
    a.leads.push(l);
    let idx = a.leads.len() - 1;
    apply_at(a, idx, item, plan, now);
    let l = &mut a.leads[idx];
    if l.name.is_empty() {
        l.name = format!("Lead #{id}");
    }
    let event = lead_event(a, &a.leads[idx], "add", "add_lead", None, now);
    (id, event)
}

fn all_checked(a: &Account, api: &Api, list: &[Value], updating: bool) -> ApiResult<Vec<Plan>> {
    let mut errors = vec![];
    let mut plans = vec![];
    for (i, item) in list.iter().enumerate() {
        let current = item["id"]
            .as_i64()
            .and_then(|id| a.leads.iter().find(|l| l.id == id));
        let result = if updating && current.is_none() {
            Err(vec![FieldError::new("NotFound", "id", "Lead not found")])
        } else {
            check(a, api, item, current)
        };
        match result {
            Ok(p) => plans.push(p),
            Err(e) => errors.push((request_id(item, i), e)),
        }
    }
    if errors.is_empty() {
        Ok(plans)
    } else {
        Err(Problem::validation(errors))
    }
}

fn update(world: &mut crate::domain::World, api: &Api, list: &[Value]) -> ApiResult<Vec<Value>> {
    let a = account_mut_of(world, api)?;
    let plans = all_checked(a, api, list, true)?;
    let mut out = vec![];
    let mut events = vec![];
    for (i, (item, plan)) in list.iter().zip(plans).enumerate() {
        let idx = a
            .leads
            .iter()
            .position(|l| Some(l.id) == item["id"].as_i64())
            .expect("checked");
        let old = a.leads[idx].status_id;
        apply_at(a, idx, item, plan, api.now);
        let l = &a.leads[idx];
        events.push(lead_event(a, l, "update", "update_lead", None, api.now));
        if l.status_id != old {
            events.push(lead_event(
                a,
                l,
                "status",
                "status_lead",
                Some(old),
                api.now,
            ));
        }
        out.push(json!({"id": l.id, "updated_at": l.updated_at, "request_id": request_id(item, i), "_links": links(&api.base, &format!("/api/v4/leads/{}", l.id))}));
    }
    events.into_iter().for_each(|e| world.emit(e));
    Ok(out)
}
