//! OAuth state for REST v4 (spec kommo-rest-v4.md §9): integrations (OAuth
//! clients), authorization codes, access/refresh tokens and long-lived tokens.
//! Every token is bound to one integration and one account. Access tokens are
//! RS256 JWTs signed by the sandbox's key ([`jwt`]); refresh tokens and codes
//! are opaque strings.

pub mod jwt;

use crate::ids::{derive_seed, Ids};
use jwt::{Claims, Signer};
use serde::Serialize;
use std::sync::Arc;

/// Auth codes live 20 minutes, access tokens a day, refresh tokens 3 months.
pub const CODE_TTL: i64 = 20 * 60;
pub const ACCESS_TTL: i64 = 86_400;
pub const REFRESH_TTL: i64 = 90 * 86_400;
/// Long-lived tokens: issued 2020-01-01, expiring 2100-01-01, so any sandbox
/// clock finds them valid (Kommo's UI offers 1 day to 5 years).
pub const LONG_LIVED_IAT: i64 = 1_577_836_800;
pub const LONG_LIVED_EXP: i64 = 4_102_444_800;
/// The domains a Kommo token names: `base_domain` and the host to call.
pub const BASE_DOMAIN: &str = "kommo.com";
pub const API_DOMAIN: &str = "api-c.kommo.com";
/// What a chat integration's token may do; `chats` opens the amojo v1 session.
pub const SCOPES: [&str; 6] = [
    "crm",
    "files",
    "files_delete",
    "notifications",
    "push_notifications",
    "chats",
];

/// Whom a token is issued for: the account and the user acting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subject {
    /// amojo id of the account.
    pub amojo_id: String,
    /// Numeric account id (`account_id` claim).
    pub account_id: i64,
    /// The user the token acts as (`sub` claim): the account's first user.
    pub user_id: i64,
}

impl Subject {
    pub fn of(account: &crate::domain::Account) -> Subject {
        Subject {
            amojo_id: account.amojo_id.clone(),
            account_id: account.id,
            user_id: account.users.first().map(|u| u.id).unwrap_or(0),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Integration {
    /// The integration id (`client_id`), as channels carry it.
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Token {
    /// The JWT.
    pub access_token: String,
    /// Its `jti` claim, by which it is found again.
    pub jti: String,
    pub refresh_token: Option<String>,
    /// amojo id of the account the token was issued for.
    pub account_id: String,
    pub client_id: String,
    /// `None` for long-lived tokens: valid until revoked.
    pub expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
    /// Set once the refresh token has been exchanged (single use).
    pub refreshed: bool,
    pub long_lived: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthCode {
    pub code: String,
    pub account_id: String,
    pub client_id: String,
    pub expires_at: i64,
    pub used: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Auth {
    pub integrations: Vec<Integration>,
    pub tokens: Vec<Token>,
    pub codes: Vec<AuthCode>,
    /// Accounts tokens may be issued for, registered by `ensure_defaults`.
    pub subjects: Vec<Subject>,
    pub chat_sessions: Vec<ChatSession>,
    #[serde(skip)]
    signer: Arc<Signer>,
    #[serde(skip)]
    ids: Ids,
    #[serde(skip)]
    seed: u64,
}

/// An amojo session opened by `POST /ajax/v1/chats/session` (unofficial v1
/// route): `X-Auth-Token` of `/v1/chats/...` calls, acting as the user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatSession {
    pub token: String,
    /// amojo id of the account.
    pub account_id: String,
    pub user_id: i64,
    pub expires_at: i64,
}

/// An amojo session lasts about a day.
pub const CHAT_SESSION_TTL: i64 = 86_400;

/// Why a token is refused; the 401 `detail` says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a token the sandbox signed and still knows: bad signature,
    /// altered payload, or issued before a reset.
    Unknown,
    Expired,
}

impl Auth {
    pub fn new(seed: u64) -> Auth {
        Auth {
            integrations: vec![],
            tokens: vec![],
            codes: vec![],
            subjects: vec![],
            chat_sessions: vec![],
            signer: Signer::for_seed(seed),
            ids: Ids::new(derive_seed(seed, "oauth"), 1),
            seed,
        }
    }

    pub fn integration(&self, client_id: &str) -> Option<&Integration> {
        self.integrations.iter().find(|i| i.client_id == client_id)
    }

    /// Registers the integration with a seeded secret (once) and gives it a
    /// long-lived token for the account, so the sandbox works out of the box.
    pub fn ensure_defaults(&mut self, client_id: &str, subject: &Subject) {
        if self.integration(client_id).is_none() {
            let secret =
                Ids::new(derive_seed(self.seed, &format!("secret-{client_id}")), 0).hex(64);
            self.integrations.push(Integration {
                client_id: client_id.into(),
                client_secret: secret,
            });
        }
        if !self.subjects.iter().any(|s| s.amojo_id == subject.amojo_id) {
            self.subjects.push(subject.clone());
        }
        if self.long_lived(client_id, &subject.amojo_id).is_none() {
            let mut ids = Ids::new(
                derive_seed(
                    self.seed,
                    &format!("token-{client_id}-{}", subject.amojo_id),
                ),
                0,
            );
            let claims = Auth::claims(&mut ids, client_id, subject, LONG_LIVED_IAT, LONG_LIVED_EXP);
            self.tokens.push(Token {
                access_token: self.signer.sign(&claims),
                jti: claims.jti,
                refresh_token: None,
                account_id: subject.amojo_id.clone(),
                client_id: client_id.into(),
                expires_at: None,
                refresh_expires_at: None,
                refreshed: false,
                long_lived: true,
            });
        }
    }

    /// The PEM of the public key that verifies every access token.
    pub fn public_key_pem(&self) -> &str {
        &self.signer.public_pem
    }

    /// How long generating the token key took (it is made once per seed and process).
    pub fn keygen_ms(&self) -> u128 {
        self.signer.keygen_ms
    }

    fn claims(ids: &mut Ids, client_id: &str, subject: &Subject, iat: i64, exp: i64) -> Claims {
        Claims {
            aud: client_id.into(),
            jti: ids.hex(80),
            iat,
            nbf: iat,
            exp,
            sub: subject.user_id.to_string(),
            grant_type: String::new(),
            account_id: subject.account_id,
            base_domain: BASE_DOMAIN.into(),
            version: 2,
            scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
            hash_uuid: ids.uuid(),
            api_domain: API_DOMAIN.into(),
        }
    }

    pub fn long_lived(&self, client_id: &str, account_id: &str) -> Option<&Token> {
        self.tokens
            .iter()
            .find(|t| t.long_lived && t.client_id == client_id && t.account_id == account_id)
    }

    pub fn mint_code(&mut self, client_id: &str, account_id: &str, now: i64) -> AuthCode {
        let code = AuthCode {
            code: self.ids.hex(64),
            account_id: account_id.into(),
            client_id: client_id.into(),
            expires_at: now + CODE_TTL,
            used: false,
        };
        self.codes.push(code.clone());
        code
    }

    /// Checks a bearer token; returns (account amojo id, integration id).
    /// The signature must be the sandbox key's, the token one it issued and
    /// has not revoked, and `exp` after `now` on the sandbox clock.
    pub fn check(&self, access_token: &str, now: i64) -> Result<(String, String), Refusal> {
        let token = self.verified(access_token, now)?;
        Ok((token.account_id.clone(), token.client_id.clone()))
    }

    /// The stored token behind a valid access token, as [`Auth::check`] judges it.
    pub fn verified(&self, access_token: &str, now: i64) -> Result<&Token, Refusal> {
        let claims = self
            .signer
            .verify(access_token)
            .map_err(|_| Refusal::Unknown)?;
        let token = self
            .tokens
            .iter()
            .find(|t| t.jti == claims.jti && t.client_id == claims.aud)
            .ok_or(Refusal::Unknown)?;
        if claims.exp <= now || token.expires_at.is_some_and(|at| at <= now) {
            return Err(Refusal::Expired);
        }
        Ok(token)
    }

    /// Opens an amojo session for the user of an OAuth access token with the
    /// `chats` scope. Long-lived tokens cannot (Kommo answers them 401).
    pub fn open_chat_session(
        &mut self,
        access_token: &str,
        now: i64,
    ) -> Result<ChatSession, &'static str> {
        let token = self.verified(access_token, now).map_err(|r| match r {
            Refusal::Unknown => "Invalid user name or password",
            Refusal::Expired => "Access token has expired",
        })?;
        let (long_lived, account_id) = (token.long_lived, token.account_id.clone());
        if long_lived {
            return Err(
                "A long-lived token cannot open a chats session; use an OAuth access token",
            );
        }
        let claims = self
            .signer
            .verify(access_token)
            .map_err(|_| "Invalid user name or password")?;
        if !claims.scopes.iter().any(|s| s == "chats") {
            return Err("The token has no chats scope");
        }
        let session = ChatSession {
            token: self.ids.hex(64),
            account_id,
            user_id: claims.sub.parse().unwrap_or(0),
            expires_at: now + CHAT_SESSION_TTL,
        };
        self.chat_sessions.retain(|s| s.expires_at > now);
        self.chat_sessions.push(session.clone());
        Ok(session)
    }

    /// The live session of an `X-Auth-Token`.
    pub fn chat_session(&self, token: &str, now: i64) -> Option<&ChatSession> {
        self.chat_sessions
            .iter()
            .find(|s| s.token == token && s.expires_at > now)
    }

    /// `grant_type=authorization_code`: a code is good once, for 20 minutes.
    pub fn exchange_code(
        &mut self,
        client_id: &str,
        code: &str,
        now: i64,
    ) -> Result<Token, &'static str> {
        let found = self
            .codes
            .iter_mut()
            .find(|c| c.code == code && c.client_id == client_id)
            .ok_or("Authorization code is invalid")?;
        if found.used {
            return Err("Authorization code has been revoked");
        }
        if found.expires_at <= now {
            return Err("Authorization code has expired");
        }
        found.used = true;
        let account = found.account_id.clone();
        Ok(self.issue(client_id, &account, now))
    }

    /// `grant_type=refresh_token`: rotates; the old refresh token dies at once.
    pub fn refresh(
        &mut self,
        client_id: &str,
        refresh_token: &str,
        now: i64,
    ) -> Result<Token, &'static str> {
        let old = self
            .tokens
            .iter_mut()
            .find(|t| t.refresh_token.as_deref() == Some(refresh_token) && t.client_id == client_id)
            .ok_or("Token is invalid")?;
        if old.refreshed {
            return Err("Token has been revoked");
        }
        if old.refresh_expires_at.is_some_and(|at| at <= now) {
            return Err("Token has expired");
        }
        // Only the refresh token is spent; the access token issued with it
        // works until its own expiry (Kommo's OAuth guide).
        old.refreshed = true;
        let account = old.account_id.clone();
        Ok(self.issue(client_id, &account, now))
    }

    fn issue(&mut self, client_id: &str, account_id: &str, now: i64) -> Token {
        let subject = self
            .subjects
            .iter()
            .find(|s| s.amojo_id == account_id)
            .cloned()
            .unwrap_or_else(|| Subject {
                amojo_id: account_id.into(),
                account_id: 0,
                user_id: 0,
            });
        let claims = Auth::claims(&mut self.ids, client_id, &subject, now, now + ACCESS_TTL);
        let refresh_token = self.ids.hex(64);
        let token = Token {
            access_token: self.signer.sign(&claims),
            jti: claims.jti,
            refresh_token: Some(refresh_token),
            account_id: account_id.into(),
            client_id: client_id.into(),
            expires_at: Some(now + ACCESS_TTL),
            refresh_expires_at: Some(now + REFRESH_TTL),
            refreshed: false,
            long_lived: false,
        };
        self.tokens.push(token.clone());
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject() -> Subject {
        Subject {
            amojo_id: "acc-1".into(),
            account_id: 30_000_001,
            user_id: 7,
        }
    }

    fn auth() -> Auth {
        let mut a = Auth::new(1);
        a.ensure_defaults("int-1", &subject());
        a
    }

    #[test]
    fn defaults_are_seeded_and_idempotent() {
        let mut a = auth();
        let token = a.long_lived("int-1", "acc-1").unwrap().access_token.clone();
        a.ensure_defaults("int-1", &subject());
        assert_eq!(a.tokens.len(), 1);
        assert_eq!(
            auth().long_lived("int-1", "acc-1").unwrap().access_token,
            token
        );
        assert_eq!(
            a.check(&token, LONG_LIVED_EXP - 1),
            Ok(("acc-1".into(), "int-1".into()))
        );
        assert_eq!(a.check(&token, LONG_LIVED_EXP), Err(Refusal::Expired));
    }

    #[test]
    fn code_is_single_use_and_expires() {
        let mut a = auth();
        let code = a.mint_code("int-1", "acc-1", 100).code;
        assert!(a.exchange_code("int-2", &code, 100).is_err());
        let t = a.exchange_code("int-1", &code, 100).unwrap();
        assert_eq!(
            a.check(&t.access_token, 100 + ACCESS_TTL - 1).unwrap().0,
            "acc-1"
        );
        assert_eq!(
            a.check(&t.access_token, 100 + ACCESS_TTL),
            Err(Refusal::Expired)
        );
        assert!(a.exchange_code("int-1", &code, 100).is_err());
        let late = a.mint_code("int-1", "acc-1", 0).code;
        assert_eq!(
            a.exchange_code("int-1", &late, CODE_TTL).unwrap_err(),
            "Authorization code has expired"
        );
    }

    #[test]
    fn refresh_rotates_once() {
        let mut a = auth();
        let code = a.mint_code("int-1", "acc-1", 0).code;
        let first = a.exchange_code("int-1", &code, 0).unwrap();
        let second = a
            .refresh("int-1", first.refresh_token.as_deref().unwrap(), 10)
            .unwrap();
        assert_ne!(first.refresh_token, second.refresh_token);
        assert_eq!(
            a.refresh("int-1", first.refresh_token.as_deref().unwrap(), 11)
                .unwrap_err(),
            "Token has been revoked"
        );
        assert!(
            a.check(&first.access_token, 11).is_ok(),
            "the old access token lives on"
        );
    }

    #[test]
    fn access_tokens_are_verified_jwts() {
        let mut a = auth();
        let code = a.mint_code("int-1", "acc-1", 100).code;
        let t = a.exchange_code("int-1", &code, 100).unwrap();
        let claims = a.signer.verify(&t.access_token).unwrap();
        assert_eq!(claims.aud, "int-1");
        assert_eq!(claims.sub, "7");
        assert_eq!(claims.account_id, 30_000_001);
        assert_eq!((claims.iat, claims.exp), (100, 100 + ACCESS_TTL));
        assert_eq!(claims.jti, t.jti);
        let parts: Vec<&str> = t.access_token.split('.').collect();
        let mut sig = parts[2].to_string();
        let last = if sig.ends_with('A') { "B" } else { "A" };
        sig.replace_range(sig.len() - 1.., last);
        let bad_sig = format!("{}.{}.{sig}", parts[0], parts[1]);
        assert_eq!(a.check(&bad_sig, 100), Err(Refusal::Unknown));
        let other = Auth::claims(&mut Ids::new(5, 0), "int-1", &subject(), 0, i64::MAX);
        let forged = format!("{}.{}.{}", parts[0], jwt::part(&other), parts[2]);
        assert_eq!(a.check(&forged, 100), Err(Refusal::Unknown));
        assert_eq!(a.check("not-a-jwt", 100), Err(Refusal::Unknown));
        eprintln!("RSA-2048 keygen took {} ms", a.keygen_ms());
    }
}
