//! The signed-in user's session. In Kommo the interface's own session
//! authorises `/api/v4/...` calls a widget makes from the page; here the
//! widget host sets a session cookie holding the account's API token, and
//! the REST v4 guard reads it when a request carries no `Authorization`.

use crate::domain::World;
use axum::http::{header, HeaderMap};

/// Kommo's session cookie name.
pub const COOKIE: &str = "session_id";

/// The token the session cookie carries, if the request has one.
pub fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}

/// The account's long-lived API token of its first integration: what the session stands for.
pub fn token_for(world: &World, amojo_id: &str) -> Option<String> {
    world
        .channels
        .iter()
        .find_map(|c| world.auth.long_lived(&c.integration_id, amojo_id))
        .map(|t| t.access_token.clone())
}

/// `Set-Cookie` for the page: same-site only, never readable by scripts.
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_among_other_cookies() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; session_id=tok.en ; b=2".parse().unwrap(),
        );
        assert_eq!(cookie_token(&h), Some("tok.en"));
        h.insert(header::COOKIE, "session_id=".parse().unwrap());
        assert_eq!(cookie_token(&h), None);
    }
}
