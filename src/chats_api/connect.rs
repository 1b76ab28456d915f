//! Connect and disconnect a channel to an account (spec §4.1, §4.2).

use super::error::{AmojoError, Result};
use super::wire::{self, ConnectRequest, DisconnectRequest};
use super::Reply;
use crate::domain::{scope_id, Scope, World};
use axum::http::StatusCode;
use serde_json::json;

pub fn parse_connect(body: &[u8]) -> Result<ConnectRequest> {
    let req: ConnectRequest = wire::parse(body)?;
    let version = req.hook_api_version.as_deref().unwrap_or("v1");
    if version != "v1" && version != "v2" {
        return Err(AmojoError::bad_request(format!(
            "`hook_api_version` {version:?} is not supported; use \"v2\""
        )));
    }
    Ok(req)
}

pub fn connect(
    world: &mut World,
    now: i64,
    channel_id: &str,
    req: ConnectRequest,
) -> Result<Reply> {
    let version = req.hook_api_version.clone().unwrap_or_else(|| "v1".into());
    check_account(world, channel_id, &req.account_id)?;
    let channel_title = world
        .channel(channel_id)
        .map(|c| c.title.clone())
        .unwrap_or_default();
    let id = scope_id(channel_id, &req.account_id);
    if world.scope(&id).is_none() {
        world.scopes.push(Scope::new(
            id.clone(),
            channel_id.to_string(),
            req.account_id.clone(),
        ));
    }
    let scope = world
        .scopes
        .iter_mut()
        .find(|s| s.scope_id == id)
        .expect("just inserted");
    scope.title = req.title.clone().unwrap_or(channel_title);
    scope.hook_api_version = version;
    scope.is_time_window_disabled = req.is_time_window_disabled.unwrap_or(false);
    if !scope.connected {
        scope.connected_at = now;
    }
    scope.connected = true;
    Ok(Reply::Json(
        StatusCode::OK,
        json!({
            "account_id": req.account_id,
            "scope_id": id,
            "title": scope.title,
            "hook_api_version": scope.hook_api_version,
            "is_time_window_disabled": scope.is_time_window_disabled,
        }),
    ))
}

pub fn parse_disconnect(body: &[u8]) -> Result<DisconnectRequest> {
    wire::parse(body)
}

pub fn disconnect(world: &mut World, channel_id: &str, req: DisconnectRequest) -> Result<Reply> {
    check_account(world, channel_id, &req.account_id)?;
    let id = scope_id(channel_id, &req.account_id);
    if let Some(scope) = world.scopes.iter_mut().find(|s| s.scope_id == id) {
        scope.connected = false;
    }
    Ok(Reply::Empty(StatusCode::OK))
}

/// The account must exist and be one the channel may connect to (private channels list theirs).
fn check_account(world: &crate::domain::World, channel_id: &str, account_id: &str) -> Result<()> {
    if uuid::Uuid::parse_str(account_id).is_err() {
        return Err(AmojoError::bad_request(format!("`account_id` {account_id:?} is not a UUID; send the account's amojo_id (GET /api/v4/account?with=amojo_id)")));
    }
    let channel = world.channel(channel_id).ok_or_else(|| {
        AmojoError::not_registered(format!("channel {channel_id} is not registered"))
    })?;
    if world.account(account_id).is_none() {
        return Err(AmojoError::not_found("ACCOUNT_NOT_FOUND", format!("no account with amojo_id {account_id} in this sandbox; add it under `accounts` in the config or POST /_sandbox/accounts")));
    }
    if !channel.may_connect(account_id) {
        return Err(AmojoError::new(StatusCode::FORBIDDEN, "ACCOUNT_NOT_ALLOWED", format!("channel {channel_id} is private and account {account_id} is not among its approved accounts")));
    }
    Ok(())
}
