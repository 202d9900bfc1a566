//! The one wrapper of every exported function's body.

/// Runs `$body` (a block evaluating to the function's return value) so that a panic never unwinds
/// into the C caller: a panic is caught and `$on_panic` is returned instead. Argument checks (NULL,
/// UTF-8) are done inside `$body` with the helpers of `ffi::args`, which turn a bad argument into an
/// `invalid_argument` error naming it.
///
/// Written around the body rather than the whole `fn` so that cbindgen, which does not expand macros,
/// still sees every exported signature and its documentation (the pattern of rustls-ffi's
/// `ffi_panic_boundary!`).
macro_rules! ffi_boundary {
    ($on_panic:expr, $body:block) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(value) => value,
            Err(_) => $on_panic,
        }
    };
}

pub(crate) use ffi_boundary;
