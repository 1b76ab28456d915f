//! Account setup through the sandbox's own surfaces: a REST v4 token (OAuth
//! code exchange, as the integration would do it), sources through
//! `POST /api/v4/sources`, Salesbots and users through the admin plane.

use super::context::Ctx;
use serde_json::{json, Map, Value};

async fn send(ctx: &Ctx<'_>, req: reqwest::RequestBuilder, what: &str) -> Result<Value, String> {
    let resp = req.send().await.map_err(|e| format!("{what}: {e}"))?;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!("{what} answered {status}: {body}"));
    }
    let _ = ctx;
    Ok(body)
}

/// A bearer token for REST v4, bound to this account and the channel's integration.
async fn api_token(ctx: &Ctx<'_>) -> Result<String, String> {
    let base = &ctx.shared.sandbox_url;
    let code = send(
        ctx,
        ctx.shared
            .client
            .post(format!(
                "{base}/_sandbox/accounts/{}/oauth/code",
                ctx.amojo_id
            ))
            .json(&json!({})),
        "minting an OAuth code",
    )
    .await?;
    let form = json!({
        "client_id": code["client_id"], "client_secret": code["client_secret"], "grant_type": "authorization_code",
        "code": code["code"], "redirect_uri": "http://127.0.0.1/callback",
    });
    let token = send(
        ctx,
        ctx.shared
            .client
            .post(format!("{base}/oauth2/access_token"))
            .json(&form),
        "exchanging the OAuth code",
    )
    .await?;
    token["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("no access_token in {token}"))
}

pub async fn apply(ctx: &mut Ctx<'_>) -> Result<(), String> {
    let setup = ctx.loaded.scenario.setup.clone();
    let needs_token = !setup.sources.is_empty()
        || ctx
            .loaded
            .scenario
            .steps
            .iter()
            .any(|s| s.action.as_deref() == Some("salesbot"))
        || mentions_token(ctx);
    if needs_token {
        let token = api_token(ctx).await?;
        ctx.vars.set("api_token", json!(token));
    }
    let base = ctx.shared.sandbox_url.clone();
    if !setup.sources.is_empty() {
        let body = ctx.vars.value(&Value::Array(setup.sources.clone()))?;
        let token = ctx
            .vars
            .get("api_token")
            .and_then(|t| t.as_str().map(str::to_string))
            .unwrap_or_default();
        let created = send(
            ctx,
            ctx.shared
                .client
                .post(format!("{base}/api/v4/sources"))
                .bearer_auth(token)
                .json(&body),
            "creating sources",
        )
        .await?;
        let by_ext: Map<String, Value> = created["_embedded"]["sources"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                (
                    s["external_id"].as_str().unwrap_or("").to_string(),
                    s["id"].clone(),
                )
            })
            .collect();
        ctx.vars.set("sources", Value::Object(by_ext));
    }
    let mut bots = Map::new();
    for bot in &setup.salesbots {
        let body = ctx.vars.value(bot)?;
        let created = send(
            ctx,
            ctx.shared
                .client
                .post(format!(
                    "{base}/_sandbox/accounts/{}/salesbots",
                    ctx.amojo_id
                ))
                .json(&body),
            "adding a Salesbot",
        )
        .await?;
        bots.insert(
            created["name"].as_str().unwrap_or("").to_string(),
            created["id"].clone(),
        );
    }
    ctx.vars.set("salesbots", Value::Object(bots));
    let mut users = Map::new();
    for user in &setup.users {
        let body = ctx.vars.value(user)?;
        let created = send(
            ctx,
            ctx.shared
                .client
                .post(format!("{base}/_sandbox/accounts/{}/users", ctx.amojo_id))
                .json(&body),
            "adding a user",
        )
        .await?;
        users.insert(
            created["name"].as_str().unwrap_or("").to_string(),
            json!({"id": created["id"], "amojo_id": created["amojo_id"]}),
        );
    }
    ctx.vars.set("users", Value::Object(users));
    Ok(())
}

fn mentions_token(ctx: &Ctx<'_>) -> bool {
    serde_json::to_string(&ctx.loaded.scenario.steps).is_ok_and(|t| t.contains("${api_token}"))
}
