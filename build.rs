//! Link settings of the C library: a SONAME (`libjetpack_partner.so.<major>`) and `-z nodelete`, so a
//! host that unloads the library (PHP FFI at the end of a request) never unmaps Rust code that may still
//! run (thread-locals, destructors).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os == "freebsd" || target_os == "netbsd" {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libjetpack_partner.so.{major}");
    }
}
