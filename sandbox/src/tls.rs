//! HTTPS: the server certificate (given as PEM files, or made at start-up
//! with its own CA written to a file), and the TLS session over a socket.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Names a generated certificate is valid for, besides any the caller adds:
/// loopback, and the API host that unmodified clients insist on.
pub const DEFAULT_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1", "public-api.wordpress.com"];

/// Where the server certificate comes from.
#[derive(Clone, Debug)]
pub enum TlsSource {
    /// A certificate chain and its private key, PEM files.
    Files { cert: PathBuf, key: PathBuf },
    /// A certificate made at start-up for [`DEFAULT_NAMES`] plus `names`,
    /// signed by a new CA whose certificate (PEM) is written to `ca_out`.
    Generate { ca_out: PathBuf, names: Vec<String> },
}

/// The TLS setup of a running sandbox.
pub struct Tls {
    pub config: Arc<ServerConfig>,
    /// The generated CA certificate (PEM), when the sandbox made its own.
    pub ca_pem: Option<String>,
}

pub fn load(source: &TlsSource) -> Result<Tls, String> {
    let (chain, key, ca_pem) = match source {
        TlsSource::Files { cert, key } => {
            let chain = CertificateDer::pem_file_iter(cert)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("cannot read the certificate {}: {e}", cert.display()))?;
            if chain.is_empty() {
                return Err(format!("no certificate in {}", cert.display()));
            }
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("cannot read the private key {}: {e}", key.display()))?;
            (chain, key, None)
        }
        TlsSource::Generate { ca_out, names } => {
            let (chain, key, ca_pem) = generate(names)?;
            write_ca(ca_out, &ca_pem)?;
            (chain, key, Some(ca_pem))
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and key do not fit together: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        config: Arc::new(config),
        ca_pem,
    })
}

type Generated = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>, String);

fn generate(extra_names: &[String]) -> Result<Generated, String> {
    let fail = |e: rcgen::Error| format!("cannot make a certificate: {e}");
    let ca_key = KeyPair::generate().map_err(fail)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "jetpack-partner-sandbox local CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).map_err(fail)?;

    let mut names: Vec<String> = DEFAULT_NAMES.iter().map(|s| s.to_string()).collect();
    for n in extra_names {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    // IP addresses become IP SANs, the rest DNS names.
    let mut leaf = CertificateParams::new(names).map_err(fail)?;
    leaf.distinguished_name
        .push(DnType::CommonName, "jetpack-partner-sandbox");
    let leaf_key = KeyPair::generate().map_err(fail)?;
    let issuer = Issuer::from_params(&ca, &ca_key);
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(fail)?;
    Ok((
        vec![leaf_cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        ca_cert.pem(),
    ))
}

fn write_ca(path: &Path, pem: &str) -> Result<(), String> {
    std::fs::write(path, pem)
        .map_err(|e| format!("cannot write the CA certificate to {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_certificate_names_loopback_and_the_api_host() {
        let (chain, _, ca) = generate(&["sandbox.test".into()]).unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(chain.len(), 1);
        let der = chain[0].as_ref();
        for name in [
            &b"public-api.wordpress.com"[..],
            b"localhost",
            b"sandbox.test",
        ] {
            assert!(der.windows(name.len()).any(|w| w == name));
        }
        // 127.0.0.1 as an IP SAN (4 raw bytes after the [7] tag and length 4).
        assert!(der.windows(6).any(|w| w == [0x87, 4, 127, 0, 0, 1]));
    }
}
