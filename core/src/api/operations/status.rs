//! Status of a site: `GET /rest/v1.4/jpphp/{site}/status` (PROTOCOL.md §4).

use crate::client::{Call, Client, Reply, ReplyText};
use crate::error::Error;
use crate::http::exchange::Method;
use crate::site::{encode_path_segment, identifier_for_field};

impl Client {
    /// The connection and plan status of `site` (a site URL, a `::` site identifier or a numeric blog
    /// ID): `{"blog": {"is_connected", "has_backups_credentials"}, "products": [...]}`. Safe to repeat;
    /// use it after `outcome_unknown` to learn whether a provision or cancel took effect.
    pub fn status(&self, site: &str) -> Result<Reply, Error> {
        self.execute(status_call(site)?)
    }

    /// [`Client::status`], with the reply as the server's JSON text.
    pub fn status_text(&self, site: &str) -> Result<ReplyText, Error> {
        self.execute_text(status_call(site)?)
    }
}

/// The checked request of [`Client::status`].
pub(crate) fn status_call(site: &str) -> Result<Call, Error> {
    let identifier = identifier_for_field("site", site)?;
    Ok(Call::new(
        "status",
        Method::Get,
        format!(
            "/rest/v1.4/jpphp/{}/status",
            encode_path_segment(&identifier)
        ),
    ))
}
