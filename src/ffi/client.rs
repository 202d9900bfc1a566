//! `jp_client`: creation, settings, release, and the thread's last error message.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::path::PathBuf;
use std::ptr;
use std::time::Duration;

use super::args::{optional_str, required_str};
use super::jp_code;
use super::macros::ffi_boundary;
use jetpack_partner_core::Client;
use jetpack_partner_core::ClientConfig;
use jetpack_partner_core::Error;

/// A partner API client (opaque). Create it with `jp_client_new`, change its settings before sharing
/// it, then use it from any number of threads at once; release it with `jp_client_free`.
pub struct jp_client {
    pub(crate) client: Client,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// Text safe to hand to C: NUL bytes replaced.
pub(crate) fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

pub(crate) fn set_last_error(error: Option<&Error>) {
    let text = error.map(|e| c_text(e.message()));
    LAST_ERROR.with(|slot| *slot.borrow_mut() = text);
}

/// Records the outcome of a client-creating or -changing call and returns its code.
pub(crate) fn config_result(result: Result<(), Error>) -> jp_code {
    match result {
        Ok(()) => {
            set_last_error(None);
            jp_code::JP_OK
        }
        Err(e) => {
            set_last_error(Some(&e));
            e.kind().into()
        }
    }
}

fn panic_result() -> jp_code {
    set_last_error(Some(&Error::internal(
        "unexpected panic inside jetpack-partner",
    )));
    jp_code::JP_INTERNAL
}

/// Applies `change` to a copy of the client's configuration and replaces the client if the result is
/// valid; the client is unchanged otherwise.
///
/// # Safety
/// `client` is NULL or a live `jp_client` not used by another thread during the call.
unsafe fn change_config(
    client: *mut jp_client,
    change: impl FnOnce(&mut ClientConfig) -> Result<(), Error>,
) -> Result<(), Error> {
    // SAFETY: NULL or a live, exclusively used jp_client per the contract.
    let Some(handle) = (unsafe { client.as_mut() }) else {
        return Err(Error::invalid_argument("client", "must not be NULL"));
    };
    let mut config = handle.client.config().clone();
    change(&mut config)?;
    handle.client = Client::new(config)?;
    Ok(())
}

/// Creates a client for the partner credentials `partner_id` / `partner_secret`, with the default
/// settings: API base `https://public-api.wordpress.com`, 60 s overall and 10 s connect time limits,
/// 3 attempts, 1 MiB reply limit, no proxy, the system's CA store. No connection is made and no
/// thread is started here: the first operation does that (so a client made before `fork()` also works
/// in the child).
///
/// On `JP_OK`, `*out` receives the new client; release it with `jp_client_free`. On failure `*out` is
/// set to NULL (when `out` is not NULL) and `jp_last_error_message()` tells why. The secret is copied;
/// the library wipes its copies from memory when they are dropped.
///
/// The partner token and the kept-alive connections belong to the process, not to the client: every
/// client with the same partner ID, secret, API base, proxy, CA bundle, time limits (the idle limit
/// included) and token cache directory uses the same ones, also after the clients before it were
/// freed (so a PHP-FPM worker that makes a client per page asks for the token once). At most 16
/// such sets of settings are kept, the least recently used
/// one forgotten first (its secret and token wiped once no client uses it); a process made by
/// `fork()` starts without any.
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
    ffi_boundary!(panic_result(), {
        if !out.is_null() {
            // SAFETY: out is writable per the contract.
            unsafe { *out = ptr::null_mut() };
        }
        let made = (|| {
            if out.is_null() {
                return Err(Error::invalid_argument("out", "must not be NULL"));
            }
            // SAFETY: strings per the contract.
            let id = unsafe { required_str(partner_id, "partner_id") }?;
            // SAFETY: as above.
            let secret = unsafe { required_str(partner_secret, "partner_secret") }?;
            let client = Client::new(ClientConfig::new(id, secret))?;
            let handle = Box::into_raw(Box::new(jp_client { client }));
            // SAFETY: out is writable and not NULL.
            unsafe { *out = handle };
            Ok(())
        })();
        config_result(made)
    })
}

/// Releases a client and wipes its copy of the secret from memory. The token and the connections it
/// used stay with the process for later clients with the same settings (see `jp_client_new`). NULL is
/// a no-op.
///
/// Thread safety: only once no other thread uses the client any more.
///
/// # Safety
/// `client` is NULL or a client from `jp_client_new` not freed before.
#[no_mangle]
pub unsafe extern "C" fn jp_client_free(client: *mut jp_client) {
    ffi_boundary!((), {
        if !client.is_null() {
            // SAFETY: created by Box::into_raw in jp_client_new and not freed before.
            drop(unsafe { Box::from_raw(client) });
        }
    })
}

/// Sets the API base URL (default `https://public-api.wordpress.com`). `https://` is required, except
/// `http://` for loopback hosts (`127.0.0.1`, `[::1]`, `localhost`), e.g. a local sandbox.
///
/// Returns `JP_OK`, or `JP_INVALID_ARGUMENT` with the reason in `jp_last_error_message()` (the client
/// is then unchanged). Thread safety: call before sharing the client between threads.
///
/// # Safety
/// `client` is NULL or a live client; `url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jp_client_set_api_base(
    client: *mut jp_client,
    url: *const c_char,
) -> jp_code {
    ffi_boundary!(panic_result(), {
        // SAFETY: url per the contract.
        let result = match unsafe { required_str(url, "url") } {
            // SAFETY: client per the contract.
            Ok(url) => unsafe {
                change_config(client, |c| {
                    c.api_base = url.to_string();
                    Ok(())
                })
            },
            Err(e) => Err(e),
        };
        config_result(result)
    })
}

/// Sets the overall time limit of one operation, token request, retries and pauses included
/// (milliseconds, 1 to 86400000; default 60000).
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (see `jp_last_error_message()`). Thread safety: call
/// before sharing the client between threads.
///
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn jp_client_set_timeout_ms(client: *mut jp_client, ms: u64) -> jp_code {
    ffi_boundary!(panic_result(), {
        // SAFETY: client per the contract.
        config_result(unsafe {
            change_config(client, |c| {
                c.timeout = Duration::from_millis(ms);
                Ok(())
            })
        })
    })
}

/// Sets the time limit to set up one connection: host name lookup, TCP, proxy tunnel and TLS
/// handshake together (milliseconds, 1 to 86400000; default 10000).
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (see `jp_last_error_message()`). Thread safety: call
/// before sharing the client between threads.
///
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn jp_client_set_connect_timeout_ms(
    client: *mut jp_client,
    ms: u64,
) -> jp_code {
    ffi_boundary!(panic_result(), {
        // SAFETY: client per the contract.
        config_result(unsafe {
            change_config(client, |c| {
                c.connect_timeout = Duration::from_millis(ms);
                Ok(())
            })
        })
    })
}

/// Sets an HTTP CONNECT proxy, `http://[user:password@]host:port`; NULL or "" removes it. The
/// environment (`HTTPS_PROXY`...) is never read.
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (see `jp_last_error_message()`). Thread safety: call
/// before sharing the client between threads.
///
/// # Safety
/// `client` is NULL or a live client; `url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jp_client_set_proxy(
    client: *mut jp_client,
    url: *const c_char,
) -> jp_code {
    ffi_boundary!(panic_result(), {
        // SAFETY: url per the contract.
        let result = match unsafe { optional_str(url, "url") } {
            // SAFETY: client per the contract.
            Ok(url) => unsafe {
                change_config(client, |c| {
                    c.proxy = url.filter(|u| !u.is_empty()).map(str::to_string);
                    Ok(())
                })
            },
            Err(e) => Err(e),
        };
        config_result(result)
    })
}

/// Adds the CA certificates of a PEM file to the system's trust store (for a TLS-intercepting proxy
/// or a private CA); NULL or "" removes it. The file is read now.
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (unreadable file, no certificate; see
/// `jp_last_error_message()`). Thread safety: call before sharing the client between threads.
///
/// # Safety
/// `client` is NULL or a live client; `pem_path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jp_client_set_ca_bundle(
    client: *mut jp_client,
    pem_path: *const c_char,
) -> jp_code {
    ffi_boundary!(panic_result(), {
        // SAFETY: pem_path per the contract.
        let result = match unsafe { optional_str(pem_path, "pem_path") } {
            // SAFETY: client per the contract.
            Ok(path) => unsafe {
                change_config(client, |c| {
                    c.ca_bundle = path.filter(|p| !p.is_empty()).map(PathBuf::from);
                    Ok(())
                })
            },
            Err(e) => Err(e),
        };
        config_result(result)
    })
}

/// Sets a directory where the partner token is kept between processes (NULL or "" for none, the
/// default): processes with the same partner ID and API base then ask for the token once between
/// them. The directory must exist; the file the library writes there is readable by its owner only
/// (mode 0600), written whole then renamed into place, and never holds the secret. A cached token
/// the server refuses is removed and replaced once.
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (not an existing directory; see
/// `jp_last_error_message()`). Thread safety: call before sharing the client between threads.
///
/// # Safety
/// `client` is NULL or a live client; `dir` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jp_client_set_token_cache_dir(
    client: *mut jp_client,
    dir: *const c_char,
) -> jp_code {
    ffi_boundary!(panic_result(), {
        // SAFETY: dir per the contract.
        let result = match unsafe { optional_str(dir, "dir") } {
            // SAFETY: client per the contract.
            Ok(dir) => unsafe {
                change_config(client, |c| {
                    c.token_cache_dir = dir.filter(|d| !d.is_empty()).map(PathBuf::from);
                    Ok(())
                })
            },
            Err(e) => Err(e),
        };
        config_result(result)
    })
}

/// Sets how long a kept connection may stay unused and still be used again (milliseconds, 1 to
/// 86400000; default 75000). A server that announces a shorter `Keep-Alive: timeout` shortens it
/// (by a further second, so that a request never races the server closing the connection).
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (see `jp_last_error_message()`). Thread safety: call
/// before sharing the client between threads.
///
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn jp_client_set_idle_timeout_ms(client: *mut jp_client, ms: u64) -> jp_code {
    ffi_boundary!(panic_result(), {
        // SAFETY: client per the contract.
        config_result(unsafe {
            change_config(client, |c| {
                c.idle_timeout = Duration::from_millis(ms);
                Ok(())
            })
        })
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
    ffi_boundary!(panic_result(), {
        // SAFETY: NULL or a live client per the contract.
        let result = match unsafe { client.as_ref() } {
            Some(handle) => handle.client.warm(),
            None => Err(Error::invalid_argument("client", "must not be NULL")),
        };
        config_result(result)
    })
}

/// Sets how many HTTP attempts one operation may make, the first included (1 to 10; default 3).
/// Retries happen only when repeating cannot do harm (see the README's "Failure behaviour").
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (see `jp_last_error_message()`). Thread safety: call
/// before sharing the client between threads.
///
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn jp_client_set_max_attempts(
    client: *mut jp_client,
    attempts: u32,
) -> jp_code {
    ffi_boundary!(panic_result(), {
        // SAFETY: client per the contract.
        config_result(unsafe {
            change_config(client, |c| {
                c.max_attempts = attempts;
                Ok(())
            })
        })
    })
}

/// Sets the largest accepted reply body in bytes (1 to 1 GiB; default 1 MiB). A larger reply gives
/// `JP_RESPONSE_TOO_LARGE`.
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT` (see `jp_last_error_message()`). Thread safety: call
/// before sharing the client between threads.
///
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn jp_client_set_max_response_bytes(
    client: *mut jp_client,
    bytes: u64,
) -> jp_code {
    ffi_boundary!(panic_result(), {
        // SAFETY: client per the contract.
        config_result(unsafe {
            change_config(client, |c| {
                c.max_response_bytes = bytes;
                Ok(())
            })
        })
    })
}

/// Why the last failed `jp_client_new`, `jp_client_set_*`, `jp_site_identifier`,
/// `jp_oauth_authorize_url` or `jp_set_log_callback` call of this thread failed, or NULL if the last such call succeeded or none was made. The text is the message alone, as
/// `jp_response_error_message` gives it: for `JP_INVALID_ARGUMENT` it starts with the argument's name
/// (`"partner_id: must not be empty"`); the function's return code tells the kind of failure.
///
/// Ownership: borrowed from the library; valid until the next `jp_` call on this thread; never free
/// it. Thread safety: each thread has its own.
#[no_mangle]
pub extern "C" fn jp_last_error_message() -> *const c_char {
    ffi_boundary!(ptr::null(), {
        LAST_ERROR.with(|slot| match slot.borrow().as_ref() {
            Some(text) => text.as_ptr(),
            None => ptr::null(),
        })
    })
}
