//! Kommo's hostnames and what each one serves: `amojo.<tld>` is the Chats API,
//! `<subdomain>.<tld>` one account's REST v4, OAuth and browser surfaces, and
//! `www.` / `api-X.` the shared hosts where the token names the account.

/// The domains the sandbox answers for, Kommo's and amoCRM's.
pub const DOMAINS: &[&str] = &["kommo.com", "amocrm.ru", "amocrm.com"];

/// Every name the sandbox serves at the proxy and on the TLS port.
pub fn served() -> String {
    let amojo: Vec<String> = DOMAINS.iter().map(|d| format!("amojo.{d}")).collect();
    let accounts: Vec<String> = DOMAINS.iter().map(|d| format!("*.{d}")).collect();
    format!("{}, {}", amojo.join(", "), accounts.join(", "))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// `amojo.kommo.com` and the amoCRM twins.
    Amojo { domain: &'static str },
    /// `www.kommo.com`, `api-c.kommo.com`: the account comes from the token.
    Shared { domain: &'static str },
    /// `mysub.kommo.com`.
    Account {
        subdomain: String,
        domain: &'static str,
    },
    /// Loopback names and addresses: the sandbox's own, every surface served.
    Local,
    /// Anything else: never served, never forwarded.
    Other,
}

impl Host {
    pub fn is_kommo(&self) -> bool {
        !matches!(self, Host::Local | Host::Other)
    }
}

/// `host` may carry a port; names compare case-insensitively.
pub fn classify(host: &str) -> Host {
    let name = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    if is_loopback(&name) {
        return Host::Local;
    }
    for domain in DOMAINS {
        let Some(label) = name.strip_suffix(domain).and_then(|l| l.strip_suffix('.')) else {
            continue;
        };
        if label.is_empty() || label.contains('.') || !label.bytes().all(is_label_byte) {
            return Host::Other;
        }
        return match label {
            "amojo" => Host::Amojo { domain },
            "www" => Host::Shared { domain },
            l if l.starts_with("api-") => Host::Shared { domain },
            _ => Host::Account {
                subdomain: label.to_string(),
                domain,
            },
        };
    }
    Host::Other
}

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

fn is_loopback(name: &str) -> bool {
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_surfaces() {
        assert_eq!(
            classify("amojo.kommo.com"),
            Host::Amojo {
                domain: "kommo.com"
            }
        );
        assert_eq!(
            classify("AMOJO.amocrm.ru:443"),
            Host::Amojo {
                domain: "amocrm.ru"
            }
        );
        assert_eq!(
            classify("mysub.kommo.com"),
            Host::Account {
                subdomain: "mysub".into(),
                domain: "kommo.com"
            }
        );
        assert_eq!(
            classify("api-c.kommo.com"),
            Host::Shared {
                domain: "kommo.com"
            }
        );
        assert_eq!(
            classify("www.amocrm.com"),
            Host::Shared {
                domain: "amocrm.com"
            }
        );
        assert_eq!(classify("127.0.0.1:8787"), Host::Local);
        assert_eq!(classify("[::1]:8787"), Host::Local);
        assert_eq!(classify("localhost"), Host::Local);
        for other in [
            "example.com",
            "kommo.com",
            "a.b.kommo.com",
            "evilkommo.com",
            "x_y.kommo.com",
        ] {
            assert_eq!(classify(other), Host::Other, "{other}");
        }
    }
}
