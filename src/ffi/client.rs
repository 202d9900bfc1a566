//! `jp_client` and `jp_client_builder`: a client's settings are gathered in a builder, which makes
//! clients that cannot change, so a client shared between threads is never written to.

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use super::args::{client_ref, optional_str, required_str};
use super::deliver::{hand_over, last_error_message, panic_reported, report, Out};
use super::jp_code;
use super::macros::ffi_boundary;
use jetpack_partner_core::Client;
use jetpack_partner_core::ClientConfig;
use jetpack_partner_core::Error;

/// A partner API client (opaque), made by `jp_client_new` or `jp_client_builder_build`. Its settings
/// are fixed when it is made: no function changes a client, so any number of threads may use one
/// client at once, with every function that takes a `const jp_client *`. Release it with
/// `jp_client_free` once no thread uses it any more.
pub struct jp_client {
    pub(crate) client: Client,
}

/// The settings of the clients to be made (opaque): the partner credentials given to
/// `jp_client_builder_new`, and the settings the `jp_client_builder_set_*` functions change from
/// their defaults. `jp_client_builder_build` makes a client with them and leaves the builder as it
/// was: build as many clients as needed, then release the builder with `jp_client_builder_free`.
///
/// Each setter checks the settings at once and leaves the builder unchanged when it refuses a value.
/// A builder is used by one thread at a time.
pub struct jp_client_builder {
    config: ClientConfig,
}

impl jp_client_builder {
    /// Applies `change` to a copy of the settings and keeps the copy if a client can be made with
    /// it (the checks of `Client::new`, which reads a CA bundle file, but connects nowhere).
    fn change(&mut self, change: impl FnOnce(&mut ClientConfig)) -> Result<(), Error> {
        let mut config = self.config.clone();
        change(&mut config);
        Client::new(config.clone())?;
        self.config = config;
        Ok(())
    }
}

/// The settings of a new client: the credentials (not checked yet) and the defaults.
///
/// # Safety
/// Each argument is NULL or a NUL-terminated string.
unsafe fn credentials(
    partner_id: *const c_char,
    partner_secret: *const c_char,
) -> Result<ClientConfig, Error> {
    // SAFETY: forwarded contract.
    let id = unsafe { required_str(partner_id, "partner_id") }?;
    // SAFETY: as above.
    let secret = unsafe { required_str(partner_secret, "partner_secret") }?;
    Ok(ClientConfig::new(id, secret))
}

/// # Safety
/// `builder` is NULL or a live builder used by no other thread during the call.
unsafe fn builder_mut<'a>(
    builder: *mut jp_client_builder,
) -> Result<&'a mut jp_client_builder, Error> {
    // SAFETY: NULL or live and not shared, per the contract.
    unsafe { builder.as_mut() }
        .ok_or_else(|| Error::invalid_argument("builder", "must not be NULL"))
}

/// Creates a client for the partner credentials `partner_id` / `partner_secret`, with the default
/// settings: API base `https://public-api.wordpress.com`, 60 s overall and 10 s connect time limits,
/// 75 s idle limit, 3 attempts, 1 MiB reply limit, no proxy, the system's CA store, no token cache.
/// For other settings, use `jp_client_builder_new` instead. No connection is made and no thread is
/// started here: the first operation does that (so a client made before `fork()` also works in the
/// child).
///
/// On `JP_OK`, `*out` receives the new client; release it with `jp_client_free`. On failure `*out` is
/// set to NULL (when `out` is not NULL) and `jp_last_error_message()` tells why. The secret is copied;
/// the library wipes its copies from memory when they are dropped.
///
/// The partner token and the kept-alive connections belong to the process, not to the client: every
/// client with the same partner ID, secret, API base, proxy, CA bundle, time limits (the idle limit
/// included) and token cache directory uses the same ones, also after the clients before it were
/// freed (so a PHP-FPM worker that makes a client per page asks for the token once). At most 16
/// such sets of settings are kept, the least recently used one forgotten first (its secret and token
/// wiped once no client uses it); a process made by `fork()` starts without any.
///
/// Thread safety: any thread.
///
/// # Safety
/// Each string argument is NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_client_new(
    partner_id: *const c_char,
    partner_secret: *const c_char,
    out: *mut *mut jp_client,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_reported(), {
        hand_over(out, || {
            // SAFETY: strings per the contract.
            let config = unsafe { credentials(partner_id, partner_secret) }?;
            Ok(Box::new(jp_client {
                client: Client::new(config)?,
            }))
        })
    })
}

/// Creates a builder holding the partner credentials `partner_id` / `partner_secret` and the default
/// settings of `jp_client_new`; change them with the `jp_client_builder_set_*` functions, then make
/// clients with `jp_client_builder_build`. The credentials are checked as `jp_client_new` checks
/// them.
///
/// On `JP_OK`, `*out` receives the new builder; release it with `jp_client_builder_free`. On failure
/// `*out` is set to NULL (when `out` is not NULL) and `jp_last_error_message()` tells why. The secret
/// is copied; the library wipes its copies from memory when they are dropped.
///
/// Thread safety: any thread.
///
/// # Safety
/// Each string argument is NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_client_builder_new(
    partner_id: *const c_char,
    partner_secret: *const c_char,
    out: *mut *mut jp_client_builder,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_reported(), {
        hand_over(out, || {
            // SAFETY: strings per the contract.
            let config = unsafe { credentials(partner_id, partner_secret) }?;
            // Checked as jp_client_new checks them, so that a wrong credential is told here.
            Client::new(config.clone())?;
            Ok(Box::new(jp_client_builder { config }))
        })
    })
}

/// Sets the API base URL (default `https://public-api.wordpress.com`). `https://` is required, except
/// `http://` for loopback hosts (`127.0.0.1`, `[::1]`, `localhost`), e.g. a local sandbox.
///
/// Returns `JP_OK`, or `JP_INVALID_ARGUMENT` with the reason in `jp_last_error_message()` (the
/// builder is then unchanged). Thread safety: the builder's thread only.
///
/// # Safety
/// `builder` is NULL or a live builder; `url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jp_client_builder_set_api_base(
    builder: *mut jp_client_builder,
    url: *const c_char,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY (both): arguments per the contract.
            let builder = unsafe { builder_mut(builder) }?;
            let url = unsafe { required_str(url, "url") }?;
            builder.change(|c| c.api_base = url.to_string())
        })
    })
}

/// Sets the overall time limit of one operation, token request, retries and pauses included
/// (milliseconds, 1 to 86400000; default 60000).
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (see `jp_last_error_message()`; the builder is then
/// unchanged). Thread safety: the builder's thread only.
///
/// # Safety
/// `builder` is NULL or a live builder.
#[no_mangle]
pub unsafe extern "C" fn jp_client_builder_set_timeout_ms(
    builder: *mut jp_client_builder,
    ms: u64,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY: builder per the contract.
            let builder = unsafe { builder_mut(builder) }?;
            builder.change(|c| c.timeout = Duration::from_millis(ms))
        })
    })
}

/// Sets the time limit to set up one connection: host name lookup, TCP, proxy tunnel and TLS
/// handshake together (milliseconds, 1 to 86400000; default 10000).
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (see `jp_last_error_message()`; the builder is then
/// unchanged). Thread safety: the builder's thread only.
///
/// # Safety
/// `builder` is NULL or a live builder.
#[no_mangle]
pub unsafe extern "C" fn jp_client_builder_set_connect_timeout_ms(
    builder: *mut jp_client_builder,
    ms: u64,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY: builder per the contract.
            let builder = unsafe { builder_mut(builder) }?;
            builder.change(|c| c.connect_timeout = Duration::from_millis(ms))
        })
    })
}

/// Sets how long a kept connection may stay unused and still be used again (milliseconds, 1 to
/// 86400000; default 75000). A server that announces a shorter `Keep-Alive: timeout` shortens it
/// (by a further second, so that a request never races the server closing the connection).
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (see `jp_last_error_message()`; the builder is then
/// unchanged). Thread safety: the builder's thread only.
///
/// # Safety
/// `builder` is NULL or a live builder.
#[no_mangle]
pub unsafe extern "C" fn jp_client_builder_set_idle_timeout_ms(
    builder: *mut jp_client_builder,
    ms: u64,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY: builder per the contract.
            let builder = unsafe { builder_mut(builder) }?;
            builder.change(|c| c.idle_timeout = Duration::from_millis(ms))
        })
    })
}

/// Sets an HTTP CONNECT proxy, `http://[user:password@]host:port`; NULL or "" removes it. The
/// environment (`HTTPS_PROXY`...) is never read.
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (see `jp_last_error_message()`; the builder is then
/// unchanged). Thread safety: the builder's thread only.
///
/// # Safety
/// `builder` is NULL or a live builder; `url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jp_client_builder_set_proxy(
    builder: *mut jp_client_builder,
    url: *const c_char,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY (both): arguments per the contract.
            let builder = unsafe { builder_mut(builder) }?;
            let url = unsafe { optional_str(url, "url") }?;
            builder.change(|c| c.proxy = url.filter(|u| !u.is_empty()).map(str::to_string))
        })
    })
}

/// Adds the CA certificates of a PEM file to the system's trust store (for a TLS-intercepting proxy
/// or a private CA); NULL or "" removes it. The file is read now, to check it, and again by
/// `jp_client_builder_build`.
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (unreadable file, no certificate; see
/// `jp_last_error_message()`; the builder is then unchanged). Thread safety: the builder's thread
/// only.
///
/// # Safety
/// `builder` is NULL or a live builder; `pem_path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jp_client_builder_set_ca_bundle(
    builder: *mut jp_client_builder,
    pem_path: *const c_char,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY (both): arguments per the contract.
            let builder = unsafe { builder_mut(builder) }?;
            let path = unsafe { optional_str(pem_path, "pem_path") }?;
            builder.change(|c| c.ca_bundle = path.filter(|p| !p.is_empty()).map(PathBuf::from))
        })
    })
}

/// Sets a directory where the partner token is kept between processes (NULL or "" for none, the
/// default): processes with the same partner ID and API base then ask for the token once between
/// them. The directory must exist; the file the library writes there is readable by its owner only
/// (mode 0600), written whole then renamed into place, and never holds the secret. A cached token
/// the server refuses is removed and replaced once.
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (not an existing directory; see
/// `jp_last_error_message()`; the builder is then unchanged). Thread safety: the builder's thread
/// only.
///
/// # Safety
/// `builder` is NULL or a live builder; `dir` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jp_client_builder_set_token_cache_dir(
    builder: *mut jp_client_builder,
    dir: *const c_char,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY (both): arguments per the contract.
            let builder = unsafe { builder_mut(builder) }?;
            let dir = unsafe { optional_str(dir, "dir") }?;
            builder.change(|c| c.token_cache_dir = dir.filter(|d| !d.is_empty()).map(PathBuf::from))
        })
    })
}

/// Sets how many HTTP attempts one operation may make, the first included (1 to 10; default 3).
/// Retries happen only when repeating cannot do harm (see the README's "Failure behaviour").
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (see `jp_last_error_message()`; the builder is then
/// unchanged). Thread safety: the builder's thread only.
///
/// # Safety
/// `builder` is NULL or a live builder.
#[no_mangle]
pub unsafe extern "C" fn jp_client_builder_set_max_attempts(
    builder: *mut jp_client_builder,
    attempts: u32,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY: builder per the contract.
            let builder = unsafe { builder_mut(builder) }?;
            builder.change(|c| c.max_attempts = attempts)
        })
    })
}

/// Sets the largest accepted reply body in bytes (1 to 1 GiB; default 1 MiB). A larger reply gives
/// `JP_RESPONSE_TOO_LARGE`.
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (see `jp_last_error_message()`; the builder is then
/// unchanged). Thread safety: the builder's thread only.
///
/// # Safety
/// `builder` is NULL or a live builder.
#[no_mangle]
pub unsafe extern "C" fn jp_client_builder_set_max_response_bytes(
    builder: *mut jp_client_builder,
    bytes: u64,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY: builder per the contract.
            let builder = unsafe { builder_mut(builder) }?;
            builder.change(|c| c.max_response_bytes = bytes)
        })
    })
}

/// Makes a client with the builder's credentials and settings. The builder is not consumed: it stays
/// as it was, for more clients or further changes that do not affect the clients already made, and
/// is still released with `jp_client_builder_free`.
///
/// On `JP_OK`, `*out` receives the new client; release it with `jp_client_free`. On failure `*out` is
/// set to NULL (when `out` is not NULL) and `jp_last_error_message()` tells why: a NULL argument, or
/// a CA bundle file or token cache directory gone since it was set (both are checked again). No
/// connection is made and no thread is started (see `jp_client_new`).
///
/// Thread safety: any thread, several at once on one builder, as long as no thread changes it
/// meanwhile.
///
/// # Safety
/// `builder` is NULL or a live builder; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_client_builder_build(
    builder: *const jp_client_builder,
    out: *mut *mut jp_client,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_reported(), {
        hand_over(out, || {
            // SAFETY: NULL or a live builder per the contract.
            let builder = unsafe { builder.as_ref() }
                .ok_or_else(|| Error::invalid_argument("builder", "must not be NULL"))?;
            Ok(Box::new(jp_client {
                client: Client::new(builder.config.clone())?,
            }))
        })
    })
}

/// Releases a builder and wipes its copy of the secret from memory; the clients it made are not
/// affected. NULL is a no-op.
///
/// Thread safety: the builder's thread only.
///
/// # Safety
/// `builder` is NULL or a builder from `jp_client_builder_new` not freed before.
#[no_mangle]
pub unsafe extern "C" fn jp_client_builder_free(builder: *mut jp_client_builder) {
    ffi_boundary!((), {
        if !builder.is_null() {
            // SAFETY: made by Box::into_raw in jp_client_builder_new and not freed before.
            drop(unsafe { Box::from_raw(builder) });
        }
    })
}

/// Gets the client ready for calls: asks for the partner token now if the process (or the token
/// cache directory) has none for these settings; the token request leaves its connection kept open
/// for the calls that follow. With a token at hand it sends nothing (no request is made on the API's
/// account just to open a connection). Bounded by the client's overall time limit.
///
/// Returns `JP_OK`, or the code of the token request's failure (`JP_TOKEN_ERROR`,
/// `JP_TRANSPORT_ERROR`, `JP_TIMEOUT`, `JP_TLS_ERROR`, ...) with `jp_last_error_message()` saying
/// why. Thread safety: any thread, concurrently with operations on the same client.
///
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn jp_client_warm(client: *const jp_client) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY: client per the contract.
            unsafe { client_ref(client) }?.client.warm()
        })
    })
}

/// Gets the client ready on a thread of the library's own, returning at once: for a caller with
/// other work to do before its first call (a page that reads its database), which the round trips
/// then overlap. Asks for the token as `jp_client_warm` does if there is none at hand, and when no
/// connection is likely kept from a recent reply, opens one (TCP, TLS; not through a proxy) for
/// the next operation, sending nothing on it. An operation made meanwhile waits for the token and
/// the connection rather than asking or opening again. A failure is not reported here (only to the
/// log): the next operation meets it and reports it.
///
/// Returns `JP_OK`, or `JP_INVALID_ARGUMENT` when `client` is NULL. Thread safety: any thread,
/// concurrently with operations on the same client; the client may be freed while the warm-up runs.
///
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn jp_client_warm_in_background(client: *const jp_client) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY: client per the contract.
            unsafe { client_ref(client) }?.client.warm_in_background();
            Ok(())
        })
    })
}

/// Releases a client and wipes its copy of the secret from memory. The token and the connections it
/// used stay with the process for later clients with the same settings (see `jp_client_new`). NULL is
/// a no-op.
///
/// Thread safety: only once no other thread uses the client any more.
///
/// # Safety
/// `client` is NULL or a client from `jp_client_new` or `jp_client_builder_build` not freed before.
#[no_mangle]
pub unsafe extern "C" fn jp_client_free(client: *mut jp_client) {
    ffi_boundary!((), {
        if !client.is_null() {
            // SAFETY: made by Box::into_raw in jp_client_new or jp_client_builder_build, and not
            // freed before.
            drop(unsafe { Box::from_raw(client) });
        }
    })
}

/// Why the last failed call of this thread among those that give no `jp_response` failed
/// (`jp_client_new`, `jp_client_builder_*`, `jp_client_warm`, `jp_client_warm_in_background`,
/// `jp_batch_new`, `jp_batch_set_*`,
/// `jp_batch_add_*`, `jp_batch_start`, `jp_batch_next`, `jp_batch_run`, `jp_reconcile`,
/// `jp_site_identifier`, `jp_oauth_authorize_url`, `jp_set_log_callback`); NULL if the last such
/// call succeeded or none was made. The text is the message alone, as `jp_response_error_message`
/// gives it: for `JP_INVALID_ARGUMENT` it starts with the argument's name (`"partner_id: must not be
/// empty"`); the function's return code tells the kind of failure.
///
/// Ownership: borrowed from the library; valid until the next `jp_` call on this thread; never free
/// it. Thread safety: each thread has its own.
#[no_mangle]
pub extern "C" fn jp_last_error_message() -> *const c_char {
    ffi_boundary!(std::ptr::null(), { last_error_message() })
}
