//! Which certificate authorities the TLS connections trust: the system's store (read once per process,
//! on the first https client) plus the configured extra CAs, or, with neither, the Mozilla roots
//! compiled into ureq.

use std::sync::OnceLock;

use rustls::pki_types::CertificateDer;
use ureq::tls::{Certificate, RootCerts};

/// The system's trust store, read on first use and kept for the life of the process.
fn system_roots() -> &'static [Certificate<'static>] {
    static ROOTS: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        rustls_native_certs::load_native_certs()
            .certs
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect()
    })
}

/// The roots for connections to the API host.
pub(crate) fn root_certs(extra: &[CertificateDer<'static>]) -> RootCerts {
    let system = system_roots();
    if system.is_empty() && extra.is_empty() {
        return RootCerts::WebPki;
    }
    let extra = extra
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned());
    RootCerts::new_with_certs(&system.iter().cloned().chain(extra).collect::<Vec<_>>())
}
