//! The library's version: `jp_version` and the `JP_VERSION_*` numbers of the header.

use std::ffi::c_char;

/// Major version: the number in the library's SONAME (`libjetpack_partner.so.0`).
pub const JP_VERSION_MAJOR: u32 = 0;
/// Minor version.
pub const JP_VERSION_MINOR: u32 = 1;
/// Patch version.
pub const JP_VERSION_PATCH: u32 = 0;

static VERSION_C: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library's version, `"MAJOR.MINOR.PATCH"` (equal to `JP_VERSION` of the header it was built
/// with).
///
/// Ownership: a static string; never free it. Thread safety: any thread, any time.
#[no_mangle]
pub extern "C" fn jp_version() -> *const c_char {
    VERSION_C.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_constants_match_the_package() {
        assert_eq!(
            JP_VERSION_MAJOR.to_string(),
            env!("CARGO_PKG_VERSION_MAJOR")
        );
        assert_eq!(
            JP_VERSION_MINOR.to_string(),
            env!("CARGO_PKG_VERSION_MINOR")
        );
        assert_eq!(
            JP_VERSION_PATCH.to_string(),
            env!("CARGO_PKG_VERSION_PATCH")
        );
        // SAFETY: jp_version returns a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(jp_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
