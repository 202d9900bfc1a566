//! One operation of a batch: what to do, to which site, and the caller's key that names it in
//! results and in the journal.

use std::fmt;

use serde_json::{json, Value};
use zeroize::Zeroize;

use crate::api::operations::{cancel::cancel_call, provision::provision_call};
use crate::api::Options;
use crate::error::Error;

/// The operation of a batch item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// [`crate::Client::provision`].
    Provision,
    /// [`crate::Client::cancel`].
    Cancel,
}

impl Operation {
    /// `"provision"` or `"cancel"`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Provision => "provision",
            Operation::Cancel => "cancel",
        }
    }
}

/// One provision or cancel of a batch.
#[derive(Clone)]
pub struct BatchItem {
    /// The caller's name for the item (an order ID...): unique within a batch, it ties results and
    /// journal lines to the item. Defaults to `"<operation> <site> <plan>"`.
    pub key: String,
    pub operation: Operation,
    /// `local_user` of a provision (unused by cancel).
    pub local_user: String,
    /// `siteurl` of a provision, `site` of a cancel.
    pub site: String,
    /// The plan to provision; for cancel, the `plan` option.
    pub plan: Option<String>,
    /// The operation's other options (`cancel_all` for cancel; `wpcom_user_id`, backup credentials...
    /// for provision).
    pub options: Options,
}

impl fmt::Debug for BatchItem {
    // Options may carry backup passwords: only their names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchItem")
            .field("key", &self.key)
            .field("operation", &self.operation)
            .field("site", &self.site)
            .field("plan", &self.plan)
            .field("options", &self.options.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl BatchItem {
    /// A provision of `plan` (`None`: the server's default, free) for `local_user` on `siteurl`.
    pub fn provision(
        key: Option<&str>,
        local_user: &str,
        siteurl: &str,
        plan: Option<&str>,
        options: Options,
    ) -> BatchItem {
        BatchItem::new(
            key,
            Operation::Provision,
            local_user,
            siteurl,
            plan,
            options,
        )
    }

    /// A cancel of the partner plan of `site`; `plan` for stand-alone products, `cancel_all` in
    /// `options` for every plan of the calling key.
    pub fn cancel(
        key: Option<&str>,
        site: &str,
        plan: Option<&str>,
        options: Options,
    ) -> BatchItem {
        BatchItem::new(key, Operation::Cancel, "", site, plan, options)
    }

    fn new(
        key: Option<&str>,
        operation: Operation,
        local_user: &str,
        site: &str,
        plan: Option<&str>,
        options: Options,
    ) -> BatchItem {
        let key = match key {
            Some(k) if !k.is_empty() => k.to_string(),
            _ => format!("{} {} {}", operation.name(), site, plan.unwrap_or(""))
                .trim_end()
                .to_string(),
        };
        BatchItem {
            key,
            operation,
            local_user: local_user.to_string(),
            site: site.to_string(),
            plan: plan.filter(|p| !p.is_empty()).map(str::to_string),
            options,
        }
    }

    /// The cancel options with `plan` folded in.
    pub(crate) fn cancel_options(&self) -> Options {
        let mut options = self.options.clone();
        if let Some(plan) = &self.plan {
            options.insert("plan".into(), Value::String(plan.clone()));
        }
        options
    }

    /// Checks every field as the single call would, without sending anything.
    pub fn check(&self) -> Result<(), Error> {
        if self.key.len() > 1024 || self.key.contains(['\n', '\r', '\0']) {
            return Err(Error::invalid_argument(
                "key",
                "must be at most 1024 bytes, on one line",
            ));
        }
        match self.operation {
            Operation::Provision => provision_call(
                &self.local_user,
                &self.site,
                self.plan.as_deref(),
                &self.options,
            )
            .map(drop),
            Operation::Cancel => cancel_call(&self.site, &self.cancel_options()).map(drop),
        }
    }

    /// What the journal records to recognise the item: the same key with another operation, site or
    /// plan is a different item.
    pub(crate) fn fingerprint(&self) -> Value {
        json!({"op": self.operation.name(), "site": self.site, "plan": self.plan,
               "cancel_all": self.options.get("cancel_all").is_some_and(truthy)})
    }
}

impl Drop for BatchItem {
    // Options may hold backup passwords or keys: wiped from memory with the item.
    fn drop(&mut self) {
        fn wipe(value: &mut Value) {
            match value {
                Value::String(s) => s.zeroize(),
                Value::Array(items) => items.iter_mut().for_each(wipe),
                Value::Object(map) => map.values_mut().for_each(wipe),
                _ => {}
            }
        }
        self.options.values_mut().for_each(wipe);
    }
}

/// The option value of a boolean as the option parser reads it.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.as_str(), "1" | "true" | "yes"),
        Value::Number(n) => n.as_u64() == Some(1),
        _ => false,
    }
}
