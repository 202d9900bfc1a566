//! `jp_set_log_callback`: the library's diagnostic lines delivered to a C function.

use std::cell::Cell;
use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::deliver::{c_text, panic_reported, report};
use super::jp_code;
use super::macros::ffi_boundary;
use jetpack_partner_core::set_global_sink;
use jetpack_partner_core::Error;

/// Level of a log line given to a `jp_log_fn`: a failed operation.
pub const JP_LOG_ERROR: u32 = 1;
/// Level of a log line: an operation's outcome.
pub const JP_LOG_INFO: u32 = 2;
/// Level of a log line: an HTTP attempt, a pause, a token request.
pub const JP_LOG_DEBUG: u32 = 3;

/// Receives one diagnostic line: `level` is `JP_LOG_ERROR`, `JP_LOG_INFO` or `JP_LOG_DEBUG`; `line` is
/// NUL-terminated UTF-8 without a trailing newline, borrowed for the duration of the call only;
/// `user_data` is the pointer given to `jp_set_log_callback`.
pub type jp_log_fn =
    Option<unsafe extern "C" fn(level: u32, line: *const c_char, user_data: *mut c_void)>;

/// The callback and its pointer, callable from any thread (the caller promised it is).
struct Callback {
    function: unsafe extern "C" fn(u32, *const c_char, *mut c_void),
    user_data: *mut c_void,
}

// SAFETY: jp_set_log_callback's contract makes the callback and user_data usable from any thread at
// once; the library never dereferences user_data.
unsafe impl Send for Callback {}
// SAFETY: as above.
unsafe impl Sync for Callback {}

thread_local! {
    /// Set while this thread runs the callback: a call of jp_set_log_callback from inside it would wait
    /// for itself.
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

impl Callback {
    fn deliver(&self, level: u32, line: &str) {
        let text = c_text(line);
        IN_CALLBACK.with(|flag| flag.set(true));
        // SAFETY: a valid function per jp_set_log_callback's contract; `text` outlives the call.
        unsafe { (self.function)(level, text.as_ptr(), self.user_data) };
        IN_CALLBACK.with(|flag| flag.set(false));
    }
}

/// Sends the library's diagnostic lines to `callback` instead of stderr, for every client of the
/// process; NULL removes it (lines then go to stderr again only when the environment variable
/// `JETPACK_PARTNER_LOG` asks for them). With a callback set, every line is delivered (one per HTTP
/// attempt, pause, token request and operation outcome) and the callback filters on `level`.
///
/// Lines never contain the partner secret, a token, a password, a form body or an option value: only
/// methods, paths, statuses, attempt numbers, delays, error codes and messages, redacted once more
/// before delivery.
///
/// Threads: the callback is called on the thread making the call, from several threads at once when
/// several threads make calls; it must be thread-safe and return quickly, and must not call the
/// library's operations nor `jp_set_log_callback` (that returns `JP_INVALID_ARGUMENT`). This function itself may be called from
/// any thread; when it returns, no call of the previous callback is running or will start, so its
/// `user_data` may be released.
///
/// Returns `JP_OK`, or `JP_INVALID_ARGUMENT` (see `jp_last_error_message()`) when called from inside the
/// callback.
///
/// # Safety
/// `callback` is NULL or a function safe to call as described, with `user_data`, from any thread until
/// it is replaced or removed.
#[no_mangle]
pub unsafe extern "C" fn jp_set_log_callback(
    callback: jp_log_fn,
    user_data: *mut c_void,
) -> jp_code {
    ffi_boundary!(panic_reported(), {
        report(|| {
            if IN_CALLBACK.with(Cell::get) {
                return Err(Error::invalid_argument(
                    "callback",
                    "jp_set_log_callback must not be called from inside the log callback",
                ));
            }
            let sink = callback.map(|function| {
                let callback = Callback {
                    function,
                    user_data,
                };
                Arc::new(move |level: u32, line: &str| callback.deliver(level, line))
                    as jetpack_partner_core::GlobalSink
            });
            set_global_sink(sink);
            Ok(())
        })
    })
}
