//! Webhooks out: the signed v2 hooks Kommo sends to the integration (spec §5)
//! and the account events sent to `/api/v4/webhooks` subscribers. Bodies are
//! built in `payload` and `form`, sent once with a timeout by `deliver` and
//! `account` over the one client of `http`, and every attempt is kept in the
//! `log`. A reset ends a `generation`: nothing it queued goes out afterwards.

pub mod account;
pub mod deliver;
pub mod form;
pub mod generation;
pub mod http;
pub mod log;
pub mod payload;
pub mod pool;

pub use log::{Attempt, AttemptFilter, WebhookLog};

/// What is on its way out, and the generation it belongs to.
#[derive(Debug, Default)]
pub struct Delivery {
    /// Chat hooks, one queue per scope.
    pub chat: deliver::Dispatcher,
    /// Connections for account events.
    pub account: pool::Pool,
    /// Bumped by every reset; older work is dropped.
    pub resets: generation::Generation,
}
