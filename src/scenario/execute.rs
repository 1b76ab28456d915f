//! One scenario from start to verdict: account, integration, steps, forged
//! webhook, conformance rules, transcript and snapshot.

use super::context::Ctx;
use super::load::Loaded;
use super::report::{ScenarioResult, StepResult};
use super::rules::{self, outgoing_ids, path_msgid, Evidence};
use super::runner::Shared;
use super::snapshot;
use super::sources;
use super::steps;
use super::transcript::{self, Parts};
use serde_json::Value;
use std::time::{Duration, Instant};

/// How long the runner waits for stragglers (delivery statuses) before judging.
const SETTLE_MAX: Duration = Duration::from_millis(1500);

pub async fn run_one(shared: &Shared, loaded: &Loaded, index: usize) -> ScenarioResult {
    let started = Instant::now();
    let mut result = ScenarioResult::new(loaded);
    let mut ctx = match Ctx::new(shared, loaded, index).await {
        Ok(c) => c,
        Err(e) => return result.fail_setup(e, started),
    };
    if let Err(e) = super::setup::apply(&mut ctx).await {
        ctx.finish().await;
        return result.fail_setup(e, started);
    }
    if let Err(e) = ctx.start_integration().await {
        result.output = ctx.output_tail();
        ctx.finish().await;
        return result.fail_setup(e, started);
    }
    run_steps(&mut ctx, loaded, &mut result).await;
    shared.browser.close_scenario(&ctx.stub_key);
    let forged = forge(&ctx, loaded).await;
    settle(&ctx).await;
    let journal = sources::journal(&ctx);
    let webhooks = sources::webhooks(&ctx).await.ok();
    let ev = Evidence {
        amojo_id: ctx.amojo_id.clone(),
        channel_id: ctx.channel_id.clone(),
        journal,
        webhooks,
        forged,
    };
    let s = &loaded.scenario;
    result.rules = rules::evaluate(&ev, &s.rules.skip, &s.rules.expect_fail);
    let stub_requests = sources::stubs(&ctx);
    result.output = ctx.output_tail();
    let steps_log = ctx.finish().await;
    let parts = Parts {
        steps: &steps_log,
        journal: &ev.journal,
        webhooks: ev.webhooks.as_deref(),
        stubs: &stub_requests,
        forged: ev.forged.as_ref(),
        rules: &result.rules,
    };
    let t = transcript::build(&parts);
    if result.failure.is_none() && shared.options.snapshots && s.snapshot != Some(false) {
        compare_snapshot(shared, loaded, &t, &mut result);
    }
    result.transcript = t;
    result.finish(started, &shared.snapshot_policy)
}

async fn run_steps(ctx: &mut Ctx<'_>, loaded: &Loaded, result: &mut ScenarioResult) {
    for step in &loaded.scenario.steps {
        let t = Instant::now();
        let outcome = steps::run(ctx, step).await;
        let ok = outcome.is_ok();
        result.steps.push(StepResult {
            label: step.label(),
            file: step.origin.file.clone(),
            line: step.origin.line,
            ok,
            ms: t.elapsed().as_secs_f64() * 1000.0,
            error: outcome.as_ref().err().cloned(),
        });
        if let Err(e) = outcome {
            let at = if step.origin.line > 0 {
                format!("{}:{}", step.origin.file, step.origin.line)
            } else {
                step.origin.file.clone()
            };
            result.failure = Some(format!("step {:?} at {at}\n  {e}", step.label()));
            return;
        }
    }
}

async fn forge(ctx: &Ctx<'_>, loaded: &Loaded) -> Option<Result<u16, String>> {
    let wanted = loaded.scenario.rules.forged_webhook.unwrap_or(true);
    if !wanted
        || ctx.webhook_url.is_none()
        || loaded
            .scenario
            .rules
            .skip
            .iter()
            .any(|r| r == "webhook.forged_refused")
    {
        return None;
    }
    Some(steps::send_forged_webhook(ctx).await)
}

/// Waits until every accepted outgoing message has a final delivery status
/// (2 or -1) and the journal has stopped growing, so the transcript is stable.
async fn settle(ctx: &Ctx<'_>) {
    let deadline = Instant::now() + SETTLE_MAX;
    let mut last_len = usize::MAX;
    let mut quiet_since = Instant::now();
    while Instant::now() < deadline {
        let journal = sources::journal(ctx);
        if journal.len() != last_len {
            last_len = journal.len();
            quiet_since = Instant::now();
        }
        let pending = match sources::webhooks(ctx).await {
            Ok(hooks) => {
                let ev = Evidence {
                    amojo_id: String::new(),
                    channel_id: String::new(),
                    journal: vec![],
                    webhooks: Some(hooks),
                    forged: None,
                };
                outgoing_ids(&ev)
                    .into_iter()
                    .filter(|id| !has_final_status(&journal, id))
                    .count()
            }
            Err(_) => 0,
        };
        if pending == 0 && quiet_since.elapsed() >= Duration::from_millis(40) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn has_final_status(journal: &[Value], id: &str) -> bool {
    journal.iter().any(|e| {
        let path = e["path"].as_str().unwrap_or("");
        let status = e["body"]["delivery_status"].as_i64();
        path.ends_with("/delivery_status")
            && path_msgid(path) == id
            && matches!(status, Some(2) | Some(-1))
    })
}

fn compare_snapshot(shared: &Shared, loaded: &Loaded, t: &Value, result: &mut ScenarioResult) {
    let path = snapshot::path_for(&loaded.path, &loaded.name);
    let body = transcript::render(t);
    match snapshot::compare(
        &path,
        &loaded.path.display().to_string(),
        &body,
        &shared.snapshot_policy,
    ) {
        Ok(outcome) => result.snapshot = Some((path, outcome)),
        Err(e) => result.failure = Some(format!("cannot write snapshot {}: {e}", path.display())),
    }
}
