//! Browser surfaces in real headless Chromium: one browser for the whole
//! binary, one tab (in its own context) per page.

#[path = "browser/bot.rs"]
mod bot;
#[path = "browser/button.rs"]
mod button;
#[path = "browser/common.rs"]
mod common;
#[path = "browser/cross_origin.rs"]
mod cross_origin;
#[path = "browser/web1on1.rs"]
mod web1on1;
#[path = "browser/widget_corpus.rs"]
mod widget_corpus;
#[path = "browser/widget_host.rs"]
mod widget_host;
