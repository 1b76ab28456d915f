//! kommo-sandbox: a local, stateful emulator of Kommo (and amoCRM) for
//! integration developers and CI.
//!
//! Layout: one module per surface (`chats_api`, `admin`), one shared domain
//! state (`domain`), and the plumbing they share (`signature`, `clock`, `ids`,
//! `journal`, `config`). The CLI in `main.rs` is a thin layer over this library.

pub mod actions;
pub mod admin;
pub mod amojo_v1;
pub mod browser;
pub mod chats_api;
pub mod clock;
pub mod config;
pub mod domain;
pub mod front;
pub mod ids;
pub mod journal;
pub mod memory;
pub mod rest_v4;
pub mod ring;
pub mod sandbox;
pub mod scenario;
pub mod server;
pub mod signature;
pub mod webhooks;

pub use sandbox::Sandbox;
