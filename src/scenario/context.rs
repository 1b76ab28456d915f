//! What one scenario run holds: its isolated account and credentials, its
//! variables, the integration process, and the transcript being written.

use super::fake::person;
use super::load::Loaded;
use super::model::Integration;
use super::process::{free_port, Process};
use super::runner::Shared;
use super::vars::Vars;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub struct Ctx<'a> {
    pub shared: &'a Shared,
    pub loaded: &'a Loaded,
    pub vars: Vars,
    pub creds: Value,
    pub amojo_id: String,
    pub scope_id: String,
    pub secret: String,
    pub channel_id: String,
    pub integration_url: Option<String>,
    pub webhook_url: Option<String>,
    pub stub_key: String,
    pub process: Option<Process>,
    /// What the steps did, in order (the first part of the transcript).
    pub steps_log: Vec<Value>,
}

impl<'a> Ctx<'a> {
    /// Creates the isolated account and the variables; does not start anything yet.
    pub async fn new(
        shared: &'a Shared,
        loaded: &'a Loaded,
        index: usize,
    ) -> Result<Ctx<'a>, String> {
        let s = &loaded.scenario;
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let integration_url = s
            .integration
            .as_ref()
            .map(|i| integration_base(i, port, shared));
        let webhook_url = s
            .integration
            .as_ref()
            .zip(integration_url.as_ref())
            .map(|(i, u)| format!("{u}{}", i.webhook_path));
        let creds = create_account(shared, &loaded.name, webhook_url.as_deref()).await?;
        let field = |k: &str| creds[k].as_str().unwrap_or_default().to_string();
        let stub_key = format!("s{index}");
        let mut ctx = Ctx {
            shared,
            loaded,
            vars: Vars::default(),
            amojo_id: field("amojo_account_id"),
            scope_id: field("scope_id"),
            secret: field("secret"),
            channel_id: field("channel_id"),
            webhook_url: webhook_url.map(|w| w.replace(":scope_id", &field("scope_id"))),
            integration_url,
            creds,
            stub_key,
            process: None,
            steps_log: vec![],
        };
        ctx.init_vars(port);
        Ok(ctx)
    }

    fn init_vars(&mut self, port: u16) {
        let s = &self.loaded.scenario;
        let c = &self.creds;
        let v = &mut self.vars;
        v.set("sandbox_url", json!(self.shared.sandbox_url));
        v.set("amojo_url", json!(self.shared.sandbox_url));
        for (var, key) in [
            ("channel_id", "channel_id"),
            ("channel_code", "channel_code"),
            ("secret", "secret"),
            ("scope_id", "scope_id"),
            ("bot_id", "bot_id"),
            ("manager_id", "manager_amojo_id"),
            ("amojo_account_id", "amojo_account_id"),
        ] {
            v.set(var, c[key].clone());
        }
        v.set("account_id", c["amojo_account_id"].clone());
        v.set("account_number", c["account_id"].clone());
        v.set("integration_url", json!(self.integration_url));
        v.set("webhook_url", json!(self.webhook_url));
        v.set("port", json!(port));
        v.set("scenario", json!(self.loaded.name));
        let seed = s.seed.unwrap_or_else(|| fnv(&self.loaded.name));
        v.set("seed", json!(seed));
        for (i, name) in s.setup.people.iter().enumerate() {
            v.set(name, person(seed.wrapping_add(i as u64)));
        }
        v.set("templates", json!(s.setup.templates));
        let urls = self.shared.stubs.register(&self.stub_key, &s.stubs);
        v.set("stubs", json!(urls));
        for (k, val) in &s.vars {
            v.set(k, val.clone());
        }
    }

    /// Environment of the integration process: sandbox URLs, credentials, PORT, then `env:`.
    pub fn process_env(
        &mut self,
        integration: &Integration,
    ) -> Result<BTreeMap<String, String>, String> {
        let c = &self.creds;
        let s = |k: &str| {
            c[k].as_str()
                .map(str::to_string)
                .unwrap_or_else(|| c[k].to_string())
        };
        let mut env: BTreeMap<String, String> = [
            ("KOMMO_AMOJO_URL", self.shared.sandbox_url.clone()),
            ("KOMMO_API_URL", self.shared.sandbox_url.clone()),
            ("KOMMO_CHANNEL_ID", s("channel_id")),
            ("KOMMO_CHANNEL_CODE", s("channel_code")),
            ("KOMMO_CHANNEL_SECRET", s("secret")),
            ("KOMMO_ACCOUNT_ID", s("amojo_account_id")),
            ("KOMMO_ACCOUNT_NUMBER", s("account_id")),
            ("KOMMO_SCOPE_ID", s("scope_id")),
            ("KOMMO_BOT_ID", s("bot_id")),
            ("KOMMO_BOT_NAME", s("bot_name")),
            ("KOMMO_MANAGER_ID", s("manager_amojo_id")),
            (
                "KOMMO_WEBHOOK_URL",
                self.webhook_url.clone().unwrap_or_default(),
            ),
            (
                "PORT",
                self.vars
                    .get("port")
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (k, v) in &integration.env {
            env.insert(k.clone(), self.vars.text(v)?);
        }
        Ok(env)
    }

    /// Starts the integration (if it has a command) and waits until it is ready.
    pub async fn start_integration(&mut self) -> Result<(), String> {
        let Some(integration) = self.loaded.scenario.integration.clone() else {
            return Ok(());
        };
        // `--command` wins; `--url` or the scenario's own `url` mean it is already running.
        let opts = &self.shared.options;
        let command = match (&opts.command, &opts.url) {
            (Some(c), _) => Some(c.clone()),
            (None, Some(_)) => None,
            (None, None) => integration
                .command
                .clone()
                .filter(|_| integration.url.is_none()),
        };
        if let Some(command) = command {
            let env = self.process_env(&integration)?;
            self.process = Some(super::process::Process::spawn(&command, &env)?);
        }
        self.wait_ready(&integration).await
    }

    async fn wait_ready(&mut self, integration: &Integration) -> Result<(), String> {
        let deadline = Instant::now() + integration.ready.timeout.duration();
        if let (Some(path), Some(base)) = (&integration.ready.http, self.integration_url.clone()) {
            let url = format!("{base}{path}");
            loop {
                if let Some(p) = self.process.as_mut() {
                    if let Some(status) = p.exited() {
                        return Err(format!(
                            "the integration exited ({status}) before it was ready"
                        ));
                    }
                }
                let ok = self
                    .shared
                    .client
                    .get(&url)
                    .timeout(Duration::from_secs(1))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ok {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "the integration did not answer 2xx on GET {url} within {} ms",
                        integration.ready.timeout.0
                    ));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        if integration.ready.connected {
            while !self.connected() {
                if let Some(status) = self.process.as_mut().and_then(|p| p.exited()) {
                    return Err(format!(
                        "the integration exited ({status}) before it connected its channel"
                    ));
                }
                if Instant::now() > deadline {
                    return Err(format!("the integration did not connect its channel (POST /v2/origin/custom/{}/connect answered 200) within {} ms", self.channel_id, integration.ready.timeout.0));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Ok(())
    }

    fn connected(&self) -> bool {
        self.shared
            .sandbox
            .world()
            .scope(&self.scope_id)
            .is_some_and(|s| s.connected)
    }

    pub fn output_tail(&self) -> String {
        self.process
            .as_ref()
            .map(|p| p.output_tail())
            .unwrap_or_default()
    }

    pub async fn finish(mut self) -> Vec<Value> {
        if let Some(p) = self.process.take() {
            p.stop().await;
        }
        self.shared.stubs.forget(&self.stub_key);
        std::mem::take(&mut self.steps_log)
    }
}

fn integration_base(i: &Integration, port: u16, shared: &Shared) -> String {
    if let Some(url) = shared
        .options
        .url
        .clone()
        .or(i.url.clone())
        .filter(|_| shared.options.command.is_none())
    {
        return url.trim_end_matches('/').to_string();
    }
    format!("http://127.0.0.1:{port}")
}

async fn create_account(
    shared: &Shared,
    label: &str,
    webhook_url: Option<&str>,
) -> Result<Value, String> {
    let url = format!("{}/_sandbox/accounts", shared.sandbox_url);
    let body = json!({"label": label, "webhook_url": webhook_url});
    let resp = shared
        .client
        .post(&url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = resp.status();
    let value: Value = resp.json().await.map_err(|e| format!("POST {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("POST {url} answered {status}: {value}"));
    }
    Ok(value)
}

/// FNV-1a: a stable seed from a scenario name.
pub fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}
