//! The API endpoints, grouped by family.

mod auth;
mod jpphp;
mod keys;
mod licensing;
mod oauth;
mod reporting;

use crate::http::Request;
use crate::params::Params;
use crate::reply::Reply;
use crate::router::storage_error;
use crate::state::{Event, KeyRec, PartnerRec};
use crate::stats::Endpoint;
use crate::store::Store;
use crate::{clock, Shared};

pub use auth::revoke_bearer;
pub use jpphp::connect_site;

/// A matched API route with its path parameters.
pub enum Route {
    Token,
    TokenInfo,
    Authorize,
    /// The sandbox's stand-in for jetpack.wordpress.com's authorize page.
    JetpackAuthorize,
    Me,
    Provision,
    ProvisionRegistered(String),
    Cancel(String),
    Status(String),
    StatusV12(String),
    UpgradePaths(String),
    Errors,
    KeysNew,
    KeysVerify,
    PartnerInfo,
    Activations(String, String),
    ActivationsSummary,
    Invoices(String, String),
    UpcomingInvoice(String, String),
    LicenseStatus,
    LicenseIssue,
    LicenseRevoke,
    LicenseAttach(String),
    LicenseDetach(String),
    ProductFamilies,
    PartnerProductFamilies,
    LicensingPartner,
    SiteConnection,
}

/// Everything a handler needs.
pub struct Ctx<'a> {
    pub shared: &'a Shared,
    pub req: &'a Request,
    /// Query and body parameters (body values last, so they win in `get`).
    pub params: Params,
    pub query: Params,
}

impl Ctx<'_> {
    pub fn now(&self) -> i64 {
        self.shared.now()
    }

    /// Strings a fault's `site` filter is matched against.
    pub fn site_hints(&self, route: &Route) -> Vec<String> {
        let mut v = Vec::new();
        for name in ["siteurl", "site", "url", "blog"] {
            if let Some(s) = self.params.get(name) {
                v.push(s.to_string());
            }
        }
        match route {
            Route::Cancel(s)
            | Route::ProvisionRegistered(s)
            | Route::Status(s)
            | Route::StatusV12(s)
            | Route::UpgradePaths(s) => {
                v.push(s.clone());
                v.push(s.replace("::", "/"));
            }
            _ => {}
        }
        v
    }
}

/// Matches a method and decoded path segments to an endpoint.
pub fn route(method: &str, segs: &[&str]) -> Option<(Endpoint, Route)> {
    let m = method;
    Some(match segs {
        ["oauth2", "token"] if m == "POST" => (Endpoint::Token, Route::Token),
        ["oauth2", "token-info"] if m == "GET" || m == "POST" => {
            (Endpoint::TokenInfo, Route::TokenInfo)
        }
        ["oauth2", "authorize"] if m == "GET" => (Endpoint::Authorize, Route::Authorize),
        ["jetpack.authorize", "1"] if m == "GET" => (Endpoint::Authorize, Route::JetpackAuthorize),
        ["rest", "v1" | "v1.1" | "v1.2", "me"] if m == "GET" => (Endpoint::Me, Route::Me),
        ["rest", "v1.3", "jpphp", "provision"] if m == "POST" => {
            (Endpoint::Provision, Route::Provision)
        }
        ["rest", "v1.3", "jpphp", "errors"] if m == "GET" => (Endpoint::Errors, Route::Errors),
        ["rest", "v1.3", "jpphp", "partner-keys", "new"] if m == "POST" => {
            (Endpoint::PartnerKeysNew, Route::KeysNew)
        }
        ["rest", "v1.3", "jpphp", "partner-keys", "verify"] if m == "POST" || m == "GET" => {
            (Endpoint::PartnerKeysVerify, Route::KeysVerify)
        }
        ["rest", "v1.3", "jpphp", site, "partner-provision"] if m == "POST" => (
            Endpoint::Provision,
            Route::ProvisionRegistered(site.to_string()),
        ),
        ["rest", "v1.3", "jpphp", site, "partner-cancel"] if m == "POST" => {
            (Endpoint::Cancel, Route::Cancel(site.to_string()))
        }
        ["rest", "v1.4", "jpphp", site, "status"] if m == "GET" => {
            (Endpoint::Status, Route::Status(site.to_string()))
        }
        ["rest", "v1.2", "jpphp", site, "status"] if m == "GET" => {
            (Endpoint::StatusV12, Route::StatusV12(site.to_string()))
        }
        ["rest", "v1.3", "jpphp", site, "upgrade-paths"] if m == "GET" => (
            Endpoint::UpgradePaths,
            Route::UpgradePaths(site.to_string()),
        ),
        ["wpcom", "v2", "jetpack-partners"] if m == "GET" => {
            (Endpoint::Reporting, Route::PartnerInfo)
        }
        ["wpcom", "v2", "jetpack-partners", "activations"] if m == "GET" => {
            (Endpoint::Reporting, Route::ActivationsSummary)
        }
        ["wpcom", "v2", "jetpack-partners", p, "key", k, "activations"] if m == "GET" => (
            Endpoint::Reporting,
            Route::Activations(p.to_string(), k.to_string()),
        ),
        ["wpcom", "v2", "jetpack-partners", p, "key", k, "stripe", "invoices"] if m == "GET" => (
            Endpoint::Reporting,
            Route::Invoices(p.to_string(), k.to_string()),
        ),
        ["wpcom", "v2", "jetpack-partners", p, "key", k, "stripe", "upcoming-invoice"]
            if m == "GET" =>
        {
            (
                Endpoint::Reporting,
                Route::UpcomingInvoice(p.to_string(), k.to_string()),
            )
        }
        ["wpcom", "v2", "jetpack-licensing", "license"] => match m {
            "GET" => (Endpoint::Licensing, Route::LicenseStatus),
            "POST" => (Endpoint::Licensing, Route::LicenseIssue),
            "DELETE" => (Endpoint::Licensing, Route::LicenseRevoke),
            _ => return None,
        },
        ["wpcom", "v2", "jetpack-licensing", "license", key, "site"] => match m {
            "POST" => (Endpoint::Licensing, Route::LicenseAttach(key.to_string())),
            "DELETE" => (Endpoint::Licensing, Route::LicenseDetach(key.to_string())),
            _ => return None,
        },
        ["wpcom", "v2", "jetpack-licensing", "product-families"] if m == "GET" => {
            (Endpoint::Licensing, Route::ProductFamilies)
        }
        ["wpcom", "v2", "jetpack-licensing", "partner", "product-families"] if m == "GET" => {
            (Endpoint::Licensing, Route::PartnerProductFamilies)
        }
        ["wpcom", "v2", "jetpack-licensing", "partner"] if m == "GET" => {
            (Endpoint::Licensing, Route::LicensingPartner)
        }
        ["wpcom", "v2", "jetpack-licensing", "site-connection"] if m == "POST" => {
            (Endpoint::Licensing, Route::SiteConnection)
        }
        _ => return None,
    })
}

pub fn handle(ctx: &Ctx<'_>, route: Route) -> Reply {
    let result = match route {
        Route::Token => oauth::token(ctx),
        Route::TokenInfo => oauth::token_info(ctx),
        Route::Authorize => oauth::authorize(ctx),
        Route::JetpackAuthorize => oauth::jetpack_authorize(ctx),
        Route::Me => oauth::me(ctx),
        Route::Provision => jpphp::provision(ctx),
        Route::ProvisionRegistered(site) => jpphp::provision_registered(ctx, &site),
        Route::Cancel(site) => jpphp::cancel(ctx, &site),
        Route::Status(site) => jpphp::status(ctx, &site),
        Route::StatusV12(site) => jpphp::status_v12(ctx, &site),
        Route::UpgradePaths(site) => jpphp::upgrade_paths(ctx, &site),
        Route::Errors => Ok(jpphp::errors(ctx)),
        Route::KeysNew => keys::new_key(ctx),
        Route::KeysVerify => keys::verify(ctx),
        Route::PartnerInfo => reporting::partner(ctx),
        Route::Activations(p, k) => reporting::activations(ctx, &p, &k),
        Route::ActivationsSummary => reporting::activations_summary(ctx),
        Route::Invoices(p, k) => reporting::invoices(ctx, &p, &k),
        Route::UpcomingInvoice(p, k) => reporting::upcoming_invoice(ctx, &p, &k),
        Route::LicenseStatus => licensing::status(ctx),
        Route::LicenseIssue => licensing::issue(ctx),
        Route::LicenseRevoke => licensing::revoke(ctx),
        Route::LicenseAttach(k) => licensing::attach(ctx, &k),
        Route::LicenseDetach(k) => licensing::detach(ctx, &k),
        Route::ProductFamilies => licensing::product_families(ctx),
        Route::PartnerProductFamilies => licensing::partner_product_families(ctx),
        Route::LicensingPartner => licensing::partner(ctx),
        Route::SiteConnection => licensing::site_connection(ctx),
    };
    match result {
        Ok(r) => r,
        Err(Failure::Reply(r)) => r,
        Err(Failure::Storage(e)) => storage_error(&e),
    }
}

/// Why a handler did not produce its normal reply.
pub enum Failure {
    Reply(Reply),
    Storage(std::io::Error),
}

impl From<Reply> for Failure {
    fn from(r: Reply) -> Failure {
        Failure::Reply(r)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Storage(e)
    }
}

pub type Result<T> = std::result::Result<T, Failure>;

/// Makes sure every configured partner exists with its current secret.
pub fn seed_partners(store: &Store, partners: &[(String, String)]) -> std::io::Result<()> {
    store.write(|tx| {
        for (client_id, secret) in partners {
            let now = clock::now();
            if let Some(key) = tx.key_by_client_id(client_id).cloned() {
                if key.client_secret != *secret || key.disabled {
                    tx.put(Event::Key(KeyRec {
                        client_secret: secret.clone(),
                        disabled: false,
                        ..key
                    }));
                }
                continue;
            }
            let wanted = client_id.parse::<u64>().ok().filter(|id| *id > 0);
            let partner_id = match wanted {
                Some(id) if !tx.partners.contains_key(&id) => id,
                _ => tx.next_partner_id(1),
            };
            let user_id = tx.next_user_id();
            tx.put(Event::Partner(PartnerRec {
                id: partner_id,
                name: format!("Partner {client_id}"),
                user_id,
                created_on: now,
            }));
            let key_id = tx.next_key_id();
            tx.put(Event::Key(KeyRec {
                id: key_id,
                partner_id,
                client_id: client_id.clone(),
                client_secret: secret.clone(),
                name: format!("Partner {client_id}"),
                limits: None,
                notes: None,
                disabled: false,
                created_on: now,
                created_by: None,
            }));
        }
    })
}

/// Disables or re-enables a key (control endpoint). False if unknown.
pub fn set_key_disabled(store: &Store, client_id: &str, disabled: bool) -> std::io::Result<bool> {
    store.write(|tx| match tx.key_by_client_id(client_id).cloned() {
        None => false,
        Some(k) => {
            if k.disabled != disabled {
                tx.put(Event::Key(KeyRec { disabled, ..k }));
            }
            true
        }
    })
}
