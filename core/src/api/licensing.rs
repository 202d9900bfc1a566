//! The Jetpack Licensing API (PROTOCOL.md §10), with the partner token of a key (`partner` uses a
//! user token). Errors come as `{code, message}`: `code` is the error code passed through.

use zeroize::Zeroizing;

use super::arguments::{check_token, path_segment};
use crate::client::{Call, CallAuth, Client, Reply};
use crate::error::Error;
use crate::http::exchange::{Body, Method};
use crate::http::form::append_pair;
use crate::http::retry::Idempotence;
use crate::site::identifier_for_field;
use crate::validate::{check_local_user, check_plan, check_siteurl, check_text};

const BASE: &str = "/wpcom/v2/jetpack-licensing";

/// A license key as given: not empty, at most 255 bytes, no whitespace or control characters.
fn check_license_key(key: &str) -> Result<(), Error> {
    path_segment("license_key", key).map(|_| ())
}

fn form(pairs: &[(&str, &str)]) -> Option<Body> {
    let mut text = Zeroizing::new(String::new());
    for (name, value) in pairs {
        append_pair(&mut text, name, value);
    }
    Some(Body::Form(text))
}

impl Client {
    /// Issues a license for `product` (a product slug such as `jetpack-backup-daily`): the license
    /// `{license_id, license_key, product, product_id, issued_at, attached_at, revoked_at, blog_id,
    /// siteurl}`.
    pub fn license_issue(&self, product: &str) -> Result<Reply, Error> {
        check_plan("product", product)?;
        let mut call = Call::new("license_issue", Method::Post, format!("{BASE}/license"));
        call.body = form(&[("product", product)]);
        self.execute(call)
    }

    /// The license with the key `license_key`.
    pub fn license_status(&self, license_key: &str) -> Result<Reply, Error> {
        check_license_key(license_key)?;
        let mut call = Call::new("license_status", Method::Get, format!("{BASE}/license"));
        append_pair(&mut call.query, "license_key", license_key);
        self.execute(call)
    }

    /// Revokes a license; the reply is the license with `revoked_at` set.
    pub fn license_revoke(&self, license_key: &str) -> Result<Reply, Error> {
        check_license_key(license_key)?;
        let mut call = Call::new("license_revoke", Method::Delete, format!("{BASE}/license"));
        append_pair(&mut call.query, "license_key", license_key);
        self.execute(call)
    }

    /// Attaches a license to `site` (a site URL, `::` identifier or blog ID); the site must be
    /// connected.
    pub fn license_attach(&self, license_key: &str, site: &str) -> Result<Reply, Error> {
        let segment = path_segment("license_key", license_key)?;
        // Sent as the site is known to WordPress.com: a URL with an ASCII (Punycode) host, or the
        // normalised identifier or blog ID.
        let site = if site.contains("://") {
            check_siteurl("site", site)?
        } else {
            identifier_for_field("site", site)?
        };
        let mut call = Call::new(
            "license_attach",
            Method::Post,
            format!("{BASE}/license/{segment}/site"),
        );
        call.body = form(&[("site", &site)]);
        self.execute(call)
    }

    /// Detaches a license from its site. `cancellation_email`: whether the site owner is told
    /// (`None`: the server's default).
    pub fn license_detach(
        &self,
        license_key: &str,
        cancellation_email: Option<bool>,
    ) -> Result<Reply, Error> {
        let segment = path_segment("license_key", license_key)?;
        let mut call = Call::new(
            "license_detach",
            Method::Delete,
            format!("{BASE}/license/{segment}/site"),
        );
        if let Some(send) = cancellation_email {
            append_pair(
                &mut call.query,
                "cancellation_email",
                if send { "1" } else { "0" },
            );
        }
        self.execute(call)
    }

    /// The product families and their products: `[{name, slug, products: [{name, slug,
    /// product_id}]}]`.
    pub fn product_families(&self) -> Result<Reply, Error> {
        self.execute(Call::new(
            "product_families",
            Method::Get,
            format!("{BASE}/product-families"),
        ))
    }

    /// The licensing partner of a user token, with its keys: `{id, name, slug, keys: [{id, name,
    /// oauth2_token, disabled_on}]}` (each `oauth2_token` is a credential).
    pub fn licensing_partner(&self, user_token: &str) -> Result<Reply, Error> {
        let token = check_token("user_token", user_token)?;
        self.execute(
            Call::new("licensing_partner", Method::Get, format!("{BASE}/partner"))
                .auth(CallAuth::User(token)),
        )
    }

    /// Connects the site at `url` for `local_user` (the WordPress user): `{"code": "success" |
    /// "already_connected", "blog_id"}`. Safe to repeat, so retried like a read.
    pub fn site_connection(&self, url: &str, local_user: &str) -> Result<Reply, Error> {
        let url = check_siteurl("url", url)?;
        check_local_user(local_user)?;
        check_text("local_user", local_user, 255, false)?;
        let mut call = Call::new(
            "site_connection",
            Method::Post,
            format!("{BASE}/site-connection"),
        )
        .idempotence(Idempotence::Safe);
        call.body = form(&[("url", &url), ("local_user", local_user)]);
        self.execute(call)
    }
}
