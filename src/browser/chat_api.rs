//! The website chat as its pages see it: sessions, the visitor's messages,
//! replies, read marks, setMeta, key-action hooks, the bot, and web1on1 commands.

use super::bot::{self, BotConfig};
use super::{error, no_account, resolve_account, web1on1};
use crate::domain::online_chat::{self as oc, KeyActionHook};
use crate::domain::{Direction, World};
use crate::Sandbox;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub(super) type Shared = State<Arc<Sandbox>>;

pub fn router() -> Router<Arc<Sandbox>> {
    let base = "/_sandbox/accounts/{acc}/online_chat";
    Router::new()
        .route(base, get(state))
        .route(&format!("{base}/button"), get(button).post(set_button))
        .route(&format!("{base}/bot"), post(set_bot))
        .route(&format!("{base}/session"), post(session))
        .route(&format!("{base}/meta"), post(set_meta))
        .route(
            &format!("{base}/messages"),
            get(messages).post(visitor_message),
        )
        .route(&format!("{base}/read"), post(read))
        .route(&format!("{base}/key_action"), post(key_action))
        .route(&format!("{base}/reply"), post(reply))
        .merge(super::site::router())
}

async fn state(State(sb): Shared, Path(acc): Path<String>) -> Response {
    let world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    Json(json!(
        world.account(&id).expect("resolved").browser.online_chat
    ))
    .into_response()
}

/// The button's settings in the CRM; `crmPluginConfig` overrides colour and look per page.
pub(super) fn button_settings(stored: &Value) -> Value {
    let mut out = json!({
        "color": "#1ea3ea",
        "title": "Website chat",
        "multi_conversations": false,
        "services": [
            {"code": "online_chat", "link": "#online_chat"},
            {"code": "telegram", "link": "https://t.me/sandbox_bot"},
            {"code": "whatsapp", "link": "https://wa.me/15550100"}
        ]
    });
    if let (Some(o), Some(s)) = (out.as_object_mut(), stored.as_object()) {
        o.extend(s.clone());
    }
    out
}

async fn button(State(sb): Shared, Path(acc): Path<String>) -> Response {
    let world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    Json(button_settings(
        &world
            .account(&id)
            .expect("resolved")
            .browser
            .online_chat
            .button,
    ))
    .into_response()
}

async fn set_button(
    State(sb): Shared,
    Path(acc): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if !body.is_object() {
        return error(
            StatusCode::BAD_REQUEST,
            "send an object: {color?, title?, multi_conversations?, services?: [{code, link}]}",
        );
    }
    let mut world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    world
        .account_mut(&id)
        .expect("resolved")
        .browser
        .online_chat
        .button = body.clone();
    Json(button_settings(&body)).into_response()
}

async fn set_bot(State(sb): Shared, Path(acc): Path<String>, body: axum::body::Bytes) -> Response {
    let config: BotConfig = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "{e}; send {{welcome?, branches: [{{conditions, say}}], else?, key_actions?}}"
                ),
            )
        }
    };
    if let Err(e) = config.validate() {
        return error(StatusCode::BAD_REQUEST, e);
    }
    let mut world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    world
        .account_mut(&id)
        .expect("resolved")
        .browser
        .online_chat
        .bot = Some(json!(config));
    Json(json!({"ok": true})).into_response()
}

#[derive(Deserialize)]
pub(super) struct SessionBody {
    visitor: String,
    #[serde(default = "button_widget")]
    widget: String,
    name: Option<String>,
    /// `setMeta` payloads made so far.
    #[serde(default)]
    meta: Vec<Value>,
    /// The chat window is being shown: the bot greets once per conversation.
    #[serde(default)]
    open: bool,
}

fn button_widget() -> String {
    "button".into()
}

pub(super) async fn session(
    State(sb): Shared,
    Path(acc): Path<String>,
    Json(body): Json<SessionBody>,
) -> Response {
    let now = sb.clock.now_ms();
    let mut world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    let name = body
        .name
        .clone()
        .unwrap_or_else(|| visitor_name(&body.visitor));
    let Some((scope_id, conv)) = oc::conversation_for(
        &mut world,
        &id,
        &body.visitor,
        &body.widget,
        &name,
        now / 1000,
    ) else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot open the website chat scope",
        );
    };
    let conv_id = world.scope(&scope_id).expect("exists").conversations[conv]
        .id
        .clone();
    add_meta(&mut world, &id, &conv_id, &body.meta);
    oc::apply_site_meta(&mut world, &scope_id, conv);
    let run = if body.open {
        start_bot(&mut world, &id, &scope_id, conv, &conv_id, None, now)
    } else {
        Ok(None)
    };
    match run {
        Ok(run) => Json(json!({"conversation_id": conv_id, "scope_id": scope_id, "bot_run": run}))
            .into_response(),
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, e),
    }
}

/// A short readable name for an anonymous visitor (`Visitor 3f2a`).
fn visitor_name(visitor: &str) -> String {
    let tail: String = visitor
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("Visitor {tail}")
}

fn add_meta(world: &mut World, acc: &str, conv_id: &str, payloads: &[Value]) {
    let Some(meta) = oc::meta_mut(world, acc, conv_id) else {
        return;
    };
    for p in payloads {
        if meta.meta.contains(p) {
            continue;
        }
        meta.meta.push(p.clone());
        if let Some(params) = p.get("bot_params").and_then(Value::as_object) {
            meta.bot_params.extend(params.clone());
        }
    }
}

/// Runs the start flow (once per conversation) or a key action's flow; the bot's texts go to the visitor.
fn start_bot(
    world: &mut World,
    acc: &str,
    scope_id: &str,
    conv: usize,
    conv_id: &str,
    hook: Option<&str>,
    now: i64,
) -> Result<Option<Value>, String> {
    let Some(config) = world
        .account(acc)
        .and_then(|a| a.browser.online_chat.bot.clone())
    else {
        return Ok(None);
    };
    let config: BotConfig = serde_json::from_value(config).map_err(|e| e.to_string())?;
    let meta = oc::meta_mut(world, acc, conv_id).expect("conversation has meta");
    let (flow, name) = match hook {
        None if !meta.bot_runs.is_empty() => return Ok(None),
        None => (config.start, "start".to_string()),
        Some(h) => match config.key_actions.get(h) {
            Some(f) => (f.clone(), format!("key_action:{h}")),
            None => return Ok(None),
        },
    };
    let run = bot::run(&flow, &meta.bot_params, &name)?;
    meta.bot_runs.push(run.clone());
    for text in run["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        oc::reply(world, scope_id, conv, None, text, now);
    }
    Ok(Some(run))
}

#[derive(Deserialize)]
pub(super) struct MetaBody {
    visitor: String,
    meta: Value,
}

pub(super) async fn set_meta(
    State(sb): Shared,
    Path(acc): Path<String>,
    Json(body): Json<MetaBody>,
) -> Response {
    with_chat(
        &sb,
        &acc,
        &body.visitor,
        |world, id, scope_id, conv, conv_id| {
            add_meta(world, id, conv_id, std::slice::from_ref(&body.meta));
            oc::apply_site_meta(world, scope_id, conv);
            Ok(json!({"ok": true}))
        },
    )
}

/// Runs `f` on the visitor's existing conversation.
fn with_chat(
    sb: &Sandbox,
    acc: &str,
    visitor: &str,
    f: impl FnOnce(&mut World, &str, &str, usize, &str) -> Result<Value, (StatusCode, String)>,
) -> Response {
    let mut world = sb.world();
    let Some(id) = resolve_account(&world, acc) else {
        return no_account(acc);
    };
    let scope_id = world
        .account(&id)
        .and_then(|a| a.browser.online_chat.scope_id.clone());
    let found = scope_id
        .as_ref()
        .and_then(|s| world.scope(s))
        .and_then(|s| {
            s.conversation_idx_by_client(visitor)
                .map(|i| (s.scope_id.clone(), i, s.conversations[i].id.clone()))
        });
    let Some((scope_id, conv, conv_id)) = found else {
        return error(
            StatusCode::NOT_FOUND,
            format!("visitor {visitor:?} has no conversation; POST .../online_chat/session first"),
        );
    };
    match f(&mut world, &id, &scope_id, conv, &conv_id) {
        Ok(v) => Json(v).into_response(),
        Err((status, e)) => error(status, e),
    }
}

#[derive(Deserialize)]
pub(super) struct VisitorQuery {
    visitor: String,
}

/// The conversation as the visitor sees it: `is_out` = sent by the visitor.
pub(super) async fn messages(
    State(sb): Shared,
    Path(acc): Path<String>,
    Query(q): Query<VisitorQuery>,
) -> Response {
    with_chat(
        &sb,
        &acc,
        &q.visitor,
        |world, id, scope_id, conv, conv_id| Ok(view(world, id, scope_id, conv, conv_id)),
    )
}

fn view(world: &World, acc: &str, scope_id: &str, conv: usize, conv_id: &str) -> Value {
    let scope = world.scope(scope_id).expect("exists");
    let account = world.account(acc).expect("exists");
    let meta = account
        .browser
        .online_chat
        .chats
        .iter()
        .find(|c| c.conversation_id == conv_id);
    let talk = scope.conversations[conv]
        .talk_id
        .and_then(|t| account.talks.iter().find(|x| x.talk_id == t));
    let mut answered = false;
    let mut out: Vec<Value> = vec![];
    for m in scope
        .messages
        .iter()
        .filter(|m| m.conversation_id == conv_id)
        .rev()
    {
        let is_out = m.direction == Direction::Incoming;
        let author = scope.participant(&m.sender_id).map(|p| p.name.clone());
        let status = if is_out {
            if answered || talk.is_some_and(|t| t.is_read) {
                "read"
            } else {
                "sent"
            }
        } else {
            m.current_status()
                .map(|s| s.status.as_str())
                .unwrap_or("sent")
        };
        answered |= !is_out;
        out.push(json!({"id": m.id, "text": m.message["text"], "type": "text", "is_out": is_out, "created_at": m.msec_timestamp, "author": if is_out { Value::Null } else { json!({"name": author}) }, "status": status}));
    }
    out.reverse();
    let unread = out
        .iter()
        .filter(|m| m["is_out"] == json!(false) && m["status"] != json!("read"))
        .count();
    json!({
        "conversation_id": conv_id,
        "name": format!("A{}", conv + 1),
        "is_closed": talk.is_some_and(|t| t.closed),
        "messages": out,
        "unread": unread,
        "meta": meta,
    })
}

#[derive(Deserialize)]
pub(super) struct TextBody {
    visitor: String,
    text: String,
}

pub(super) async fn visitor_message(
    State(sb): Shared,
    Path(acc): Path<String>,
    Json(body): Json<TextBody>,
) -> Response {
    let now = sb.clock.now_ms();
    with_chat(
        &sb,
        &acc,
        &body.visitor,
        |world, id, scope_id, conv, conv_id| {
            if let Some(parsed) = web1on1::parse(&body.text) {
                return command(world, id, conv_id, &body.text, parsed);
            }
            let message_id =
                oc::visitor_message(world, scope_id, conv, &body.text, now).ok_or((
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "message not stored".to_string(),
                ))?;
            Ok(json!({"ok": true, "message_id": message_id}))
        },
    )
}

/// A web1on1 `>cs` command: applied to the conversation, or reported (400) when malformed.
fn command(
    world: &mut World,
    acc: &str,
    conv_id: &str,
    text: &str,
    parsed: Result<web1on1::Command, String>,
) -> Result<Value, (StatusCode, String)> {
    let meta = oc::meta_mut(world, acc, conv_id)
        .ok_or((StatusCode::NOT_FOUND, "no conversation meta".to_string()))?;
    match parsed {
        Ok(c) => {
            web1on1::apply(meta, &c);
            Ok(json!({"ok": true, "command": c}))
        }
        Err(e) => {
            meta.command_errors
                .push(json!({"message": text, "error": e}));
            Err((StatusCode::BAD_REQUEST, format!("{text:?}: {e}")))
        }
    }
}

pub(super) async fn read(
    State(sb): Shared,
    Path(acc): Path<String>,
    Json(body): Json<VisitorQuery>,
) -> Response {
    let now = sb.clock.now_secs();
    with_chat(
        &sb,
        &acc,
        &body.visitor,
        |world, _id, scope_id, _conv, conv_id| {
            Ok(json!({"read": oc::mark_read(world, scope_id, conv_id, now)}))
        },
    )
}

#[derive(Deserialize)]
pub(super) struct HookBody {
    visitor: String,
    hook: String,
}

pub(super) async fn key_action(
    State(sb): Shared,
    Path(acc): Path<String>,
    Json(body): Json<HookBody>,
) -> Response {
    let now = sb.clock.now_ms();
    with_chat(
        &sb,
        &acc,
        &body.visitor,
        |world, id, scope_id, conv, conv_id| {
            let run = start_bot(world, id, scope_id, conv, conv_id, Some(&body.hook), now)
                .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e))?;
            let hook = KeyActionHook {
                hook: body.hook.clone(),
                conversation_id: Some(conv_id.into()),
                visitor: body.visitor.clone(),
                at: now / 1000,
                started_bot: run.is_some(),
            };
            world
                .account_mut(id)
                .expect("resolved")
                .browser
                .online_chat
                .key_action_hooks
                .push(hook);
            Ok(json!({"ok": true, "bot_run": run}))
        },
    )
}

#[derive(Deserialize)]
struct ReplyBody {
    visitor: String,
    text: String,
    /// A Kommo user id; absent = the bot.
    user_id: Option<i64>,
}

/// A manager (or the bot) answers the visitor; the page picks it up on its next poll.
async fn reply(
    State(sb): Shared,
    Path(acc): Path<String>,
    Json(body): Json<ReplyBody>,
) -> Response {
    let now = sb.clock.now_ms();
    with_chat(
        &sb,
        &acc,
        &body.visitor,
        |world, _id, scope_id, conv, _conv_id| {
            let id = oc::reply(world, scope_id, conv, body.user_id, &body.text, now).ok_or((
                StatusCode::NOT_FOUND,
                format!("no user {:?} in this account", body.user_id),
            ))?;
            Ok(json!({"ok": true, "message_id": id}))
        },
    )
}
