//! OAuth state for REST v4 (spec kommo-rest-v4.md §9): integrations (OAuth
//! clients), authorization codes, access/refresh tokens and long-lived tokens.
//! Every token is bound to one integration and one account.

use crate::ids::{derive_seed, Ids};
use serde::Serialize;

/// Auth codes live 20 minutes, access tokens a day, refresh tokens 3 months.
pub const CODE_TTL: i64 = 20 * 60;
pub const ACCESS_TTL: i64 = 86_400;
pub const REFRESH_TTL: i64 = 90 * 86_400;

#[derive(Debug, Clone, Serialize)]
pub struct Integration {
    /// The integration id (`client_id`), as channels carry it.
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Token {
    pub access_token: String,
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
    #[serde(skip)]
    ids: Ids,
    #[serde(skip)]
    seed: u64,
}

/// Why a token is refused; the 401 `detail` says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Expired,
}

impl Auth {
    pub fn new(seed: u64) -> Auth {
        Auth {
            integrations: vec![],
            tokens: vec![],
            codes: vec![],
            ids: Ids::new(derive_seed(seed, "oauth"), 1),
            seed,
        }
    }

    pub fn integration(&self, client_id: &str) -> Option<&Integration> {
        self.integrations.iter().find(|i| i.client_id == client_id)
    }

    /// Registers the integration with a seeded secret (once) and gives it a
    /// long-lived token for the account, so the sandbox works out of the box.
    pub fn ensure_defaults(&mut self, client_id: &str, account_id: &str) {
        if self.integration(client_id).is_none() {
            let secret =
                Ids::new(derive_seed(self.seed, &format!("secret-{client_id}")), 0).hex(64);
            self.integrations.push(Integration {
                client_id: client_id.into(),
                client_secret: secret,
            });
        }
        if self.long_lived(client_id, account_id).is_none() {
            let token = Ids::new(
                derive_seed(self.seed, &format!("token-{client_id}-{account_id}")),
                0,
            )
            .hex(64);
            self.tokens.push(Token {
                access_token: token,
                refresh_token: None,
                account_id: account_id.into(),
                client_id: client_id.into(),
                expires_at: None,
                refresh_expires_at: None,
                refreshed: false,
                long_lived: true,
            });
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
    pub fn check(&self, access_token: &str, now: i64) -> Result<(String, String), Refusal> {
        let token = self
            .tokens
            .iter()
            .find(|t| t.access_token == access_token)
            .ok_or(Refusal::Unknown)?;
        match token.expires_at {
            Some(at) if at <= now => Err(Refusal::Expired),
            _ => Ok((token.account_id.clone(), token.client_id.clone())),
        }
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
        old.refreshed = true;
        // The access token issued with it is replaced too.
        old.expires_at = Some(now);
        let account = old.account_id.clone();
        Ok(self.issue(client_id, &account, now))
    }

    fn issue(&mut self, client_id: &str, account_id: &str, now: i64) -> Token {
        let token = Token {
            access_token: self.ids.hex(64),
            refresh_token: Some(self.ids.hex(64)),
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

    fn auth() -> Auth {
        let mut a = Auth::new(1);
        a.ensure_defaults("int-1", "acc-1");
        a
    }

    #[test]
    fn defaults_are_seeded_and_idempotent() {
        let mut a = auth();
        let token = a.long_lived("int-1", "acc-1").unwrap().access_token.clone();
        a.ensure_defaults("int-1", "acc-1");
        assert_eq!(a.tokens.len(), 1);
        assert_eq!(
            auth().long_lived("int-1", "acc-1").unwrap().access_token,
            token
        );
        assert_eq!(
            a.check(&token, i64::MAX - 1),
            Ok(("acc-1".into(), "int-1".into()))
        );
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
        assert_eq!(a.check(&first.access_token, 11), Err(Refusal::Expired));
    }
}
