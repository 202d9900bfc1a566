//! The plans a site can move to: `GET /rest/v1.3/jpphp/{site}/upgrade-paths` (PROTOCOL.md §4).

use crate::client::{Call, Client, Reply};
use crate::error::Error;
use crate::http::exchange::Method;
use crate::site::{encode_path_segment, identifier_for_field};

impl Client {
    /// The slugs each product family of `site` (a site URL, `::` identifier or blog ID) can move to:
    /// `{family: [slugs]}`. Safe to repeat.
    pub fn upgrade_paths(&self, site: &str) -> Result<Reply, Error> {
        let identifier = identifier_for_field("site", site)?;
        self.execute(Call::new(
            "upgrade_paths",
            Method::Get,
            format!(
                "/rest/v1.3/jpphp/{}/upgrade-paths",
                encode_path_segment(&identifier)
            ),
        ))
    }
}
