//! `GET /_sandbox/env`: the environment a shell needs to run an integration
//! against the sandbox at Kommo's own hostnames, printed by `kommo-sandbox env`.

use super::{credentials_of, error, Shared};
use crate::front::hosts::DOMAINS;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
pub struct Params {
    /// The account's amojo id or subdomain; default the first account.
    account: Option<String>,
}

pub async fn env(State(sb): Shared, Query(p): Query<Params>) -> Response {
    let world = sb.world();
    let account = match &p.account {
        Some(key) => world
            .accounts
            .iter()
            .find(|a| &a.amojo_id == key || a.subdomain.eq_ignore_ascii_case(key)),
        None => world.accounts.first(),
    };
    let Some(account) = account else {
        return error(
            StatusCode::NOT_FOUND,
            "no such account; GET /_sandbox/accounts lists them",
        );
    };
    let base = sb.base_url();
    let mut vars: Vec<(&str, String)> = vec![];
    if let Some(ca) = sb.ca() {
        let ca = ca.cert_path().display().to_string();
        for key in ["HTTPS_PROXY", "https_proxy"] {
            vars.push((key, base.to_string()));
        }
        for key in ["NO_PROXY", "no_proxy"] {
            vars.push((key, "127.0.0.1,localhost,::1".into()));
        }
        for key in [
            "SSL_CERT_FILE",
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
            "NODE_EXTRA_CA_CERTS",
        ] {
            vars.push((key, ca.clone()));
        }
    }
    let domain = DOMAINS[0];
    let tls = sb.ca().is_some();
    let (amojo, api) = if tls {
        (
            format!("https://amojo.{domain}"),
            format!("https://{}.{domain}", account.subdomain),
        )
    } else {
        (base.to_string(), base.to_string())
    };
    vars.push(("KOMMO_SANDBOX_URL", base.to_string()));
    vars.push(("KOMMO_AMOJO_URL", amojo));
    vars.push(("KOMMO_API_URL", api));
    vars.push(("KOMMO_SUBDOMAIN", account.subdomain.clone()));
    vars.push(("KOMMO_BASE_DOMAIN", domain.to_string()));
    if let Some(c) = credentials_of(&world, account, base).into_iter().next() {
        vars.extend([
            ("KOMMO_ACCESS_TOKEN", c.api_token),
            ("KOMMO_CLIENT_ID", c.client_id),
            ("KOMMO_CLIENT_SECRET", c.client_secret),
            ("KOMMO_CHANNEL_ID", c.channel_id),
            ("KOMMO_CHANNEL_CODE", c.channel_code),
            ("KOMMO_CHANNEL_SECRET", c.secret),
            ("KOMMO_ACCOUNT_ID", c.amojo_account_id.clone()),
            ("KOMMO_ACCOUNT_AMOJO_ID", c.amojo_account_id),
            ("KOMMO_ACCOUNT_NUMBER", c.account_id.to_string()),
            ("KOMMO_SCOPE_ID", c.scope_id),
            ("KOMMO_BOT_ID", c.bot_id),
            ("KOMMO_MANAGER_ID", c.manager_amojo_id),
        ]);
    }
    let variables: Vec<_> = vars.into_iter().map(|(k, v)| json!([k, v])).collect();
    Json(json!({
        "proxy": tls.then(|| base.to_string()),
        "ca_file": sb.ca().map(|ca| ca.cert_path().display().to_string()),
        "tls_port": sb.tls_addr().map(|a| a.port()),
        "variables": variables,
    }))
    .into_response()
}
