//! What the browser surfaces leave in an account: every JS SDK call a widget
//! or site made, the calling status, and the website chat (see [`super::online_chat`]).

use super::online_chat::OnlineChat;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Default, Serialize)]
pub struct BrowserState {
    /// Every `APP.*` / `crmPlugin(...)` / `web1on1.*` call, in the order the pages made them.
    pub sdk_calls: Vec<SdkCall>,
    /// `APP.sdk.setCallingStatus(bool)`; while true Kommo does not reload the UI.
    pub calling_status: bool,
    /// When set, persisting `add_call`/`add_error` fails so widgets' `fail` callbacks run.
    pub notifications_fail: bool,
    pub online_chat: OnlineChat,
}

#[derive(Debug, Clone, Serialize)]
pub struct SdkCall {
    pub seq: u64,
    /// `APP.notifications.add_call`, `crmPlugin.runChatShow`, `widget.render`, ...
    pub method: String,
    pub args: Vec<Value>,
    /// Which page made it: `widget-host:<widget>`, `button`, `web1on1`.
    pub page: String,
    pub at: i64,
}

impl BrowserState {
    pub fn record(&mut self, method: &str, args: Vec<Value>, page: &str, at: i64) -> u64 {
        let seq = self.sdk_calls.len() as u64 + 1;
        self.sdk_calls.push(SdkCall {
            seq,
            method: method.into(),
            args,
            page: page.into(),
            at,
        });
        seq
    }
}
