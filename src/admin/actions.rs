//! HTTP face of the Kommo-side actions: `POST /_sandbox/accounts/{amojo_id}/actions/{action}`,
//! and the webhook attempts they cause: `GET /_sandbox/webhooks`.

use crate::actions::{self, ActionError, Author, OutgoingSpec, TemplateRef, WriteFirst};
use crate::webhooks::AttemptFilter;
use crate::Sandbox;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn router() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/_sandbox/accounts/{amojo_id}/actions/{action}", post(act))
        .route("/_sandbox/webhooks", get(attempts))
}

async fn attempts(
    State(sb): State<Arc<Sandbox>>,
    Query(filter): Query<AttemptFilter>,
) -> Json<Value> {
    Json(json!({ "attempts": sb.webhooks.query(&filter) }))
}

fn refuse(e: ActionError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(json!({"error": e.error, "code": e.code}))).into_response()
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ActionError> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        ActionError::bad(
            "INVALID_BODY",
            format!("{e}; see docs/admin-api.md for this action's fields"),
        )
    })
}

async fn act(
    State(sb): State<Arc<Sandbox>>,
    Path((account, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let result = {
        let mut world = sb.world();
        if world.account(&account).is_none() {
            return refuse(ActionError::not_found(
                "ACCOUNT_NOT_FOUND",
                format!("no account with amojo_id {account}"),
            ));
        }
        let now = sb.clock.now_secs();
        run(&mut world, now, &account, &action, &body)
    };
    sb.flush();
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => refuse(e),
    }
}

fn run(
    world: &mut crate::domain::World,
    now: i64,
    account: &str,
    action: &str,
    body: &[u8],
) -> Result<Value, ActionError> {
    match action {
        "message" => message(world, now, account, parse(body)?),
        "template" => template(world, now, account, parse(body)?),
        "write_first" => write_first(world, now, account, parse(body)?),
        "typing" => {
            let req: Typing = parse(body)?;
            let out = actions::manager_typing(world, now, account, &req.chat_id, req.user_id)?;
            Ok(json!({"ok": true, "sent": out.sent, "expired_at": out.expired_at, "reason": out.reason}))
        }
        "reaction" => reaction(world, now, account, parse(body)?),
        "close_talk" => {
            let req: CloseTalk = parse(body)?;
            let id = actions::close_talk(world, now, account, req.talk_id, req.chat_id.as_deref(), req.force_close.unwrap_or(false))?;
            Ok(json!({"ok": true, "talk_id": id}))
        }
        other => Err(ActionError::not_found(
            "UNKNOWN_ACTION",
            format!("no action {other:?}; actions are message, template, write_first, typing, reaction, close_talk"),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageAction {
    chat_id: String,
    #[serde(default)]
    author: Author,
    user_id: Option<i64>,
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    media: Option<String>,
    file_name: Option<String>,
    file_size: Option<i64>,
    markup: Option<Value>,
    reply_to: Option<String>,
}

fn message(
    world: &mut crate::domain::World,
    now: i64,
    account: &str,
    req: MessageAction,
) -> Result<Value, ActionError> {
    let mut m = json!({"type": req.kind.unwrap_or_else(|| "text".into())});
    for (k, v) in [
        ("text", req.text),
        ("media", req.media),
        ("file_name", req.file_name),
    ] {
        if let Some(v) = v {
            m[k] = json!(v);
        }
    }
    if let Some(size) = req.file_size {
        m["file_size"] = json!(size);
    }
    if let Some(markup) = req.markup {
        m["markup"] = markup;
    }
    let spec = OutgoingSpec {
        chat_id: req.chat_id.clone(),
        author: req.author,
        user_id: req.user_id,
        message: m,
        reply_to: req.reply_to,
        is_template: false,
        silent: false,
    };
    let id = actions::send_outgoing(world, now, account, spec)?;
    Ok(json!({"ok": true, "message_id": id, "chat_id": req.chat_id}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InlineTemplate {
    content: String,
    external_id: Option<String>,
    #[serde(default)]
    buttons: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateAction {
    chat_id: String,
    template_id: Option<i64>,
    template: Option<InlineTemplate>,
    user_id: Option<i64>,
    #[serde(default)]
    author: Author,
}

fn template(
    world: &mut crate::domain::World,
    now: i64,
    account: &str,
    req: TemplateAction,
) -> Result<Value, ActionError> {
    let tpl = match (req.template_id, req.template) {
        (Some(id), None) => TemplateRef::Id(id),
        (None, Some(t)) => TemplateRef::Inline {
            content: t.content,
            external_id: t.external_id,
            buttons: t.buttons,
        },
        _ => {
            return Err(ActionError::bad(
                "TEMPLATE_REQUIRED",
                "give exactly one of `template_id` or `template`",
            ))
        }
    };
    let (id, text) = actions::send_template(
        world,
        now,
        account,
        &req.chat_id,
        tpl,
        req.user_id,
        req.author,
    )?;
    Ok(json!({"ok": true, "message_id": id, "text": text, "chat_id": req.chat_id}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WriteFirstAction {
    phone: String,
    text: String,
    scope_id: Option<String>,
    source_external_id: Option<String>,
    user_id: Option<i64>,
}

fn write_first(
    world: &mut crate::domain::World,
    now: i64,
    account: &str,
    req: WriteFirstAction,
) -> Result<Value, ActionError> {
    let out = actions::write_first(
        world,
        now,
        account,
        WriteFirst {
            phone: req.phone,
            text: req.text,
            scope_id: req.scope_id,
            source_external_id: req.source_external_id,
            user_id: req.user_id,
        },
    )?;
    Ok(
        json!({"ok": true, "chat_id": out.chat_id, "message_id": out.message_id, "receiver_id": out.receiver_id}),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Typing {
    chat_id: String,
    user_id: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReactionAction {
    message_id: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    emoji: Option<String>,
    user_id: Option<i64>,
}

fn reaction(
    world: &mut crate::domain::World,
    now: i64,
    account: &str,
    req: ReactionAction,
) -> Result<Value, ActionError> {
    let emoji = match req.kind.as_deref().unwrap_or("react") {
        "react" => Some(
            req.emoji
                .ok_or_else(|| ActionError::bad("EMOJI_REQUIRED", "a reaction needs `emoji`"))?,
        ),
        "unreact" => None,
        other => {
            return Err(ActionError::bad(
                "INVALID_TYPE",
                format!("type {other:?} must be react or unreact"),
            ))
        }
    };
    actions::manager_reaction(world, now, account, &req.message_id, emoji, req.user_id)?;
    Ok(json!({"ok": true}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseTalk {
    talk_id: Option<i64>,
    chat_id: Option<String>,
    force_close: Option<bool>,
}
