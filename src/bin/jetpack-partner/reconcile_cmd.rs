//! `jetpack-partner reconcile` (to come).

use std::process::ExitCode;

use crate::bulk::BulkCall;

pub fn run(_client: &jetpack_partner::Client, _call: BulkCall, _secrets: &[String]) -> ExitCode {
    ExitCode::from(3)
}
