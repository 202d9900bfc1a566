//! What the HTTP layer takes from a client's checked configuration.

use std::time::Duration;

use rustls::pki_types::CertificateDer;

/// The settings an agent is made with, and the per-call limits of an exchange.
#[derive(Clone)]
pub(crate) struct HttpSettings {
    /// Scheme, authority and path prefix, without a trailing `/`.
    pub api_base: String,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub proxy: Option<ureq::Proxy>,
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub idle_timeout: Duration,
    pub max_response_bytes: u64,
}
