//! Create a partner key for a reseller: `POST /rest/v1.3/jpphp/partner-keys/new` (PROTOCOL.md §5).

use zeroize::Zeroizing;

use crate::api::options::{self, body, Kind, Options, Spec};
use crate::client::{Call, Client, Reply, ReplyText};
use crate::error::Error;
use crate::http::exchange::Method;
use crate::http::form::append_pair;
use crate::validate::check_text;

/// The optional fields of partner-key-new.
pub(crate) const SPECS: &[Spec] = &[
    body("allowed_personal_plans", Kind::Count),
    body("allowed_premium_plans", Kind::Count),
    body("allowed_professional_plans", Kind::Count),
    body(
        "notes",
        Kind::Text {
            max: 4096,
            multiline: true,
        },
    ),
];

impl Client {
    /// Creates a partner key called `name`. Options: `allowed_personal_plans`,
    /// `allowed_premium_plans`, `allowed_professional_plans` (non-negative integers), `notes`.
    ///
    /// The reply carries the new key's `client_id` and `client_secret`: partner credentials in their
    /// own right, to be stored as a secret.
    pub fn partner_key_new(&self, name: &str, options: &Options) -> Result<Reply, Error> {
        self.execute(partner_key_new_call(name, options)?)
    }

    /// [`Client::partner_key_new`], with the reply as the server's JSON text.
    pub fn partner_key_new_text(&self, name: &str, options: &Options) -> Result<ReplyText, Error> {
        self.execute_text(partner_key_new_call(name, options)?)
    }
}

/// The checked request of [`Client::partner_key_new`].
pub(crate) fn partner_key_new_call(name: &str, options: &Options) -> Result<Call, Error> {
    if name.trim().is_empty() {
        return Err(Error::invalid_argument("name", "must not be empty"));
    }
    check_text("name", name, 255, false)?;
    let mut form = Zeroizing::new(String::new());
    append_pair(&mut form, "name", name);
    let mut query = String::new();
    options::encode("partner_key_new", SPECS, options, &mut form, &mut query)?;
    let mut call = Call::new(
        "partner_key_new",
        Method::Post,
        "/rest/v1.3/jpphp/partner-keys/new".to_string(),
    )
    .form(form);
    call.query = query;
    Ok(call)
}
