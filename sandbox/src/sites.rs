//! Site URLs and their `::` identifiers (PROTOCOL.md §3).

/// A site URL as given to provision, checked and reduced to its identifier.
pub struct SiteUrl {
    /// `example.com::demo`
    pub identifier: String,
    /// The URL without a trailing slash: `https://example.com/demo`.
    pub url: String,
    /// The host, lowercased.
    pub host: String,
    /// Whether the caller gave the scheme (`example.com/blog` has none).
    pub has_scheme: bool,
}

/// Parses a site URL with an `http` or `https` scheme.
pub fn parse_url(raw: &str) -> Option<SiteUrl> {
    let raw = raw.trim();
    let lower = raw.to_ascii_lowercase();
    let (scheme, rest) = if lower.starts_with("https://") {
        ("https", &raw[8..])
    } else if lower.starts_with("http://") {
        ("http", &raw[7..])
    } else {
        return None;
    };
    parse_parts(scheme, rest, true)
}

/// Parses provision's `siteurl`: a URL as [`parse_url`] takes it, or the same
/// without its scheme (`example.com/blog`), as the 2018 WHMCS module sends it
/// and WordPress.com accepts. A scheme-less URL is read as `http://`.
pub fn parse_siteurl(raw: &str) -> Option<SiteUrl> {
    let raw = raw.trim();
    if raw.contains("://") {
        return parse_url(raw);
    }
    parse_parts("http", raw, false)
}

fn parse_parts(scheme: &str, rest: &str, has_scheme: bool) -> Option<SiteUrl> {
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return None;
    }
    let host_port = authority.to_ascii_lowercase();
    let host = host_port
        .rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host_port.as_str(), |(h, _)| h)
        .to_string();
    let valid_host = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b))
        && !host.starts_with('.')
        && !host.starts_with('-');
    if !valid_host || path.contains(char::is_whitespace) || path.contains("..") {
        return None;
    }
    // Without a scheme, a single word (`admin`) is a mistake rather than a site,
    // and `https:example.com` a broken URL.
    if !has_scheme && !host.starts_with('[') && (!host.contains('.') || host.contains(':')) {
        return None;
    }
    let path = path.trim_end_matches('/');
    let url = format!("{scheme}://{host_port}{path}");
    Some(SiteUrl {
        identifier: identifier_of(&format!("{host_port}{path}")),
        url,
        host,
        has_scheme,
    })
}

/// `example.com/demo/` -> `example.com::demo`.
pub fn identifier_of(without_scheme: &str) -> String {
    without_scheme
        .to_ascii_lowercase()
        .replace('/', "::")
        .trim_end_matches(':')
        .to_string()
}

/// How a `{site}` path segment names a site.
pub enum SiteRef {
    BlogId(u64),
    Identifier(String),
}

/// Reads a `{site}` path segment: a blog ID, a `::` identifier, or (leniently)
/// a URL.
pub fn parse_ref(segment: &str) -> SiteRef {
    let s = segment.trim();
    if !s.is_empty() && s.len() < 20 && s.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(id) = s.parse() {
            return SiteRef::BlogId(id);
        }
    }
    if let Some(u) = parse_url(s) {
        return SiteRef::Identifier(u.identifier);
    }
    SiteRef::Identifier(identifier_of(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        let u = parse_url("https://Example.com/demo/wp/").unwrap();
        assert_eq!(u.identifier, "example.com::demo::wp");
        assert_eq!(u.url, "https://example.com/demo/wp");
        assert_eq!(
            parse_url("http://example.com").unwrap().identifier,
            "example.com"
        );
        assert!(parse_url("example.com").is_none());
        let bare = parse_siteurl("Example.com/blog/").unwrap();
        assert_eq!(bare.identifier, "example.com::blog");
        assert_eq!(bare.url, "http://example.com/blog");
        assert!(!bare.has_scheme);
        assert!(parse_siteurl("https://example.com").unwrap().has_scheme);
        assert!(parse_siteurl("ftp://example.com").is_none());
        assert!(parse_siteurl("not a site").is_none());
        assert!(parse_siteurl("admin").is_none());
        assert!(parse_siteurl("https:example.com").is_none());
        assert_eq!(
            parse_siteurl("example.com:8080/wp").unwrap().url,
            "http://example.com:8080/wp"
        );
        assert!(parse_siteurl("http://intranet").is_some());
        assert!(parse_siteurl("").is_none());
        assert!(parse_url("ftp://example.com").is_none());
        assert!(parse_url("https://").is_none());
        assert!(matches!(parse_ref("123"), SiteRef::BlogId(123)));
        assert!(
            matches!(parse_ref("example.com::demo"), SiteRef::Identifier(ref s) if s == "example.com::demo")
        );
    }
}
