//! The partner operations, one file each: provision (PROTOCOL.md §2), cancel (§3), status (§4) and
//! partner-key-new (§5).

pub(crate) mod cancel;
pub(crate) mod partner_key_new;
pub(crate) mod provision;
pub(crate) mod status;
