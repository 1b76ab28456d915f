//! Builds the world from the config, filling every gap with a sensible,
//! seeded default so `kommo-sandbox serve` is ready with no arguments.

use super::*;
use crate::config::{self, AccountConfig, ChannelConfig};
use crate::ids::{derive_seed, Ids, Kind};
use fake::faker::internet::en::SafeEmail;
use fake::faker::name::en::{FirstName, LastName};
use fake::Fake;

pub const DEFAULT_WEBHOOK_URL: &str = "http://127.0.0.1:9000/kommo/:scope_id";

pub fn build(config: &Config) -> World {
    let mut world = World {
        seed: config.seed,
        accounts: vec![],
        channels: vec![],
        scopes: vec![],
        outbox: vec![],
        auth: auth::Auth::new(config.seed),
        rate_limits: Default::default(),
        hook_retries: vec![],
        sequences: Default::default(),
        generation: 0,
    };
    let channels: Vec<ChannelConfig> = if config.channels.is_empty() {
        vec![ChannelConfig::default()]
    } else {
        config.channels.clone()
    };
    for (i, c) in channels.iter().enumerate() {
        let channel = channel_from(config.seed, i, c);
        world.channels.push(channel);
    }
    let accounts: Vec<AccountConfig> = if config.accounts.is_empty() {
        vec![AccountConfig::default()]
    } else {
        config.accounts.clone()
    };
    let owner = world.channels[0].integration_id.clone();
    for (i, a) in accounts.iter().enumerate() {
        let account = account_from(&world, config.seed, i, a, &owner);
        world.accounts.push(account);
    }
    ensure_api_access(&mut world);
    world
}

/// Every account gets a long-lived REST v4 token per integration that may connect.
pub fn ensure_api_access(world: &mut World) {
    let pairs: Vec<(String, auth::Subject)> = world
        .accounts
        .iter()
        .flat_map(|a| {
            world
                .channels
                .iter()
                .filter(|c| c.may_connect(&a.amojo_id))
                .map(|c| (c.integration_id.clone(), auth::Subject::of(a)))
        })
        .collect();
    for (integration, account) in pairs {
        world.auth.ensure_defaults(&integration, &account);
    }
}

fn channel_from(seed: u64, index: usize, c: &ChannelConfig) -> Channel {
    let mut ids = Ids::new(derive_seed(seed, &format!("channel-{index}")), 1);
    let first = index == 0;
    let id = c.id.as_ref().map(|u| u.0.clone()).unwrap_or_else(|| {
        if first {
            config::DEMO_CHANNEL_ID.into()
        } else {
            ids.uuid()
        }
    });
    let secret = c.secret.as_ref().map(|s| s.0.clone()).unwrap_or_else(|| {
        if first {
            config::DEMO_SECRET.into()
        } else {
            ids.hex(40)
        }
    });
    let bot = c.bot.clone().unwrap_or_default();
    Channel {
        code: c.code.clone().unwrap_or_else(|| {
            format!(
                "amo.ext.sandbox{}",
                if first {
                    String::new()
                } else {
                    index.to_string()
                }
            )
        }),
        secret,
        title: c.title.clone().unwrap_or_else(|| "Sandbox channel".into()),
        webhook_url: c
            .webhook_url
            .as_ref()
            .map(|w| w.0.clone())
            .unwrap_or_else(|| DEFAULT_WEBHOOK_URL.into()),
        bot: Bot {
            id: bot.id.map(|u| u.0).unwrap_or_else(|| ids.uuid()),
            client_id: bot.client_id.unwrap_or_else(|| "sandbox-bot".into()),
            name: bot.name.unwrap_or_else(|| "Sandbox bot".into()),
        },
        integration_id: c
            .integration_id
            .as_ref()
            .map(|u| u.0.clone())
            .unwrap_or_else(|| ids.uuid()),
        features: Features {
            write_first: c.features.write_first,
            time_window: c.features.time_window,
            block_after_window: c.features.block_after_window,
            typing_hooks: c.features.typing_hooks,
            reactions: c.features.reactions.clone(),
        },
        accounts: c.accounts.iter().map(|u| u.0.clone()).collect(),
        id,
    }
}

fn account_from(world: &World, seed: u64, index: usize, a: &AccountConfig, owner: &str) -> Account {
    let amojo_id = a.amojo_id.as_ref().map(|u| u.0.clone()).unwrap_or_else(|| {
        if index == 0 {
            config::DEMO_ACCOUNT_AMOJO_ID.into()
        } else {
            Ids::new(derive_seed(seed, &format!("account-{index}")), 0).uuid()
        }
    });
    let id = a.id.unwrap_or(30_000_001 + index as i64);
    let mut ids = Ids::shared(derive_seed(seed, &amojo_id), world.sequences.clone());
    let users = users_from(&mut ids, a);
    let uuid = Ids::new(derive_seed(seed, &format!("uuid-{amojo_id}")), 0).uuid();
    let custom_fields = super::fields::build(&mut ids, &a.custom_fields);
    let pipelines = pipelines_from(a);
    let main = pipelines
        .iter()
        .find(|p| p.is_main)
        .unwrap_or(&pipelines[0])
        .id;
    let sources = a
        .sources
        .iter()
        .map(|s| Source {
            id: s.id.unwrap_or_else(|| ids.next(Kind::Source)),
            name: s.name.clone().unwrap_or_else(|| s.external_id.clone()),
            external_id: s.external_id.clone(),
            pipeline_id: s.pipeline_id.unwrap_or(main),
            default: s.default,
            origin_code: None,
            services: serde_json::json!([]),
            integration_id: s
                .channel
                .as_ref()
                .and_then(|c| world.channel(&c.0))
                .map(|c| c.integration_id.clone())
                .unwrap_or_else(|| owner.to_string()),
        })
        .collect();
    Account {
        id,
        name: a.name.clone().unwrap_or_else(|| "Sandbox account".into()),
        subdomain: a.subdomain.clone().unwrap_or_else(|| {
            if index == 0 {
                "sandbox".into()
            } else {
                format!("sandbox{index}")
            }
        }),
        amojo_id,
        uuid,
        // Accounts were made a day apart, the first on 2020-01-01.
        created_at: 1_577_836_800 + 86_400 * index as i64,
        users,
        pipelines,
        sources,
        contacts: vec![],
        companies: vec![],
        tags: vec![],
        notes: vec![],
        tasks: vec![],
        custom_fields,
        leads: vec![],
        incoming_leads: vec![],
        talks: vec![],
        notifications: Default::default(),
        events: Default::default(),
        templates: vec![],
        salesbots: a
            .salesbots
            .iter()
            .enumerate()
            .map(|(i, b)| Salesbot {
                id: b.id.unwrap_or(1 + i as i64),
                name: b.name.clone(),
                steps: b.steps.clone(),
            })
            .collect(),
        webhooks: vec![],
        chat_links: vec![],
        bot_runs: vec![],
        browser: Default::default(),
        ids,
    }
}

fn users_from(ids: &mut Ids, a: &AccountConfig) -> Vec<User> {
    let configured = if a.users.is_empty() {
        vec![Default::default()]
    } else {
        a.users.clone()
    };
    configured
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let first: String = FirstName().fake_with_rng(ids.rng());
            let last: String = LastName().fake_with_rng(ids.rng());
            let email: String = SafeEmail().fake_with_rng(ids.rng());
            User {
                id: u.id.unwrap_or(5_000_001 + i as i64),
                name: u.name.clone().unwrap_or(format!("{first} {last}")),
                email: u.email.clone().unwrap_or(email),
                amojo_id: u
                    .amojo_id
                    .as_ref()
                    .map(|x| x.0.clone())
                    .unwrap_or_else(|| ids.uuid()),
                is_admin: u.is_admin.unwrap_or(i == 0),
                online: u.online.unwrap_or(true),
            }
        })
        .collect()
}

fn pipelines_from(a: &AccountConfig) -> Vec<Pipeline> {
    let configured = if a.pipelines.is_empty() {
        vec![Default::default()]
    } else {
        a.pipelines.clone()
    };
    let any_main = configured.iter().any(|p| p.is_main == Some(true));
    configured
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let id = p.id.unwrap_or(7_001 + i as i64);
            Pipeline {
                id,
                name: p.name.clone().unwrap_or_else(|| {
                    if i == 0 {
                        "Sales".into()
                    } else {
                        format!("Pipeline {}", i + 1)
                    }
                }),
                is_main: p.is_main.unwrap_or(!any_main && i == 0),
                incoming_status_id: id * 10 + 1,
                first_status_id: id * 10 + 2,
            }
        })
        .collect()
}

/// A fresh account and channel that share nothing with the rest of the world,
/// so parallel tests never see each other's state.
pub fn isolated(world: &mut World, label: &str, webhook_url: Option<String>) -> (String, String) {
    let n = world.accounts.len();
    let mut ids = Ids::new(derive_seed(world.seed, &format!("isolated-{label}-{n}")), 0);
    let channel_cfg = ChannelConfig {
        id: Some(config::Uuid(ids.uuid())),
        secret: Some(config::Secret(ids.hex(40))),
        webhook_url: webhook_url.map(config::WebhookUrl),
        code: Some(format!("amo.ext.{}", ids.hex(8))),
        ..Default::default()
    };
    let mut channel = channel_from(world.seed, world.channels.len(), &channel_cfg);
    let account_cfg = AccountConfig {
        amojo_id: Some(config::Uuid(ids.uuid())),
        id: Some(30_000_001 + n as i64),
        subdomain: Some(format!("sandbox{n}")),
        ..Default::default()
    };
    let account = account_from(world, world.seed, n, &account_cfg, &channel.integration_id);
    channel.accounts = vec![account.amojo_id.clone()];
    let out = (account.amojo_id.clone(), channel.id.clone());
    world.channels.push(channel);
    world.accounts.push(account);
    ensure_api_access(world);
    out
}
