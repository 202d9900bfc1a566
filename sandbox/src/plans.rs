//! The catalogue of plan and product slugs the sandbox accepts (PROTOCOL.md §8).
//!
//! Each slug belongs to a family; within a family a higher rank is an upgrade.
//! A site holds at most one active partner activation per family.

/// One plan or product.
pub struct Plan {
    pub slug: &'static str,
    /// WordPress.com store product ID.
    pub product_id: u64,
    pub family: &'static str,
    pub rank: u32,
    /// Monthly price in US cents used for the sandbox's invoices (invented).
    pub price_cents: u64,
    pub name: &'static str,
}

pub const FREE: &str = "free";

pub static PLANS: &[Plan] = &[
    Plan {
        slug: "free",
        product_id: 2002,
        family: "plans",
        rank: 0,
        price_cents: 0,
        name: "Jetpack Free",
    },
    Plan {
        slug: "personal",
        product_id: 2005,
        family: "plans",
        rank: 1,
        price_cents: 350,
        name: "Jetpack Personal",
    },
    Plan {
        slug: "premium",
        product_id: 2000,
        family: "plans",
        rank: 2,
        price_cents: 900,
        name: "Jetpack Premium",
    },
    Plan {
        slug: "jetpack-security-daily",
        product_id: 2010,
        family: "plans",
        rank: 3,
        price_cents: 1200,
        name: "Jetpack Security Daily",
    },
    Plan {
        slug: "professional",
        product_id: 2001,
        family: "plans",
        rank: 4,
        price_cents: 2900,
        name: "Jetpack Professional",
    },
    Plan {
        slug: "jetpack-security-realtime",
        product_id: 2012,
        family: "plans",
        rank: 4,
        price_cents: 2900,
        name: "Jetpack Security Real-time",
    },
    Plan {
        slug: "jetpack-complete",
        product_id: 2014,
        family: "plans",
        rank: 5,
        price_cents: 4900,
        name: "Jetpack Complete",
    },
    Plan {
        slug: "jetpack-backup-daily",
        product_id: 2100,
        family: "backup",
        rank: 1,
        price_cents: 400,
        name: "Jetpack Backup Daily",
    },
    Plan {
        slug: "jetpack-backup-realtime",
        product_id: 2102,
        family: "backup",
        rank: 2,
        price_cents: 1600,
        name: "Jetpack Backup Real-time",
    },
    Plan {
        slug: "jetpack-scan",
        product_id: 2106,
        family: "scan",
        rank: 1,
        price_cents: 700,
        name: "Jetpack Scan",
    },
    Plan {
        slug: "jetpack-anti-spam",
        product_id: 2110,
        family: "anti-spam",
        rank: 1,
        price_cents: 500,
        name: "Jetpack Anti-spam",
    },
];

/// Finds a plan by slug (case-insensitive; `jetpack_`/`jetpack-` prefixes of the
/// three classic plans are accepted too: `jetpack_premium`).
pub fn find(slug: &str) -> Option<&'static Plan> {
    let s = slug.trim().to_ascii_lowercase().replace('_', "-");
    let s = match s.as_str() {
        "jetpack-free" => "free",
        "jetpack-personal" => "personal",
        "jetpack-premium" => "premium",
        "jetpack-business" | "jetpack-professional" | "business" => "professional",
        other => other,
    };
    PLANS.iter().find(|p| p.slug == s)
}

/// Finds a plan by product ID.
pub fn by_product_id(id: u64) -> Option<&'static Plan> {
    PLANS.iter().find(|p| p.product_id == id)
}

/// The families, in display order.
pub fn families() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for p in PLANS {
        if !v.contains(&p.family) {
            v.push(p.family);
        }
    }
    v
}
