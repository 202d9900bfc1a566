//! The sandbox's data: partners, keys, tokens, sites, activations, licenses.
//!
//! Every change is expressed as an [`Event`] that replaces one whole record, so
//! replaying the journal is applying the events in order.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A partner (a hosting company or reseller) and its WordPress.com user.
#[derive(Clone, Serialize, Deserialize)]
pub struct PartnerRec {
    pub id: u64,
    pub name: String,
    /// The WordPress.com user tied to the partner (login `partner-<id>`).
    pub user_id: u64,
    pub created_on: i64,
}

/// Per-plan activation limits of a key created through partner-keys/new.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Limits {
    pub personal: u64,
    pub premium: u64,
    pub professional: u64,
}

/// A partner key: OAuth client credentials that provision plans.
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyRec {
    pub id: u64,
    pub partner_id: u64,
    pub client_id: String,
    pub client_secret: String,
    pub name: String,
    /// `None` for keys given on the command line (no limits).
    pub limits: Option<Limits>,
    pub notes: Option<String>,
    pub disabled: bool,
    pub created_on: i64,
    /// The key that created this one through partner-keys/new.
    pub created_by: Option<u64>,
}

/// What a bearer token stands for.
#[derive(Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// client_credentials: acts as the partner key.
    Partner,
    /// authorization_code, implicit or password: acts as a WordPress.com user.
    User,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct TokenRec {
    pub token: String,
    pub kind: TokenKind,
    pub client_id: String,
    pub user_id: u64,
    pub blog_id: u64,
    pub scope: String,
    pub revoked: bool,
    pub expires_at: Option<i64>,
    pub created_on: i64,
}

/// An authorization code from the authorize page, exchanged once.
#[derive(Clone, Serialize, Deserialize)]
pub struct CodeRec {
    pub code: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: u64,
    pub blog_id: u64,
    pub scope: String,
    pub used: bool,
    pub created_on: i64,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct SiteRec {
    pub blog_id: u64,
    /// The `::` identifier (`example.com::blog`).
    pub identifier: String,
    pub siteurl: String,
    pub connected: bool,
    pub connected_on: Option<i64>,
    pub has_backups_credentials: bool,
    pub local_user: String,
    pub wpcom_user_id: u64,
    pub created_on: i64,
}

/// One partner plan or product on one site.
#[derive(Clone, Serialize, Deserialize)]
pub struct ActivationRec {
    pub id: u64,
    pub key_id: u64,
    pub blog_id: u64,
    /// The product as first provisioned.
    pub product_id: u64,
    /// The product now (differs after an upgrade).
    pub current_product_id: u64,
    pub created_on: i64,
    /// `None` while pending (site not connected yet).
    pub activated_on: Option<i64>,
    pub cancelled_on: Option<i64>,
    pub wpcom_user_id: u64,
    pub external_user_id: String,
    pub site_url: String,
    pub partner_tracking_id: Option<String>,
}

/// How long an activation may stay pending before it lapses.
pub const PENDING_TTL: i64 = 14 * 24 * 3600;

impl ActivationRec {
    /// When it stopped running: cancelled, or lapsed after 14 days pending.
    pub fn ended_on(&self, now: i64) -> Option<i64> {
        self.cancelled_on.or_else(|| {
            let lapse = self.created_on + PENDING_TTL;
            (self.activated_on.is_none() && lapse <= now).then_some(lapse)
        })
    }
    /// Active or pending at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        self.ended_on(now).is_none()
    }
    pub fn is_pending(&self, now: i64) -> bool {
        self.is_live(now) && self.activated_on.is_none()
    }
}

/// A license of the Licensing API (PROTOCOL.md §10).
#[derive(Clone, Serialize, Deserialize)]
pub struct LicenseRec {
    pub id: u64,
    pub license_key: String,
    pub key_id: u64,
    pub product: String,
    pub issued_at: i64,
    pub attached_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub blog_id: Option<u64>,
    pub site_url: Option<String>,
}

/// One change, as written to the journal.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Event {
    Partner(PartnerRec),
    Key(KeyRec),
    Token(TokenRec),
    Code(CodeRec),
    Site(SiteRec),
    Activation(ActivationRec),
    License(LicenseRec),
}

#[derive(Default)]
pub struct State {
    pub partners: BTreeMap<u64, PartnerRec>,
    pub keys: BTreeMap<u64, KeyRec>,
    pub key_by_client: HashMap<String, u64>,
    pub tokens: HashMap<String, TokenRec>,
    pub codes: HashMap<String, CodeRec>,
    pub sites: BTreeMap<u64, SiteRec>,
    pub site_by_identifier: HashMap<String, u64>,
    pub activations: BTreeMap<u64, ActivationRec>,
    pub activations_by_blog: HashMap<u64, Vec<u64>>,
    pub licenses: BTreeMap<String, LicenseRec>,
}

/// The first blog ID handed out.
const FIRST_BLOG_ID: u64 = 200_000_001;
/// The first WordPress.com user ID handed out to partner users.
const FIRST_USER_ID: u64 = 90_000_001;

impl State {
    pub fn apply(&mut self, ev: &Event) {
        match ev {
            Event::Partner(p) => {
                self.partners.insert(p.id, p.clone());
            }
            Event::Key(k) => {
                self.key_by_client.insert(k.client_id.clone(), k.id);
                self.keys.insert(k.id, k.clone());
            }
            Event::Token(t) => {
                self.tokens.insert(t.token.clone(), t.clone());
            }
            Event::Code(c) => {
                self.codes.insert(c.code.clone(), c.clone());
            }
            Event::Site(s) => {
                self.site_by_identifier
                    .insert(s.identifier.clone(), s.blog_id);
                self.sites.insert(s.blog_id, s.clone());
            }
            Event::Activation(a) => {
                if self.activations.insert(a.id, a.clone()).is_none() {
                    self.activations_by_blog
                        .entry(a.blog_id)
                        .or_default()
                        .push(a.id);
                }
            }
            Event::License(l) => {
                self.licenses.insert(l.license_key.clone(), l.clone());
            }
        }
    }

    /// The events that rebuild the current state (revoked tokens and used
    /// codes left out: unknown ones are refused the same way).
    pub fn snapshot(&self) -> Vec<Event> {
        let mut v = Vec::new();
        v.extend(self.partners.values().cloned().map(Event::Partner));
        v.extend(self.keys.values().cloned().map(Event::Key));
        v.extend(
            self.tokens
                .values()
                .filter(|t| !t.revoked)
                .cloned()
                .map(Event::Token),
        );
        v.extend(
            self.codes
                .values()
                .filter(|c| !c.used)
                .cloned()
                .map(Event::Code),
        );
        v.extend(self.sites.values().cloned().map(Event::Site));
        v.extend(self.activations.values().cloned().map(Event::Activation));
        v.extend(self.licenses.values().cloned().map(Event::License));
        v
    }

    pub fn key_by_client_id(&self, client_id: &str) -> Option<&KeyRec> {
        self.key_by_client
            .get(client_id)
            .and_then(|id| self.keys.get(id))
    }

    pub fn next_key_id(&self) -> u64 {
        self.keys.keys().next_back().map_or(1, |k| k + 1)
    }

    pub fn next_partner_id(&self, at_least: u64) -> u64 {
        self.partners
            .keys()
            .next_back()
            .map_or(at_least, |k| (k + 1).max(at_least))
    }

    pub fn next_user_id(&self) -> u64 {
        self.partners
            .values()
            .map(|p| p.user_id + 1)
            .max()
            .unwrap_or(FIRST_USER_ID)
            .max(FIRST_USER_ID)
    }

    pub fn next_blog_id(&self) -> u64 {
        self.sites
            .keys()
            .next_back()
            .map_or(FIRST_BLOG_ID, |k| k + 1)
    }

    pub fn next_activation_id(&self) -> u64 {
        self.activations.keys().next_back().map_or(1, |k| k + 1)
    }

    pub fn partner_of_user(&self, user_id: u64) -> Option<&PartnerRec> {
        self.partners.values().find(|p| p.user_id == user_id)
    }

    pub fn site_by_ident(&self, ident: &str) -> Option<&SiteRec> {
        self.site_by_identifier
            .get(ident)
            .and_then(|id| self.sites.get(id))
    }

    /// Live (active or pending) activations on a blog.
    pub fn live_activations(&self, blog_id: u64, now: i64) -> Vec<&ActivationRec> {
        self.activations_by_blog
            .get(&blog_id)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.activations.get(id))
                    .filter(|a| a.is_live(now))
                    .collect()
            })
            .unwrap_or_default()
    }
}
