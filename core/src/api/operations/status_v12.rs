//! The older status of a site: `GET /rest/v1.2/jpphp/{site}/status` (PROTOCOL.md §4).

use crate::client::{Call, Client, Reply};
use crate::error::Error;
use crate::http::exchange::Method;
use crate::site::{encode_path_segment, identifier_for_field};

impl Client {
    /// The v1.2 status of `site` (a site URL, `::` identifier or blog ID): `{plan, is_partner_plan,
    /// is_provisioned_by_calling_partner, is_connected, has_pending_plan}`. Safe to repeat.
    pub fn status_v12(&self, site: &str) -> Result<Reply, Error> {
        let identifier = identifier_for_field("site", site)?;
        self.execute(Call::new(
            "status_v12",
            Method::Get,
            format!(
                "/rest/v1.2/jpphp/{}/status",
                encode_path_segment(&identifier)
            ),
        ))
    }
}
