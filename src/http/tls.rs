//! The TLS configuration: rustls with the ring provider, trusting the system's store plus the
//! configured extra CAs (or, with neither, the Mozilla roots compiled into the library).

use std::sync::{Arc, OnceLock};

use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// The system's trust store, read once per process.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// The client configuration for connections to the API host.
pub(crate) fn client_config(extra: &[CertificateDer<'static>]) -> Result<ClientConfig, String> {
    let system = system_roots();
    let mut roots = RootCertStore::empty();
    if system.is_empty() && extra.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    } else {
        // Unparsable system certificates are skipped, as every TLS client does.
        roots.add_parsable_certificates(system.iter().cloned());
        for cert in extra {
            roots
                .add(cert.clone())
                .map_err(|e| format!("an extra CA cannot be used: {e}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // Connections are kept open and reused, so resuming sessions would save little; without it no
    // session tickets (secrets) are kept in memory.
    config.resumption = rustls::client::Resumption::disabled();
    Ok(config)
}
