//! What an integration needs to talk to the sandbox, printed at start and served by the admin plane.

use crate::domain::{scope_id, Account, Channel, World};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Credentials {
    pub amojo_base_url: String,
    pub api_base_url: String,
    pub channel_id: String,
    pub channel_code: String,
    pub secret: String,
    pub account_id: i64,
    pub amojo_account_id: String,
    pub scope_id: String,
    pub connected: bool,
    pub bot_id: String,
    pub bot_name: String,
    pub webhook_url: String,
    pub manager_amojo_id: String,
    /// REST v4: a long-lived token (`Authorization: Bearer ...`) for this account and integration.
    pub api_token: String,
    /// REST v4 OAuth client of the channel's integration.
    pub client_id: String,
    pub client_secret: String,
}

pub fn credentials(
    world: &World,
    account: &Account,
    channel: &Channel,
    base_url: &str,
) -> Credentials {
    let scope = scope_id(&channel.id, &account.amojo_id);
    Credentials {
        amojo_base_url: base_url.to_string(),
        api_base_url: base_url.to_string(),
        channel_id: channel.id.clone(),
        channel_code: channel.code.clone(),
        secret: channel.secret.clone(),
        account_id: account.id,
        amojo_account_id: account.amojo_id.clone(),
        connected: world.scope(&scope).is_some_and(|s| s.connected),
        webhook_url: channel.webhook_url_for(&scope),
        scope_id: scope,
        bot_id: channel.bot.id.clone(),
        bot_name: channel.bot.name.clone(),
        manager_amojo_id: account
            .users
            .first()
            .map(|u| u.amojo_id.clone())
            .unwrap_or_default(),
        api_token: world
            .auth
            .long_lived(&channel.integration_id, &account.amojo_id)
            .map(|t| t.access_token.clone())
            .unwrap_or_default(),
        client_id: channel.integration_id.clone(),
        client_secret: world
            .auth
            .integration(&channel.integration_id)
            .map(|i| i.client_secret.clone())
            .unwrap_or_default(),
    }
}

/// Credentials for every channel the account may connect, in channel order.
pub fn credentials_of(world: &World, account: &Account, base_url: &str) -> Vec<Credentials> {
    world
        .channels
        .iter()
        .filter(|c| c.may_connect(&account.amojo_id))
        .map(|c| credentials(world, account, c, base_url))
        .collect()
}
