//! Provision a plan on a site: `POST /rest/v1.3/jpphp/provision` (PROTOCOL.md §2).

use zeroize::Zeroizing;

use crate::api::options::{self, body, is_set, Kind, Options, Place, Spec};
use crate::client::{Call, Client, Reply, ReplyText};
use crate::error::Error;
use crate::http::exchange::Method;
use crate::http::form::append_pair;
use crate::validate::{check_local_user, check_plan, check_provision_siteurl};

const TEXT: Kind = Kind::Text {
    max: 255,
    multiline: false,
};
const PASSWORD: Kind = Kind::Text {
    max: 1024,
    multiline: false,
};

/// The optional fields of provision.
pub(crate) const SPECS: &[Spec] = &[
    body("force_register", Kind::Bool { wire_true: "true" }),
    body("force_connect", Kind::Bool { wire_true: "true" }),
    body("onboarding", Kind::Bool { wire_true: "1" }),
    body("wpcom_user_id", Kind::Count),
    body("wpcom_user_email", TEXT),
    Spec {
        name: "partner_tracking_id",
        wire: "partner-tracking-id",
        kind: TEXT,
        place: Place::Query,
    },
    body("ssh_user", TEXT),
    body("ssh_pass", PASSWORD),
    body(
        "ssh_private_key",
        Kind::Text {
            max: 16 * 1024,
            multiline: true,
        },
    ),
    body("ssh_host", TEXT),
    body("ssh_port", Kind::Port),
    body("ftp_user", TEXT),
    body("ftp_pass", PASSWORD),
    body("ftp_host", TEXT),
    body("ftp_port", Kind::Port),
];

impl Client {
    /// Provisions `plan` (`None`: the server's default, free) for `local_user` on the site at `siteurl`.
    ///
    /// `siteurl` is an http(s) URL or, as WordPress.com accepts, the same without its scheme
    /// (`example.com/blog`); a scheme-less URL is sent without a scheme.
    ///
    /// Options: `force_register`, `force_connect`, `onboarding` (booleans), `wpcom_user_id`
    /// (non-negative integer), `wpcom_user_email`, `partner_tracking_id` (sent as the query parameter
    /// `partner-tracking-id`), backup credentials `ssh_user`, `ssh_pass`, `ssh_private_key`,
    /// `ssh_host`, `ssh_port`, `ftp_user`, `ftp_pass`, `ftp_host`, `ftp_port`.
    ///
    /// Only a request that provably never reached the server is retried; a failure after it may have
    /// been processed is `outcome_unknown`: check [`Client::status`] before trying again.
    pub fn provision(
        &self,
        local_user: &str,
        siteurl: &str,
        plan: Option<&str>,
        options: &Options,
    ) -> Result<Reply, Error> {
        self.execute(provision_call(local_user, siteurl, plan, options)?)
    }

    /// [`Client::provision`], with the reply as the server's JSON text.
    pub fn provision_text(
        &self,
        local_user: &str,
        siteurl: &str,
        plan: Option<&str>,
        options: &Options,
    ) -> Result<ReplyText, Error> {
        self.execute_text(provision_call(local_user, siteurl, plan, options)?)
    }
}

/// The checked request of [`Client::provision`].
pub(crate) fn provision_call(
    local_user: &str,
    siteurl: &str,
    plan: Option<&str>,
    options: &Options,
) -> Result<Call, Error> {
    check_local_user(local_user)?;
    let siteurl = check_provision_siteurl("siteurl", siteurl)?;
    if let Some(plan) = plan {
        check_plan("plan", plan)?;
    }
    let mut form = Zeroizing::new(String::new());
    append_pair(&mut form, "local_user", local_user);
    append_pair(&mut form, "siteurl", &siteurl);
    if let Some(plan) = plan {
        append_pair(&mut form, "plan", plan);
    }
    let mut query = String::new();
    options::encode("provision", SPECS, options, &mut form, &mut query)?;
    if is_set(options, "ssh_user")
        && !is_set(options, "ssh_pass")
        && !is_set(options, "ssh_private_key")
    {
        return Err(Error::invalid_argument(
            "ssh_user",
            "needs ssh_pass or ssh_private_key",
        ));
    }
    let mut call = Call::new(
        "provision",
        Method::Post,
        "/rest/v1.3/jpphp/provision".to_string(),
    )
    .form(form);
    call.query = query;
    Ok(call)
}
