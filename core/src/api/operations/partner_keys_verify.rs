//! Check the client's own key: `POST /rest/v1.3/jpphp/partner-keys/verify` (PROTOCOL.md §5).

use crate::client::{Call, Client, Reply};
use crate::error::Error;
use crate::http::exchange::Method;
use crate::http::retry::Idempotence;

impl Client {
    /// Whether the client's credentials are a valid, enabled partner key: the key (`{"success": true,
    /// "id", "name", "client_id"}`) or the token or key error. Changes nothing, so retried like a read.
    pub fn partner_keys_verify(&self) -> Result<Reply, Error> {
        self.execute(
            Call::new(
                "partner_keys_verify",
                Method::Post,
                "/rest/v1.3/jpphp/partner-keys/verify".into(),
            )
            .idempotence(Idempotence::Safe),
        )
    }
}
