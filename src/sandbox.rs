//! The running sandbox: one world, one clock, one journal, shared by every surface.

use crate::clock::{parse_time, Clock};
use crate::config::{Config, Settings};
use crate::domain::World;
use crate::domain::{Due, Outbound};
use crate::journal::Journal;
use crate::webhooks::{account, Attempt, Delivery, WebhookLog};
use parking_lot::{Mutex, MutexGuard};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// A request's critical section takes a few microseconds; a lock held this
/// long with no request getting it in between most likely means its holder
/// lost the CPU (or is an admin or REST call holding it longer, for which
/// yielding costs nothing either).
const HOLDER_OFF_CPU: Duration = Duration::from_micros(50);

#[derive(Debug)]
pub struct Sandbox {
    world: Mutex<World>,
    /// Counts the hot path's acquisitions of the world, so a waiter can tell a
    /// busy lock from one whose holder is off the CPU.
    world_turns: AtomicU64,
    pub clock: Clock,
    pub journal: Journal,
    /// Every webhook attempt, to the integration and to account subscribers.
    pub webhooks: WebhookLog,
    /// Hooks on their way out, cancelled by a reset.
    pub delivery: Delivery,
    pub settings: Settings,
    config: Config,
    base_url: OnceLock<String>,
    /// The local CA and the TLS config made from it, once TLS is on.
    tls: OnceLock<(Arc<crate::front::LocalCa>, Arc<rustls::ServerConfig>)>,
    /// Where `serve --tls-port` listens.
    tls_addr: OnceLock<std::net::SocketAddr>,
    /// Widget folders the widget host serves (`--widget DIR`, `POST /_sandbox/widgets`).
    pub widgets: crate::browser::WidgetDirs,
}

impl Sandbox {
    pub fn new(config: Config) -> Result<Arc<Sandbox>, String> {
        let clock = match &config.clock {
            Some(text) => Clock::fixed(parse_time(text).map_err(|e| format!("clock: {e}"))?),
            None => Clock::real(),
        };
        Ok(Arc::new(Sandbox {
            world: Mutex::new(World::from_config(&config)),
            world_turns: AtomicU64::new(0),
            journal: Journal::new(config.settings.journal_cap),
            webhooks: WebhookLog::new(config.settings.journal_cap),
            delivery: Delivery::default(),
            settings: config.settings.clone(),
            clock,
            config,
            base_url: OnceLock::new(),
            tls: OnceLock::new(),
            tls_addr: OnceLock::new(),
            widgets: Default::default(),
        }))
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        // parking_lot: no poisoning (a panicking handler does not take the
        // sandbox down) and a short spin before parking, which suits these
        // brief critical sections.
        self.world.lock()
    }

    /// The world's lock for the request hot path. A runtime thread blocked on
    /// a held lock is parked and woken again, which costs more than the work
    /// under the lock; instead the task steps aside, the thread serves other
    /// connections, and the task retries when polled again.
    ///
    /// With more busy threads than CPUs, the holder can be preempted inside
    /// its critical section while the waiters keep the CPUs spinning through
    /// their retries. A waiter that sees the same holder for longer than
    /// [`HOLDER_OFF_CPU`] also yields its thread to the OS scheduler, so the
    /// holder runs again sooner (README, Performance: p99 at 32 connections
    /// 2.6-4.5 ms with this yield disabled, about 1 ms with it).
    pub async fn world_async(&self) -> MutexGuard<'_, World> {
        let mut stuck_since: Option<(u64, Instant)> = None;
        loop {
            if let Some(world) = self.world.try_lock() {
                self.world_turns.fetch_add(1, Ordering::Relaxed);
                return world;
            }
            let turn = self.world_turns.load(Ordering::Relaxed);
            match stuck_since {
                Some((seen, since)) if seen == turn => {
                    if since.elapsed() > HOLDER_OFF_CPU {
                        std::thread::yield_now();
                    }
                }
                _ => stuck_since = Some((turn, Instant::now())),
            }
            tokio::task::yield_now().await;
        }
    }

    /// Back to the state the config describes; the journal and the webhook
    /// log are cleared too, and hooks queued or in flight for the old state
    /// are dropped. All under the world's lock, which attempts are logged
    /// under too, so no attempt of the old state lands in the fresh log.
    pub fn reset(&self) {
        let mut world = self.world();
        let generation = world.generation + 1;
        *world = World::from_config(&self.config);
        world.generation = generation;
        self.delivery.resets.set(generation);
        self.delivery.account.clear();
        self.journal.clear();
        self.webhooks.clear();
    }

    /// Logs an attempt of generation `of`, unless a reset came since.
    pub fn log_attempt(&self, of: u64, attempt: Attempt) {
        let world = self.world();
        if world.generation == of {
            self.webhooks.push(attempt);
        }
    }

    /// Sends what the world queued (chat hooks, account events). Call it after
    /// releasing the world lock; must run inside the tokio runtime.
    pub fn flush(self: &Arc<Self>) {
        let due = self.world().take_due(self.clock.now_secs());
        self.send(due);
    }

    /// Sends what [`World::take_due`] returned; call it with the world unlocked.
    pub fn send(self: &Arc<Self>, due: Due) {
        if due.queued.is_empty() && due.retries.is_empty() {
            return;
        }
        let of = due.generation;
        account::send_retries(self, of, due.retries);
        for item in due.queued {
            match item {
                Outbound::ChatHook(hook) => self.delivery.chat.enqueue(self, of, hook),
                Outbound::AccountEvent(event) => {
                    tokio::spawn(account::deliver_account_event(self.clone(), of, event));
                }
            }
        }
    }

    /// `http://127.0.0.1:PORT`, known once the server is bound.
    pub fn base_url(&self) -> &str {
        self.base_url
            .get()
            .map(String::as_str)
            .unwrap_or("http://127.0.0.1:8787")
    }

    pub fn set_base_url(&self, url: String) {
        let _ = self.base_url.set(url);
    }

    /// Turns on TLS at Kommo's hostnames (the proxy's `CONNECT` and the TLS port).
    pub fn enable_tls(&self, ca: crate::front::LocalCa) -> Result<(), String> {
        let ca = Arc::new(ca);
        let config = crate::front::tls::server_config(ca.clone())?;
        let _ = self.tls.set((ca, config));
        Ok(())
    }

    pub fn tls(&self) -> Option<Arc<rustls::ServerConfig>> {
        self.tls.get().map(|(_, config)| config.clone())
    }

    pub fn tls_addr(&self) -> Option<std::net::SocketAddr> {
        self.tls_addr.get().copied()
    }

    pub fn set_tls_addr(&self, addr: std::net::SocketAddr) {
        let _ = self.tls_addr.set(addr);
    }

    pub fn ca(&self) -> Option<&crate::front::LocalCa> {
        self.tls.get().map(|(ca, _)| ca.as_ref())
    }

    pub fn config(&self) -> &Config {
        &self.config
    }
}
