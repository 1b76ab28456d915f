//! Delivery status (spec §4.5): 1 delivered, 2 read, -1 error with codes 901-905.

use super::error::{AmojoError, Result};
use super::wire::{self, DeliveryStatusRequest};
use super::Reply;
use crate::domain::{StatusChange, World};
use axum::http::StatusCode;

pub const ERROR_CODES: [(i64, &str); 5] = [
    (901, "the recipient deleted the conversation or message"),
    (902, "integration disabled on the channel side"),
    (903, "internal server error"),
    (904, "conversation cannot be created"),
    (905, "other error (text required)"),
];

pub fn parse(body: &[u8], path_msgid: &str) -> Result<DeliveryStatusRequest> {
    let req: DeliveryStatusRequest = wire::parse(body)?;
    if req.msgid != path_msgid {
        return Err(AmojoError::bad_request(format!(
            "`msgid` {:?} must equal the message id in the path ({path_msgid})",
            req.msgid
        )));
    }
    if req.delivery_status.or(req.status_code).is_none() {
        return Err(AmojoError::bad_request(
            "`delivery_status` is required: 1 delivered, 2 read, -1 error",
        ));
    }
    Ok(req)
}

pub fn update(
    world: &mut World,
    now: i64,
    scope_id: &str,
    path_msgid: &str,
    req: DeliveryStatusRequest,
) -> Result<Reply> {
    let code = req
        .delivery_status
        .or(req.status_code)
        .expect("checked in parse");
    let (scope, _) = world
        .scope_and_account_mut(scope_id)
        .ok_or_else(|| AmojoError::not_registered(scope_id.to_string()))?;
    let i = scope.message_idx(path_msgid).ok_or_else(|| {
        let hint = match scope.message_idx_by_client(path_msgid) {
            Some(_) => " (that is your msgid; use the sandbox message id from the webhook's message.message.id)",
            None => "",
        };
        AmojoError::not_found("MESSAGE_NOT_FOUND", format!("message {path_msgid} does not exist{hint}"))
    })?;
    let change = status_change(code, req.error_code, req.error, now)?;
    scope.messages[i].statuses.push(change);
    Ok(Reply::Empty(StatusCode::OK))
}

/// Validates a status report and returns the entry for the message's history;
/// nothing is changed here, so a refused report leaves the message as it was.
pub fn status_change(
    code: i64,
    error_code: Option<i64>,
    error: Option<String>,
    now: i64,
) -> Result<StatusChange> {
    let status = match code {
        1 => "delivered",
        2 => "read",
        -1 => "error",
        other => {
            return Err(AmojoError::bad_request(format!(
                "`delivery_status` {other} is not one of 1 (delivered), 2 (read), -1 (error)"
            )))
        }
    };
    if code == -1 {
        let ec = error_code.ok_or_else(|| {
            AmojoError::bad_request("`error_code` (901-905) is required with delivery_status -1")
        })?;
        if !ERROR_CODES.iter().any(|(c, _)| *c == ec) {
            return Err(AmojoError::bad_request(format!(
                "`error_code` {ec} is not one of 901, 902, 903, 904, 905"
            )));
        }
        if ec == 905 && error.as_deref().is_none_or(str::is_empty) {
            return Err(AmojoError::bad_request(
                "`error` text is required with error_code 905; it is shown to the user",
            ));
        }
    }
    let is_error = code == -1;
    Ok(StatusChange {
        status: status.into(),
        error_code: if is_error { error_code } else { None },
        error: if is_error { error } else { None },
        at: now,
    })
}
