//! Runs a Salesbot on a lead or contact: its steps send messages and
//! templates to the entity's chat, and `condition(s)` steps branch on
//! `{{...}}` markers filled from the contact and lead (spec §5). Sending goes
//! through the Kommo-side actions, so the integration gets its hooks.

use super::conditions::{holds, holds_all, Condition};
use super::template::{placeholders, render};
use super::{Account, BotRun, World};
use crate::actions::{self, Author, OutgoingSpec, TemplateRef};
use serde_json::{json, Value};

/// Steps nest through `result`; this bounds a bot that loops through itself.
const MAX_DEPTH: usize = 16;

/// What a bot is started on: `leads` or `contacts`, and the id.
#[derive(Debug, Clone)]
pub struct Target {
    pub entity_type: String,
    pub entity_id: i64,
}

/// Runs bot `bot_id` now; the run (with its log) is kept in `account.bot_runs`.
pub fn run(
    world: &mut World,
    account_id: &str,
    bot_id: i64,
    target: &Target,
    now: i64,
) -> Result<BotRun, String> {
    let account = world.account(account_id).ok_or("no such account")?;
    let bot = account
        .salesbots
        .iter()
        .find(|b| b.id == bot_id)
        .ok_or_else(|| format!("bot {bot_id} not found"))?
        .clone();
    let (contact_id, lead_id, chat_id) = resolve(account, target)?;
    let contact = account.contacts.iter().find(|c| Some(c.id) == contact_id);
    let lead = account.leads.iter().find(|l| Some(l.id) == lead_id);
    let values = placeholders(account, contact, lead);
    let mut run = BotRun {
        bot_id,
        entity_id: target.entity_id,
        entity_type: target.entity_type.clone(),
        chat_id,
        at: now,
        stopped: false,
        log: vec![],
    };
    let mut ctx = Ctx {
        world,
        account_id,
        values: &values,
        now,
        run: &mut run,
    };
    ctx.steps(&bot.steps, 0);
    let record = run.clone();
    if let Some(account) = world.account_mut(account_id) {
        account.bot_runs.push(record);
    }
    Ok(run)
}

/// Marks the runs of a bot on an entity stopped (runs are synchronous, so
/// nothing is pending; stopping is recorded for the developer to see).
pub fn stop(account: &mut Account, bot_id: i64, target: &Target) -> usize {
    let runs = account.bot_runs.iter_mut().filter(|r| {
        r.bot_id == bot_id && r.entity_id == target.entity_id && r.entity_type == target.entity_type
    });
    runs.map(|r| r.stopped = true).count()
}

/// (contact id, lead id, chat id) of a target.
type Resolved = (Option<i64>, Option<i64>, Option<String>);

/// The contact, lead and chat a target stands for.
fn resolve(account: &Account, target: &Target) -> Result<Resolved, String> {
    match target.entity_type.as_str() {
        "leads" => {
            let lead = account
                .leads
                .iter()
                .find(|l| l.id == target.entity_id)
                .ok_or_else(|| format!("lead {} not found", target.entity_id))?;
            let contact = lead.contact_ids.first().copied();
            let talk_chat = account
                .talks
                .iter()
                .rev()
                .find(|t| t.entity_id == Some(lead.id))
                .map(|t| t.chat_id.clone());
            let chat = talk_chat.or_else(|| contact_chat(account, contact));
            Ok((contact, Some(lead.id), chat))
        }
        "contacts" => {
            let contact = account
                .contacts
                .iter()
                .find(|c| c.id == target.entity_id)
                .ok_or_else(|| format!("contact {} not found", target.entity_id))?;
            let lead = account
                .leads
                .iter()
                .rev()
                .find(|l| l.contact_ids.contains(&contact.id))
                .map(|l| l.id);
            Ok((
                Some(contact.id),
                lead,
                contact_chat(account, Some(contact.id)),
            ))
        }
        other => Err(format!("entity_type {other:?} is not leads or contacts")),
    }
}

fn contact_chat(account: &Account, contact_id: Option<i64>) -> Option<String> {
    account
        .contacts
        .iter()
        .find(|c| Some(c.id) == contact_id)
        .and_then(|c| c.chat_ids.last().cloned())
}

struct Ctx<'a> {
    world: &'a mut World,
    account_id: &'a str,
    values: &'a [(String, String)],
    now: i64,
    run: &'a mut BotRun,
}

impl Ctx<'_> {
    fn steps(&mut self, steps: &[Value], depth: usize) {
        for step in steps {
            if self.run.stopped || depth > MAX_DEPTH {
                return;
            }
            self.step(step, depth);
        }
    }

    fn step(&mut self, step: &Value, depth: usize) {
        let params = &step["params"];
        match step["handler"].as_str().unwrap_or("") {
            "send_message" => {
                let text = params["value"]
                    .as_str()
                    .or(params["text"].as_str())
                    .unwrap_or("");
                let (text, _) = render(text, self.values);
                self.send(json!({"type": "text", "text": text}));
            }
            "send_template" => self.send_template(params["template_id"].as_i64().unwrap_or(0)),
            "condition" => self.branch(
                serde_json::from_value::<Condition>(params.clone())
                    .map_err(|e| e.to_string())
                    .and_then(|c| holds(&c, self.values)),
                params,
                depth,
            ),
            "conditions" => {
                let list: Result<Vec<Condition>, String> =
                    serde_json::from_value(params["conditions"].clone()).map_err(|e| e.to_string());
                let logic = params["logic"].as_str().unwrap_or("and");
                self.branch(
                    list.and_then(|l| holds_all(&l, logic, self.values)),
                    params,
                    depth,
                )
            }
            "stop" => self.run.stopped = true,
            other => self
                .run
                .log
                .push(format!("skipped unknown handler {other:?}")),
        }
    }

    /// `result` runs when the condition holds; `else` (sandbox extension) otherwise.
    fn branch(&mut self, outcome: Result<bool, String>, params: &Value, depth: usize) {
        match outcome {
            Ok(true) => {
                self.run.log.push("condition true".into());
                self.steps(
                    params["result"]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or(&[]),
                    depth + 1,
                );
            }
            Ok(false) => {
                self.run.log.push("condition false".into());
                self.steps(
                    params["else"].as_array().map(Vec::as_slice).unwrap_or(&[]),
                    depth + 1,
                );
            }
            Err(e) => self.run.log.push(format!("condition error: {e}")),
        }
    }

    fn send_template(&mut self, template_id: i64) {
        let Some(chat_id) = self.chat() else { return };
        let sent = actions::send_template(
            self.world,
            self.now,
            self.account_id,
            &chat_id,
            TemplateRef::Id(template_id),
            None,
            Author::Bot,
        );
        self.record(sent.map(|(id, _)| id));
    }

    fn send(&mut self, message: Value) {
        let Some(chat_id) = self.chat() else { return };
        let spec = OutgoingSpec {
            chat_id,
            author: Author::Bot,
            message,
            ..Default::default()
        };
        let sent = actions::send_outgoing(self.world, self.now, self.account_id, spec);
        self.record(sent);
    }

    fn chat(&mut self) -> Option<String> {
        if self.run.chat_id.is_none() {
            self.run.log.push("no chat to send to".into());
        }
        self.run.chat_id.clone()
    }

    fn record(&mut self, sent: actions::Result<String>) {
        match sent {
            Ok(id) => self.run.log.push(format!("sent message {id}")),
            Err(e) => self
                .run
                .log
                .push(format!("send failed: {} {}", e.code, e.error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::domain::{Contact, Lead, Salesbot};

    /// A world with contact 1 "Jane" on lead 2 (price 150) and no chat.
    fn world(steps: Vec<Value>) -> (World, String) {
        let mut w = World::from_config(&Config::default());
        let a = &mut w.accounts[0];
        let user = a.users[0].id;
        a.contacts.push(Contact {
            name: "Jane".into(),
            first_name: "Jane".into(),
            ..Contact::new(1, user, 0)
        });
        a.leads.push(Lead {
            name: "L".into(),
            price: 150,
            contact_ids: vec![1],
            ..Lead::new(2, 0, 0, user, 0)
        });
        a.salesbots.push(Salesbot {
            id: 7,
            name: "b".into(),
            steps,
        });
        let id = a.amojo_id.clone();
        (w, id)
    }

    #[test]
    fn conditions_branch_on_filled_markers() {
        let steps = vec![
            json!({"handler": "condition", "params": {"term1": "{{lead.price}}", "term2": {"from": 100, "to": 200}, "operation": "in_range",
                   "result": [{"handler": "stop"}], "else": [{"handler": "send_message", "params": {"value": "x"}}]}}),
            json!({"handler": "send_message", "params": {"value": "after stop"}}),
        ];
        let (mut w, account) = world(steps);
        let run = run(
            &mut w,
            &account,
            7,
            &Target {
                entity_type: "leads".into(),
                entity_id: 2,
            },
            0,
        )
        .unwrap();
        assert_eq!(run.log, ["condition true"]);
        assert!(run.stopped);
    }

    #[test]
    fn a_contact_without_chat_gets_nothing_sent() {
        let (mut w, account) = world(vec![
            json!({"handler": "send_message", "params": {"value": "Hi {{contact.name}}"}}),
        ]);
        let run = run(
            &mut w,
            &account,
            7,
            &Target {
                entity_type: "contacts".into(),
                entity_id: 1,
            },
            0,
        )
        .unwrap();
        assert_eq!(run.chat_id, None);
        assert_eq!(run.log, ["no chat to send to"]);
        assert!(super::run(
            &mut w,
            &account,
            8,
            &Target {
                entity_type: "contacts".into(),
                entity_id: 1
            },
            0
        )
        .is_err());
        assert_eq!(w.accounts[0].bot_runs.len(), 1);
    }
}
