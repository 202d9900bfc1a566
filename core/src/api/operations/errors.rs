//! The list of the partner API's error codes: `GET /rest/v1.3/jpphp/errors[?verbose]` (PROTOCOL.md §4).

use crate::client::{Call, CallAuth, Client, Reply};
use crate::error::Error;
use crate::http::exchange::Method;
use crate::http::form::append_pair;

impl Client {
    /// The error codes of the partner API: `{"errors": {code: message}}`, or with `verbose`
    /// `{"errors": {code: {message, http_status}}}`. Needs no token (none is sent).
    pub fn errors(&self, verbose: bool) -> Result<Reply, Error> {
        let mut call =
            Call::new("errors", Method::Get, "/rest/v1.3/jpphp/errors".into()).auth(CallAuth::None);
        if verbose {
            append_pair(&mut call.query, "verbose", "1");
        }
        self.execute(call)
    }
}
