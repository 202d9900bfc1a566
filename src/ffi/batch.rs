//! `jp_batch`: many provisions and cancels with several calls in flight, results as JSON text,
//! through a callback (`jp_batch_run`) or by polling (`jp_batch_start`, `jp_batch_next`).

use std::ffi::{c_char, c_void};
use std::path::PathBuf;
use std::time::Duration;

use super::args::{client_ref, optional_str, options, required_str};
use super::client::jp_client;
use super::deliver::{c_text, hand_over, panic_reported, report, Out};
use super::jp_code;
use super::macros::ffi_boundary;
use jetpack_partner_core::batch::{BatchItem, BatchOptions, BatchRun, MAX_CONCURRENCY};
use jetpack_partner_core::Client;
use jetpack_partner_core::Error;

/// Calls in flight of a new batch.
pub const JP_BATCH_DEFAULT_CONCURRENCY: u32 = 8;
/// The most calls in flight `jp_batch_set_concurrency` accepts.
pub const JP_BATCH_MAX_CONCURRENCY: u32 = 64;
/// `wait_ms` of `jp_batch_next` that waits as long as it takes.
pub const JP_BATCH_WAIT_FOREVER: u32 = u32::MAX;

/// A batch of provisions and cancels (opaque). Made with `jp_batch_new`, filled with
/// `jp_batch_add_provision` / `jp_batch_add_cancel`, run once with `jp_batch_run` or
/// `jp_batch_start` + `jp_batch_next`, released with `jp_batch_free`.
pub struct jp_batch {
    client: Client,
    items: Vec<BatchItem>,
    options: BatchOptions,
    run: Option<BatchRun>,
}

/// Called by `jp_batch_run` for each result, on the thread that called `jp_batch_run`.
/// `result_json` is borrowed for the duration of the call (copy it to keep it):
/// `{"index", "key", "operation", "site", "outcome", "reply"?, "error"?: {code, message, http_status}}`,
/// `outcome` one of `done`, `confirmed`, `already_done`, `failed`, `unknown`. Return true to go on,
/// false to stop the batch (calls in flight finish; no new item starts).
pub type jp_batch_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, result_json: *const c_char) -> bool>;

/// # Safety
/// `batch` is NULL or a live batch used by no other thread during the call.
unsafe fn batch_mut<'a>(batch: *mut jp_batch) -> Result<&'a mut jp_batch, Error> {
    // SAFETY: NULL or live and exclusive per the contract.
    unsafe { batch.as_mut() }.ok_or_else(|| Error::invalid_argument("batch", "must not be NULL"))
}

fn not_started(batch: &jp_batch) -> Result<(), Error> {
    match batch.run {
        None => Ok(()),
        Some(_) => Err(Error::invalid_argument("batch", "already started")),
    }
}

/// Makes an empty batch that uses `client`'s settings, partner token and connections (the client
/// may be freed afterwards). Concurrency 8, no journal.
///
/// On `JP_OK`, `*out` receives the batch; release it with `jp_batch_free`. On failure `*out` is NULL
/// (when `out` is not NULL) and `jp_last_error_message()` tells why.
///
/// Thread safety: any thread. A batch is used by one thread at a time.
///
/// # Safety
/// `client` is NULL or a live client; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_batch_new(
    client: *const jp_client,
    out: *mut *mut jp_batch,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_reported(), {
        hand_over(out, || {
            // SAFETY: client per the contract.
            let client = unsafe { client_ref(client) }?;
            Ok(Box::new(jp_batch {
                client: Client::new(client.client.config().clone())?,
                items: Vec::new(),
                options: BatchOptions::default(),
                run: None,
            }))
        })
    })
}

/// Sets the calls in flight at most, 1 to `JP_BATCH_MAX_CONCURRENCY` (64); fewer while the server
/// answers 429, or 503 with `Retry-After`. Before the batch starts.
///
/// Returns `JP_OK`, or `JP_INVALID_ARGUMENT` (`jp_last_error_message()` tells why).
/// Thread safety: the batch's thread only.
///
/// # Safety
/// `batch` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn jp_batch_set_concurrency(
    batch: *mut jp_batch,
    concurrency: u32,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY: forwarded contract.
            let batch = unsafe { batch_mut(batch) }?;
            not_started(batch)?;
            if !(1..=JP_BATCH_MAX_CONCURRENCY).contains(&concurrency) {
                return Err(Error::invalid_argument(
                    "concurrency",
                    format!("must be 1 to {MAX_CONCURRENCY}"),
                ));
            }
            batch.options.concurrency = concurrency as usize;
            Ok(())
        })
    })
}

/// Sets the journal file (JSON lines; NULL: none). Each item's start is synced to it before the item
/// is sent and its outcome before the result is handed over. Running the same items again with the
/// same journal after a crash or a failure skips the items done (`already_done`), and an item sent
/// without a recorded outcome is checked with the site's status first: in place, it is `confirmed`
/// and not sent again. One run at a time per journal file. Before the batch starts.
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT`. Thread safety: the batch's thread only.
///
/// # Safety
/// `batch` is NULL or a live batch; `path` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn jp_batch_set_journal(
    batch: *mut jp_batch,
    path: *const c_char,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY: forwarded contract.
            let batch = unsafe { batch_mut(batch) }?;
            not_started(batch)?;
            // SAFETY: forwarded contract.
            let path = unsafe { optional_str(path, "path") }?;
            batch.options.journal = path.filter(|p| !p.is_empty()).map(PathBuf::from);
            Ok(())
        })
    })
}

/// Adds a provision: as `jp_provision` (`local_user`, `siteurl`, `plan` or NULL, `options_json` or
/// NULL), named by `key` (an order ID...; NULL: `"provision <siteurl> <plan>"`). Keys are unique in
/// a batch. The item is checked when the batch starts: an invalid one, or a repeated key, is a
/// `failed` result with `invalid_argument` and never reaches the network. Before the batch starts.
///
/// Returns `JP_OK`, or `JP_INVALID_ARGUMENT` for a NULL or non-UTF-8 string, options that are not a
/// JSON object, or a batch already started. Thread safety: the batch's thread only.
///
/// # Safety
/// `batch` is NULL or a live batch; each string is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn jp_batch_add_provision(
    batch: *mut jp_batch,
    key: *const c_char,
    local_user: *const c_char,
    siteurl: *const c_char,
    plan: *const c_char,
    options_json: *const c_char,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY (all): arguments per the contract.
            let batch = unsafe { batch_mut(batch) }?;
            not_started(batch)?;
            let key = unsafe { optional_str(key, "key") }?;
            let local_user = unsafe { required_str(local_user, "local_user") }?;
            let siteurl = unsafe { required_str(siteurl, "siteurl") }?;
            let plan = unsafe { optional_str(plan, "plan") }?;
            let options = unsafe { options(options_json) }?;
            batch.items.push(BatchItem::provision(
                key, local_user, siteurl, plan, options,
            ));
            Ok(())
        })
    })
}

/// Adds a cancel of the partner plan of `site` (site URL, `::` identifier or blog ID); `plan` (NULL:
/// the site's plan) for stand-alone products; `options_json` NULL or `{"cancel_all": true}`; `key`
/// as for `jp_batch_add_provision` (NULL: `"cancel <site> <plan>"`). Before the batch starts.
///
/// Returns `JP_OK` or `JP_INVALID_ARGUMENT`. Thread safety: the batch's thread only.
///
/// # Safety
/// `batch` is NULL or a live batch; each string is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn jp_batch_add_cancel(
    batch: *mut jp_batch,
    key: *const c_char,
    site: *const c_char,
    plan: *const c_char,
    options_json: *const c_char,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY (all): arguments per the contract.
            let batch = unsafe { batch_mut(batch) }?;
            not_started(batch)?;
            let key = unsafe { optional_str(key, "key") }?;
            let site = unsafe { required_str(site, "site") }?;
            let plan = unsafe { optional_str(plan, "plan") }?;
            let options = unsafe { options(options_json) }?;
            batch
                .items
                .push(BatchItem::cancel(key, site, plan, options));
            Ok(())
        })
    })
}

fn start(batch: &mut jp_batch) -> Result<(), Error> {
    not_started(batch)?;
    let items = std::mem::take(&mut batch.items);
    batch.run = Some(batch.client.run_batch(items, &batch.options)?);
    Ok(())
}

/// Starts the batch in the background (its own threads) and returns at once; collect the results
/// with `jp_batch_next`. A batch starts once. It keeps pace with its caller: at most the
/// concurrency's number of results wait uncollected on top of the calls in flight, and no new call
/// starts until one is collected, so freeing the batch early leaves the remaining items unsent.
///
/// Returns `JP_OK`, or `JP_INVALID_ARGUMENT` (already started, an unreadable or damaged journal)
/// with `jp_last_error_message()` telling why. Thread safety: the batch's thread only.
///
/// # Safety
/// `batch` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn jp_batch_start(batch: *mut jp_batch) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY: forwarded contract.
            start(unsafe { batch_mut(batch) }?)
        })
    })
}

/// The next result of a started batch, in completion order, waiting up to `wait_ms` milliseconds
/// for one (0: do not wait; `JP_BATCH_WAIT_FOREVER`: as long as it takes).
///
/// On `JP_OK`, `*out` receives the result's JSON (as for `jp_batch_fn`), owned by the caller:
/// release it with `jp_string_free`; or NULL when no result came within `wait_ms` or every result
/// has been handed out (`jp_batch_finished` tells which). Returns `JP_INVALID_ARGUMENT` when the
/// batch was not started or an argument is NULL.
///
/// Thread safety: the batch's thread only. Blocks up to `wait_ms`.
///
/// # Safety
/// `batch` is NULL or a live batch; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_batch_next(
    batch: *mut jp_batch,
    wait_ms: u32,
    out: *mut *mut c_char,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_reported(), {
        hand_over(out, || {
            // SAFETY: forwarded contract.
            let batch = unsafe { batch_mut(batch) }?;
            let run = batch.run.as_mut().ok_or_else(|| {
                Error::invalid_argument("batch", "not started: call jp_batch_start")
            })?;
            let result = if wait_ms == JP_BATCH_WAIT_FOREVER {
                run.next()
            } else {
                run.next_within(Duration::from_millis(wait_ms.into()))
            };
            Ok(result.map(|r| c_text(&r.to_json().to_string())))
        })
    })
}

/// Whether a started batch has handed out every result (false before it starts).
///
/// Thread safety: the batch's thread only.
///
/// # Safety
/// `batch` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn jp_batch_finished(batch: *const jp_batch) -> bool {
    ffi_boundary!(false, {
        // SAFETY: NULL or live per the contract.
        unsafe { batch.as_ref() }
            .and_then(|b| b.run.as_ref())
            .is_some_and(BatchRun::is_finished)
    })
}

/// Runs the batch to the end, calling `on_result(user_data, result_json)` on this thread for each
/// result as it lands; returns once every result was handed to it or it returned false (then no
/// new item starts and the calls in flight finish first). A batch runs once.
///
/// Returns `JP_OK`, or `JP_INVALID_ARGUMENT` (NULL callback, already started, an unreadable or
/// damaged journal). Item failures are results, not return codes.
///
/// Thread safety: the batch's thread only; blocks until the batch ends.
///
/// # Safety
/// `batch` is NULL or a live batch; `on_result` is NULL or a function safe to call with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn jp_batch_run(
    batch: *mut jp_batch,
    on_result: jp_batch_fn,
    user_data: *mut c_void,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            // SAFETY: forwarded contract.
            let batch = unsafe { batch_mut(batch) }?;
            let on_result = on_result
                .ok_or_else(|| Error::invalid_argument("on_result", "must not be NULL"))?;
            start(batch)?;
            let run = batch
                .run
                .as_mut()
                .ok_or_else(|| Error::internal("no run"))?;
            while let Some(result) = run.next() {
                let text = c_text(&result.to_json().to_string());
                // SAFETY: the caller's callback, called with its own user_data and a string that
                // lives until it returns.
                let go_on = unsafe { on_result(user_data, text.as_ptr()) };
                if !go_on {
                    run.stop();
                }
            }
            Ok(())
        })
    })
}

/// Stops the batch if it runs (no new item starts; waits for the calls in flight, which are
/// journaled) and releases it. NULL is a no-op.
///
/// Thread safety: the batch's thread only. Blocks until the calls in flight end.
///
/// # Safety
/// `batch` is NULL or a batch from `jp_batch_new` not freed before.
#[no_mangle]
pub unsafe extern "C" fn jp_batch_free(batch: *mut jp_batch) {
    ffi_boundary!((), {
        if !batch.is_null() {
            // SAFETY: made by Box::into_raw in jp_batch_new and not freed before.
            drop(unsafe { Box::from_raw(batch) });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jetpack_partner_core::batch::DEFAULT_CONCURRENCY;

    #[test]
    fn the_c_limits_are_the_batchs() {
        assert_eq!(JP_BATCH_MAX_CONCURRENCY as usize, MAX_CONCURRENCY);
        assert_eq!(JP_BATCH_DEFAULT_CONCURRENCY as usize, DEFAULT_CONCURRENCY);
    }
}
