//! Provision and cancel Jetpack plans through WordPress.com's hosting-partner API.
//!
//! A synchronous client: [`Client::provision`], [`Client::cancel`], [`Client::partner_key_new`],
//! [`Client::status`] and the rest of the partner API (status v1.2, upgrade paths, errors, key
//! verification), reporting with a user token ([`Client::activations`], [`Client::activations_iter`],
//! invoices), WordPress.com OAuth2 for users ([`oauth`], [`Client::exchange_code`],
//! [`Client::token_info`]), the Licensing API ([`Client::license_issue`]...) and a generic request
//! for any other endpoint ([`Client::request`]). The partner token is asked for once and shared by every call and thread of a
//! client; transient failures are retried only when repeating cannot do harm; every failure has a
//! stable [`Error::code`]. The C library (the workspace's root package) exposes the same
//! client to C, PHP and Python.
//!
//! ```no_run
//! use jetpack_partner_core::{Client, ClientConfig, Options};
//!
//! let client = Client::new(ClientConfig::new("12345", "partner-secret"))?;
//! let reply = client.provision("admin", "https://example.com", Some("premium"), &Options::new())?;
//! println!("{}", reply.body);
//! # Ok::<(), jetpack_partner_core::Error>(())
//! ```

#![forbid(unsafe_code)]

// Modules by role, dependencies running one way (`tests/layout.rs` keeps it so): the calls (`api`,
// a file per API area, and `batch`) use the client (`client`: configuration, the call loop), which
// uses the plumbing (`token`, then `http`); any of them may use the leaves (`site`, `validate`,
// `log`, `secret`, `error`), which use nothing above them.
mod api;
pub mod batch;
mod client;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod log;
mod secret;
mod site;
mod token;
mod validate;

pub use api::{oauth, Activations, ApiRequest, Auth, Options};
pub use client::{
    Client, ClientConfig, Reply, ReplyText, DEFAULT_API_BASE, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
};
pub use error::{Error, ErrorKind};
pub use http::retry::Backoff;
pub use log::{set_global_sink, GlobalSink, LogSink};
pub use secret::{extend_wiping, Secret};
pub use site::site_identifier;

/// The library's version (`MAJOR.MINOR.PATCH`), the same as the C header's `JP_VERSION`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
