//! The partner operations, one file each: provision (PROTOCOL.md §2), cancel (§3), status v1.4 and
//! v1.2, upgrade-paths and errors (§4), partner-key-new and partner-keys/verify (§5).

pub(crate) mod cancel;
pub(crate) mod errors;
pub(crate) mod partner_key_new;
pub(crate) mod partner_keys_verify;
pub(crate) mod provision;
pub(crate) mod status;
pub(crate) mod status_v12;
pub(crate) mod upgrade_paths;
