//! How a call's outcome reaches the C caller: its result code, the thread's last error message, and
//! what it writes through its out-pointers. Inside `ffi_boundary!`, every exported function that can
//! fail runs its work as a closure returning `Result`, given to [`report`], [`hand_over`] or
//! [`respond`].

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::ptr;

use super::jp_code;
use super::response::{jp_response, ResponseBody};
use jetpack_partner_core::Error;
use jetpack_partner_core::Reply;

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// Text safe to hand to C: NUL bytes replaced.
pub(crate) fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// The message of the last failed [`report`] or [`hand_over`] call of this thread; NULL when the
/// last one succeeded or none was made. Valid until the next such call on this thread.
pub(crate) fn last_error_message() -> *const c_char {
    LAST_ERROR.with(|slot| slot.borrow().as_ref().map_or(ptr::null(), |t| t.as_ptr()))
}

fn set_last_error(error: Option<&Error>) {
    let text = error.map(|e| c_text(e.message()));
    LAST_ERROR.with(|slot| *slot.borrow_mut() = text);
}

fn panic_error() -> Error {
    Error::internal("unexpected panic inside jetpack-partner")
}

/// A `T **out` argument, with the caller's promise that it is NULL or writable made once, when it
/// is wrapped; writing through it is then safe.
pub(crate) struct Out<T>(*mut *mut T);

impl<T> Clone for Out<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Out<T> {}

impl<T> Out<T> {
    /// # Safety
    /// `ptr` is NULL or valid for writes of a `*mut T` until the exported function returns.
    pub(crate) unsafe fn new(ptr: *mut *mut T) -> Out<T> {
        Out(ptr)
    }

    /// Sets `*out` to NULL (when `out` is not NULL), so that a failure never leaves it unset.
    pub(crate) fn clear(self) {
        self.write(ptr::null_mut());
    }

    /// Refuses a NULL `out`, naming the argument.
    pub(crate) fn require(self, name: &str) -> Result<(), Error> {
        if self.0.is_null() {
            return Err(Error::invalid_argument(name, "must not be NULL"));
        }
        Ok(())
    }

    /// Hands `value` over to the caller through `*out` (dropped if `out` is NULL).
    pub(crate) fn put(self, value: impl HandOver<T>) {
        if !self.0.is_null() {
            self.write(value.into_raw());
        }
    }

    fn write(self, value: *mut T) {
        if !self.0.is_null() {
            // SAFETY: not NULL, so writable per `Out::new`'s contract.
            unsafe { *self.0 = value };
        }
    }
}

/// What a call hands over to its caller through a `T **out`, who releases it with the matching
/// `*_free`.
pub(crate) trait HandOver<T> {
    fn into_raw(self) -> *mut T;
}

impl<T> HandOver<T> for Box<T> {
    fn into_raw(self) -> *mut T {
        Box::into_raw(self)
    }
}

impl HandOver<c_char> for CString {
    fn into_raw(self) -> *mut c_char {
        CString::into_raw(self)
    }
}

/// Nothing to hand over: `*out` is NULL.
impl<T, V: HandOver<T>> HandOver<T> for Option<V> {
    fn into_raw(self) -> *mut T {
        self.map_or(ptr::null_mut(), HandOver::into_raw)
    }
}

/// For calls that answer with a code alone: runs `call`, keeps the message of its error for
/// `jp_last_error_message()` (or forgets the last one on success) and returns its code.
pub(crate) fn report(call: impl FnOnce() -> Result<(), Error>) -> jp_code {
    match call() {
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

/// For calls that make something for the caller: sets `*out` to NULL, refuses a NULL `out` before
/// `call` runs, and hands over what `call` made; reports as [`report`].
pub(crate) fn hand_over<T, V: HandOver<T>>(
    out: Out<T>,
    call: impl FnOnce() -> Result<V, Error>,
) -> jp_code {
    out.clear();
    report(|| {
        out.require("out")?;
        out.put(call()?);
        Ok(())
    })
}

/// For calls that answer with a `jp_response`: runs `call` and, when `out` is not NULL, writes its
/// outcome to `*out` as a new response, success and failure alike; returns its code.
pub(crate) fn respond<R: ResponseBody>(
    out: Out<jp_response>,
    call: impl FnOnce() -> Result<R, Error>,
) -> jp_code {
    let response = jp_response::from_result(call());
    let code = response.code();
    out.put(Box::new(response));
    code
}

/// What a [`report`] or [`hand_over`] call returns when `ffi_boundary!` caught a panic.
pub(crate) fn panic_reported() -> jp_code {
    set_last_error(Some(&panic_error()));
    jp_code::JP_INTERNAL
}

/// What a [`respond`] call returns when `ffi_boundary!` caught a panic: a response saying so.
pub(crate) fn panic_responded(out: Out<jp_response>) -> jp_code {
    respond(out, || Err::<Reply, _>(panic_error()))
}
