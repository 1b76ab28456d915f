//! Create chat (spec §4.3): idempotent per `conversation_id`; participants are
//! unique per integration-side `user.id`.

use super::error::{AmojoError, Result};
use super::wire::{self, CreateChatRequest, Person};
use super::Reply;
use crate::domain::{Account, Conversation, Participant, ParticipantKind, Scope, World};
use axum::http::StatusCode;
use serde_json::{json, Map, Value};

pub fn parse(body: &[u8]) -> Result<CreateChatRequest> {
    let req: CreateChatRequest = wire::parse(body)?;
    wire::check_source(&req.source)?;
    if req.conversation_id.is_empty() {
        return Err(AmojoError::bad_request(
            "`conversation_id` must be a non-empty string",
        ));
    }
    wire::non_empty(&req.user.id, "user.id")?;
    wire::non_empty(&req.user.name, "user.name")?;
    Ok(req)
}

pub fn create(
    world: &mut World,
    now: i64,
    scope_id: &str,
    req: CreateChatRequest,
) -> Result<Reply> {
    let (scope, account) = world
        .scope_and_account_mut(scope_id)
        .ok_or_else(|| AmojoError::not_registered(scope_id.to_string()))?;
    let participant = client_participant(scope, account, &req.user)?;
    let conv = match scope.conversation_idx_by_client(&req.conversation_id) {
        Some(i) => i,
        None => {
            let id = account.ids.uuid();
            scope.add_conversation(Conversation::new(
                id,
                Some(req.conversation_id.clone()),
                participant.clone(),
                req.source.as_ref().map(|s| s.external_id.clone()),
                now,
            ))
        }
    };
    let p = scope.participant(&participant).expect("participant exists");
    Ok(Reply::Json(
        StatusCode::OK,
        json!({ "id": scope.conversations[conv].id, "user": user_view(p) }),
    ))
}

/// Finds the client by integration id (an existing one is returned as is) or creates it.
pub fn client_participant(
    scope: &mut Scope,
    account: &mut Account,
    person: &Person,
) -> Result<String> {
    let client_id = wire::non_empty(&person.id, "id")?;
    if let Some(i) = scope.participant_idx_by_client(client_id) {
        return Ok(scope.participants[i].id.clone());
    }
    if let Some(ref_id) = person.ref_id.as_deref() {
        // Write first: the client was created in Kommo; bind the integration's id to it.
        let i = scope
            .index
            .participant_by_id
            .get(ref_id)
            .copied()
            .ok_or_else(|| {
                AmojoError::not_found(
                    "PARTICIPANT_NOT_FOUND",
                    format!("no participant with ref_id {ref_id} in this scope"),
                )
            })?;
        scope.bind_participant(i, client_id);
        return Ok(scope.participants[i].id.clone());
    }
    let profile = person.profile.as_ref();
    let p = Participant {
        id: account.ids.uuid(),
        client_id: Some(client_id.to_string()),
        kind: ParticipantKind::Client,
        name: person.name.clone().unwrap_or_default(),
        avatar: person.avatar.clone().unwrap_or_default(),
        phone: profile.and_then(|p| p.phone.clone()),
        email: profile.and_then(|p| p.email.clone()),
        profile_link: person.profile_link.clone(),
    };
    let id = p.id.clone();
    scope.add_participant(p);
    Ok(id)
}

/// A participant as create-chat and history show it: phone and email flattened,
/// left out when unknown. CRM users and the bot carry only `id` and `name` (spec §4.6).
pub fn user_view(p: &Participant) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(p.id));
    let client = p.kind == ParticipantKind::Client;
    if let Some(c) = p.client_id.as_ref().filter(|_| client) {
        m.insert("client_id".into(), json!(c));
    }
    m.insert("name".into(), json!(p.name));
    if client {
        m.insert("avatar".into(), json!(p.avatar));
        if let Some(phone) = &p.phone {
            m.insert("phone".into(), json!(phone));
        }
        if let Some(email) = &p.email {
            m.insert("email".into(), json!(email));
        }
    }
    Value::Object(m)
}
