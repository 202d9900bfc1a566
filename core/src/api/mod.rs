//! The API areas, a file each, every one adding its methods to [`Client`](crate::Client): the
//! partner calls (`operations/`, a file per call), reporting with a user token, the Licensing API,
//! OAuth2 for users, and the generic request for any other endpoint; with what they share, the
//! optional fields of the partner calls and the checks of arguments several areas take.

mod arguments;
mod licensing;
pub mod oauth;
pub(crate) mod operations;
pub(crate) mod options;
mod reporting;
mod request;

pub use options::Options;
pub use reporting::Activations;
pub use request::{ApiRequest, Auth};
