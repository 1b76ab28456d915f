//! Request steps: Kommo-side actions through the admin plane, Chats API calls
//! signed as the integration would sign them, plain HTTP, and the forged webhook.

use super::{reply_from, Reply};
use crate::scenario::context::Ctx;
use crate::scenario::model::{ChatsApiCall, HttpCall};
use crate::signature::{hmac_sha1_hex, sign_request};
use serde_json::{json, Value};
use std::time::Duration;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn action(ctx: &mut Ctx<'_>, name: &str, with: Option<&Value>) -> Result<Reply, String> {
    let body = match with {
        Some(v) => ctx.vars.value(v)?,
        None => json!({}),
    };
    let (url, sent) = if name == "salesbot" {
        // Salesbot runs are started through the API (`POST /api/v2/salesbot/run`), as Kommo's own widgets do.
        (
            format!("{}/api/v2/salesbot/run", ctx.shared.sandbox_url),
            json!([body]),
        )
    } else {
        (
            format!(
                "{}/_sandbox/accounts/{}/actions/{name}",
                ctx.shared.sandbox_url, ctx.amojo_id
            ),
            body.clone(),
        )
    };
    let mut req = ctx
        .shared
        .client
        .post(&url)
        .json(&sent)
        .timeout(REQUEST_TIMEOUT);
    if let Some(token) = ctx
        .vars
        .get("api_token")
        .and_then(|t| t.as_str().map(str::to_string))
    {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.map_err(|e| format!("POST {url}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let reply = reply_from(status, &text);
    ctx.steps_log
        .push(json!({"action": name, "with": body, "status": status, "response": reply.body}));
    Ok(reply)
}

pub async fn chats_api(ctx: &mut Ctx<'_>, call: &ChatsApiCall) -> Result<Reply, String> {
    let raw_path = ctx.vars.text(&call.path)?;
    let path = if raw_path.starts_with('/') {
        raw_path
    } else {
        format!("{}{raw_path}", crate::chats_api::PREFIX)
    };
    let body = match (&call.raw_body, &call.body) {
        (Some(raw), _) => ctx.vars.text(raw)?,
        (None, Some(b)) => ctx.vars.value(b)?.to_string(),
        (None, None) => String::new(),
    };
    let method = call.method.to_ascii_uppercase();
    let date = match &call.date {
        Some(d) => ctx.vars.text(d)?,
        None => crate::clock::format_rfc2822(ctx.shared.sandbox.clock.now_secs()),
    };
    let secret = match &call.secret {
        Some(s) => ctx.vars.text(s)?,
        None => ctx.secret.clone(),
    };
    let url = format!("{}{path}", ctx.shared.sandbox_url);
    let m = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("{method:?} is not an HTTP method"))?;
    let mut req = ctx
        .shared
        .client
        .request(m, &url)
        .timeout(REQUEST_TIMEOUT)
        .body(body.clone());
    if call.sign {
        for (k, v) in sign_request(&secret, &method, &path, body.as_bytes(), &date).pairs() {
            req = req.header(k, v);
        }
    } else {
        req = req.header("Content-Type", "application/json");
    }
    let resp = req
        .send()
        .await
        .map_err(|e| format!("{method} {url}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let reply = reply_from(status, &text);
    ctx.steps_log.push(json!({"chats_api": format!("{method} {path}"), "body": super::parse_body(&body), "status": status, "response": reply.body}));
    Ok(reply)
}

pub async fn http(ctx: &mut Ctx<'_>, call: &HttpCall) -> Result<Reply, String> {
    let url = ctx.vars.text(&call.url)?;
    let body = match (&call.body, &call.json) {
        (Some(b), _) => Some(ctx.vars.text(b)?),
        (None, Some(j)) => Some(ctx.vars.value(j)?.to_string()),
        (None, None) => None,
    };
    let method = match &call.method {
        Some(m) => m.to_ascii_uppercase(),
        None if body.is_some() => "POST".into(),
        None => "GET".into(),
    };
    let m = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("{method:?} is not an HTTP method"))?;
    let timeout = call
        .timeout
        .map(|t| t.duration())
        .unwrap_or(REQUEST_TIMEOUT);
    let mut req = ctx.shared.client.request(m, &url).timeout(timeout);
    if call.json.is_some()
        && !call
            .headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("content-type"))
    {
        req = req.header("Content-Type", "application/json");
    }
    for (k, v) in &call.headers {
        req = req.header(k.as_str(), ctx.vars.text(v)?);
    }
    if let Some(b) = &body {
        req = req.body(b.clone());
    }
    let resp = req
        .send()
        .await
        .map_err(|e| format!("{method} {url}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let reply = reply_from(status, &text);
    let shown_body = body
        .as_deref()
        .map(super::parse_body)
        .unwrap_or(Value::Null);
    ctx.steps_log.push(json!({"http": format!("{method} {url}"), "body": shown_body, "status": status, "response": reply.body}));
    Ok(reply)
}

/// Sends a well-formed message hook signed with the wrong key to the integration;
/// returns the status it answered (a conforming integration refuses it).
pub async fn send_forged_webhook(ctx: &Ctx<'_>) -> Result<u16, String> {
    let Some(url) = &ctx.webhook_url else {
        return Err("no webhook URL".into());
    };
    let now = chrono::Utc::now();
    let body = json!({
        "account_id": ctx.amojo_id,
        "time": now.timestamp(),
        "message": {
            "receiver": {"id": uuid::Uuid::new_v4().to_string(), "phone": "+15550000000", "client_id": "forged-client"},
            "sender": {"id": uuid::Uuid::new_v4().to_string()},
            "conversation": {"id": uuid::Uuid::new_v4().to_string(), "client_id": "forged-chat"},
            "timestamp": now.timestamp(), "msec_timestamp": now.timestamp_millis(),
            "message": {"id": uuid::Uuid::new_v4().to_string(), "type": "text", "text": "forged by kommo-sandbox: this hook must be refused"}
        }
    })
    .to_string();
    let wrong = hmac_sha1_hex("not-the-channel-secret", body.as_bytes());
    let resp = ctx
        .shared
        .client
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Signature", wrong)
        .body(body)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    Ok(resp.status().as_u16())
}
