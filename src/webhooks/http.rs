//! The HTTP side of every webhook, chat hooks and account events alike: one
//! shared client that never follows a redirect and never goes through a proxy,
//! and an answer read only as far as a bounded prefix.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How much of a receiver's answer is kept; the rest is never read, so an
/// answer of any size costs at most this much memory.
pub const ANSWER_PREFIX_BYTES: usize = 64 * 1024;

/// Idle connections kept per destination host; in-flight ones are bounded by
/// the callers (one per scope for chat hooks, a pool for account events).
const IDLE_PER_HOST: usize = 4;

/// The client every webhook goes through. A 3xx is the receiver's answer, as
/// Kommo treats it, so redirects are not followed. Hooks go straight to the
/// destination: the sandbox runs beside the integration, and an `HTTP_PROXY`
/// set for the developer's shell must not swallow hooks to 127.0.0.1.
pub fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(IDLE_PER_HOST)
            .build()
            .expect("HTTP client builds")
    })
}

/// What came back for one POST.
#[derive(Debug, Default)]
pub struct Answer {
    /// `None` on timeout or connection error before the status line.
    pub status: Option<u16>,
    /// The first [`ANSWER_PREFIX_BYTES`] of the body (lossy UTF-8).
    pub body: String,
    /// Bytes of the body read: the whole body, or the prefix and one chunk more.
    pub bytes_seen: u64,
    /// The body went on beyond the prefix and was not read further.
    pub truncated: bool,
    /// `timeout` or `connection: ...`, also when the body broke off after the status.
    pub error: Option<String>,
    pub latency_ms: u64,
}

/// Sends `request` with `timeout` for the whole exchange, body included.
pub async fn post(request: reqwest::RequestBuilder, timeout: Duration) -> Answer {
    let started = Instant::now();
    let mut answer = match request.timeout(timeout).send().await {
        Ok(response) => read_prefix(response).await,
        Err(e) => Answer {
            error: Some(describe(&e)),
            ..Answer::default()
        },
    };
    answer.latency_ms = started.elapsed().as_millis() as u64;
    answer
}

/// Reads chunks until the prefix is full; dropping the response then closes
/// the connection instead of draining the rest.
async fn read_prefix(mut response: reqwest::Response) -> Answer {
    let mut answer = Answer {
        status: Some(response.status().as_u16()),
        ..Answer::default()
    };
    let mut kept: Vec<u8> = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                answer.bytes_seen += chunk.len() as u64;
                let room = ANSWER_PREFIX_BYTES - kept.len();
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if chunk.len() > room {
                    answer.truncated = true;
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                answer.error = Some(describe(&e));
                break;
            }
        }
    }
    answer.body = String::from_utf8_lossy(&kept).into_owned();
    answer
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".to_string()
    } else {
        format!("connection: {}", root_cause(e))
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
