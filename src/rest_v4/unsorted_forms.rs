//! `POST /api/v4/leads/unsorted/forms`: a website form becomes an incoming
//! lead (category `forms`), with its lead in the pipeline's "Incoming leads"
//! stage and its contact, both pending until the incoming lead is accepted
//! (spec kommo-rest-v4.md §3.1: only forms and SIP incoming leads can be
//! made through the API). Accept, decline and the lists work as for chats.

use super::hal::{items, ok, request_id};
use super::problem::{ApiResult, FieldError, Problem};
use super::{account_mut_of, contacts, leads, Api, Shared};
use crate::domain::{Account, IncomingLead};
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::Response;
use serde_json::{json, Value};

const BATCH_LIMIT: usize = 250;

/// The one lead or contact of `_embedded.<kind>`, or an empty one.
fn embedded_one(item: &Value, kind: &str) -> Result<Value, FieldError> {
    match &item["_embedded"][kind] {
        Value::Null => Ok(json!({})),
        Value::Array(list) if list.len() <= 1 => Ok(list.first().cloned().unwrap_or(json!({}))),
        _ => Err(FieldError::new(
            "TooMany",
            format!("_embedded.{kind}"),
            "A form brings at most one.",
        )),
    }
}

fn check(a: &Account, api: &Api, item: &Value) -> Result<(), Vec<FieldError>> {
    let mut e = vec![];
    for key in ["source_uid", "source_name"] {
        if item[key].as_str().is_none_or(|v| v.is_empty()) {
            e.push(FieldError::new(
                "NotBlank",
                key,
                "This value should not be blank.",
            ));
        }
    }
    if !item["metadata"].is_object() {
        e.push(FieldError::new(
            "NotBlank",
            "metadata",
            "A form's metadata (form_id, form_name, form_page, ip, form_sent_at) is required.",
        ));
    }
    if let Some(p) = item.get("pipeline_id").filter(|v| !v.is_null()) {
        if !p
            .as_i64()
            .is_some_and(|id| a.pipelines.iter().any(|x| x.id == id))
        {
            e.push(FieldError::new(
                "NotSupportedChoice",
                "pipeline_id",
                "The value you selected is not a valid choice.",
            ));
        }
    }
    let prefixed = |kind: &str, errs: Vec<FieldError>| -> Vec<FieldError> {
        errs.into_iter()
            .map(|mut x| {
                x.path = format!("_embedded.{kind}.0.{}", x.path);
                x
            })
            .collect()
    };
    match embedded_one(item, "leads") {
        Ok(lead) => {
            if let Err(errs) = leads::check(a, api, &lead, None) {
                e.extend(prefixed("leads", errs));
            }
        }
        Err(x) => e.push(x),
    }
    match embedded_one(item, "contacts") {
        Ok(contact) => {
            if let Err(errs) = contacts::check(a, "contacts", &contact) {
                e.extend(prefixed("contacts", errs));
            }
        }
        Err(x) => e.push(x),
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(e)
    }
}

/// Makes the contact, the lead and the incoming lead of one checked form.
fn add(a: &mut Account, api: &Api, item: &Value) -> IncomingLead {
    let contact = embedded_one(item, "contacts").expect("checked");
    let written = contacts::check(a, "contacts", &contact).expect("checked");
    let (contact_id, _) = contacts::add(a, &contact, written, api.now);
    let pipeline = match item["pipeline_id"].as_i64() {
        Some(id) => a
            .pipelines
            .iter()
            .find(|p| p.id == id)
            .expect("checked")
            .clone(),
        None => a.main_pipeline().clone(),
    };
    let mut lead = embedded_one(item, "leads").expect("checked");
    lead["pipeline_id"] = json!(pipeline.id);
    let plan = leads::check(a, api, &lead, None).expect("checked");
    let (lead_id, _) = leads::add(a, &lead, plan, api.now);
    let l = a
        .leads
        .iter_mut()
        .find(|l| l.id == lead_id)
        .expect("just made");
    l.status_id = pipeline.incoming_status_id;
    l.contact_ids = vec![contact_id];
    let created_at = item["created_at"].as_i64().unwrap_or(api.now);
    let incoming = IncomingLead {
        uid: a.ids.hex(40),
        source_uid: item["source_uid"].as_str().expect("checked").to_string(),
        source_name: item["source_name"].as_str().expect("checked").to_string(),
        category: "forms".into(),
        pipeline_id: pipeline.id,
        created_at,
        state: "pending".into(),
        chat_id: String::new(),
        contact_id,
        lead_id,
        client_name: contact["name"].as_str().unwrap_or("").to_string(),
        client_avatar: None,
        service: "forms".into(),
        last_message_text: None,
        form_metadata: Some(item["metadata"].clone()),
    };
    a.incoming_leads.push(incoming.clone());
    incoming
}

pub async fn create(
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
        .filter_map(|(i, item)| check(a, &api, item).err().map(|e| (request_id(item, i), e)))
        .collect();
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let out: Vec<Value> = list
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let u = add(a, &api, item);
            json!({
                "uid": u.uid, "account_id": a.id, "request_id": request_id(item, i),
                "_embedded": {"leads": [leads::link(&api, u.lead_id)], "contacts": [{"id": u.contact_id}], "companies": []},
            })
        })
        .collect();
    Ok(ok(
        json!({"_total_items": out.len(), "_embedded": {"unsorted": out}}),
    ))
}
