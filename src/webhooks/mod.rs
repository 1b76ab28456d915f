//! Webhooks out: the signed v2 hooks Kommo sends to the integration (spec §5).
//! Bodies are built in `payload`, sent once with a timeout by `deliver`, and
//! every attempt is kept in the `log`.

pub mod deliver;
pub mod log;
pub mod payload;

pub use log::{Attempt, AttemptFilter, WebhookLog};
