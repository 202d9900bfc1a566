//! Cancel a partner plan: `POST /rest/v1.3/jpphp/{site}/partner-cancel` (PROTOCOL.md §3).

use zeroize::Zeroizing;

use crate::api::options::{self, body, Kind, Options, Place, Spec};
use crate::client::{Call, Client, Reply, ReplyText};
use crate::error::Error;
use crate::http::exchange::Method;
use crate::site::{encode_path_segment, identifier_for_field};

/// The optional fields of cancel.
pub(crate) const SPECS: &[Spec] = &[
    body("plan", Kind::Plan),
    Spec {
        name: "cancel_all",
        wire: "cancel-all",
        kind: Kind::Bool { wire_true: "1" },
        place: Place::Body,
    },
    // WP-CLI's `jetpack partner_cancel` sends it so (Automattic/jetpack: class.jetpack-cli.php).
    Spec {
        name: "partner_tracking_id",
        wire: "partner_tracking_id",
        kind: Kind::Text {
            max: 255,
            multiline: false,
        },
        place: Place::Query,
    },
];

impl Client {
    /// Cancels the partner plan of `site` (a site URL, a `::` site identifier or a numeric blog ID).
    ///
    /// Options: `plan` (needed only for stand-alone products), `cancel_all` (boolean, sent as
    /// `cancel-all`: cancel everything this partner provisioned on the site), `partner_tracking_id`
    /// (the query parameter `partner_tracking_id`, for WordPress.com's logs). A reply
    /// `{"success": false}` means the site had no partner plan: there was nothing to cancel.
    pub fn cancel(&self, site: &str, options: &Options) -> Result<Reply, Error> {
        self.execute(cancel_call(site, options)?)
    }

    /// [`Client::cancel`], with the reply as the server's JSON text.
    pub fn cancel_text(&self, site: &str, options: &Options) -> Result<ReplyText, Error> {
        self.execute_text(cancel_call(site, options)?)
    }
}

/// The checked request of [`Client::cancel`].
pub(crate) fn cancel_call(site: &str, options: &Options) -> Result<Call, Error> {
    let identifier = identifier_for_field("site", site)?;
    let mut form = Zeroizing::new(String::new());
    let mut query = String::new();
    options::encode("cancel", SPECS, options, &mut form, &mut query)?;
    let mut call = Call::new(
        "cancel",
        Method::Post,
        format!(
            "/rest/v1.3/jpphp/{}/partner-cancel",
            encode_path_segment(&identifier)
        ),
    )
    .form(form);
    call.query = query;
    Ok(call)
}
