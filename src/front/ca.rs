//! The sandbox's local certificate authority: made once, kept in the data
//! directory, and used to sign a leaf certificate for each Kommo hostname the
//! moment a client first asks for it (by SNI or `CONNECT`).

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::hosts;

const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca-key.pem";
const CA_NAME: &str = "kommo-sandbox local CA";

/// The CA and the leaf certificates signed so far, one per hostname.
pub struct LocalCa {
    cert_path: PathBuf,
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
    leaves: parking_lot::Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalCa")
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

impl LocalCa {
    /// Loads the CA kept in `dir`, or makes one there (key readable by the owner only).
    pub fn load_or_create(dir: &Path) -> Result<LocalCa, String> {
        let cert_path = dir.join(CA_CERT);
        let key_path = dir.join(CA_KEY);
        let at = |e: &dyn fmt::Display, p: &Path| format!("{}: {e}", p.display());
        if !cert_path.exists() || !key_path.exists() {
            std::fs::create_dir_all(dir).map_err(|e| at(&e, dir))?;
            let (cert, key) = new_ca()?;
            write_private(&key_path, &key).map_err(|e| at(&e, &key_path))?;
            std::fs::write(&cert_path, &cert).map_err(|e| at(&e, &cert_path))?;
        }
        let cert_pem = std::fs::read_to_string(&cert_path).map_err(|e| at(&e, &cert_path))?;
        let key_pem = std::fs::read_to_string(&key_path).map_err(|e| at(&e, &key_path))?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| at(&e, &key_path))?;
        let issuer = Issuer::from_ca_cert_pem(&cert_pem, key).map_err(|e| at(&e, &cert_path))?;
        Ok(LocalCa {
            cert_path,
            cert_pem,
            issuer,
            leaves: Default::default(),
        })
    }

    /// Where the CA certificate is, for `SSL_CERT_FILE` and the like.
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The leaf for `host`, signed now if this is its first use.
    pub fn leaf(&self, host: &str) -> Result<Arc<CertifiedKey>, String> {
        let host = host.to_ascii_lowercase();
        if let Some(leaf) = self.leaves.lock().get(&host) {
            return Ok(leaf.clone());
        }
        let leaf = Arc::new(self.sign_leaf(&host)?);
        self.leaves.lock().insert(host, leaf.clone());
        Ok(leaf)
    }

    fn sign_leaf(&self, host: &str) -> Result<CertifiedKey, String> {
        let mut params =
            CertificateParams::new(vec![host.to_string()]).map_err(|e| e.to_string())?;
        params.distinguished_name = name(host);
        params.subject_alt_names = vec![SanType::DnsName(
            host.to_string()
                .try_into()
                .map_err(|e| format!("{host}: {e}"))?,
        )];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        // Clients check leaves against real time, not the sandbox clock; a leaf
        // lives as long as the process that made it.
        set_validity(&mut params, 1, 365);
        let key = KeyPair::generate().map_err(|e| e.to_string())?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| e.to_string())?;
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let signer =
            rustls::crypto::ring::sign::any_supported_type(&der).map_err(|e| e.to_string())?;
        Ok(CertifiedKey::new(
            vec![CertificateDer::from(cert.der().to_vec())],
            signer,
        ))
    }
}

/// Chooses the leaf by SNI; a client that sends none, or names a host the
/// sandbox does not serve, gets no certificate and the handshake fails.
impl ResolvesServerCert for LocalCa {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let host = hello.server_name()?;
        hosts::classify(host)
            .is_kommo()
            .then(|| self.leaf(host).ok())?
    }
}

fn new_ca() -> Result<(String, String), String> {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(CA_NAME);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    set_validity(&mut params, 1, 10 * 365);
    let key = KeyPair::generate().map_err(|e| e.to_string())?;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn name(common: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "kommo-sandbox");
    dn.push(DnType::CommonName, common);
    dn
}

/// Valid from `days_before` days ago to `days_after` days ahead, by the real clock.
fn set_validity(params: &mut CertificateParams, days_before: i64, days_after: i64) {
    use chrono::Datelike;
    let day = |offset: i64| {
        let d = chrono::Utc::now().date_naive() + chrono::Duration::days(offset);
        rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    };
    params.not_before = day(-days_before);
    params.not_after = day(days_after);
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_is_kept_and_signs_leaves_for_kommo_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let first = LocalCa::load_or_create(dir.path()).unwrap();
        let again = LocalCa::load_or_create(dir.path()).unwrap();
        assert_eq!(first.cert_pem(), again.cert_pem());
        let leaf = again.leaf("Mysub.Kommo.com").unwrap();
        assert_eq!(leaf.cert.len(), 1);
        assert!(Arc::ptr_eq(&leaf, &again.leaf("mysub.kommo.com").unwrap()));
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(dir.path().join(CA_KEY))
                .unwrap()
                .permissions(),
        );
        assert_eq!(mode & 0o077, 0);
    }
}
