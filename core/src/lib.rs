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

#![deny(unsafe_code)]

pub mod batch;
mod client;
mod config;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod http_client;
mod licensing;
mod log;
pub mod oauth;
mod operations;
mod options;
mod proxy;
mod reply;
mod reporting;
mod request;
mod resolve;
mod retry;
mod secret;
mod shared;
mod site;
mod spare_connections;
mod token;
mod token_file;
mod transport;
mod trust;
mod validate;

pub use client::{Client, Reply, ReplyText};
pub use config::{
    Backoff, ClientConfig, DEFAULT_API_BASE, DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
};
pub use error::{Error, ErrorKind};
pub use log::{set_global_sink, GlobalSink, LogSink};
pub use options::Options;
pub use reporting::Activations;
pub use request::{ApiRequest, Auth};
pub use secret::{extend_wiping, Secret};
pub use site::site_identifier;

/// The library's version (`MAJOR.MINOR.PATCH`), the same as the C header's `JP_VERSION`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
