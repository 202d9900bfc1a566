//! The site identifier of the cancel and status paths (PROTOCOL.md §3): a numeric blog ID, or the site
//! URL without its scheme with every `/` replaced by `::` (`https://example.com/demo/` ->
//! `example.com::demo`), percent-encoded as one path segment.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::Error;
use crate::validate::{normalize_host, parse_http_url, MAX_URL_BYTES};

/// Characters left as they are in a path segment: the unreserved set and `:` (the separator of the
/// identifier). Everything else is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

/// The `::` site identifier for a site URL (`https://example.com/demo/` -> `example.com::demo`), a
/// scheme-less URL (`example.com/demo`), an identifier already in `::` form (checked and returned
/// normalised) or a numeric blog ID (returned as is). The host is lower-cased and internationalised
/// labels are converted to Punycode; the query of a URL is not part of the identifier.
///
/// ```
/// assert_eq!(jetpack_partner_core::site_identifier("https://example.com/demo/").unwrap(), "example.com::demo");
/// assert_eq!(jetpack_partner_core::site_identifier("12345").unwrap(), "12345");
/// ```
pub fn site_identifier(site: &str) -> Result<String, Error> {
    identifier_for_field("site", site)
}

pub(crate) fn identifier_for_field(field: &str, site: &str) -> Result<String, Error> {
    if site.is_empty() {
        return Err(Error::invalid_argument(field, "must not be empty"));
    }
    if site.len() > MAX_URL_BYTES {
        return Err(Error::invalid_argument(
            field,
            format!("must be at most {MAX_URL_BYTES} bytes long"),
        ));
    }
    if site.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid_argument(
            field,
            "must not contain whitespace or control characters",
        ));
    }
    if site.bytes().all(|b| b.is_ascii_digit()) {
        if site.len() > 20 {
            return Err(Error::invalid_argument(field, "is not a valid blog ID"));
        }
        if site.bytes().all(|b| b == b'0') {
            return Err(Error::invalid_argument(
                field,
                "is not a valid blog ID (blog IDs start at 1)",
            ));
        }
        return Ok(site.to_string());
    }
    let identifier = if site.contains("://") {
        let url = parse_http_url(field, site)?;
        from_parts(&url.authority(), &url.rest)
    } else if site.contains("::") {
        normalize_identifier(field, site)?
    } else {
        let url = parse_http_url(field, &format!("http://{site}"))?;
        from_parts(&url.authority(), &url.rest)
    };
    // A host of digits alone would reach the API as a blog ID: another site.
    if identifier.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_argument(
            field,
            "has a host of digits only, which the API would read as a blog ID; pass the blog ID itself",
        ));
    }
    Ok(identifier)
}

/// `authority` + path with `/` -> `::`, trailing `:` removed; the query is dropped.
fn from_parts(authority: &str, rest: &str) -> String {
    let path = rest.split('?').next().unwrap_or("");
    let joined = format!("{authority}{path}").replace('/', "::");
    joined.trim_end_matches(':').to_string()
}

/// Checks an identifier already in `host[:port]::path::...` form (the host may be a bracketed IPv6
/// literal, whose own `::` is not a separator).
fn normalize_identifier(field: &str, id: &str) -> Result<String, Error> {
    let not_an_identifier = || {
        Error::invalid_argument(
            field,
            "is neither a URL, a blog ID nor a valid site identifier",
        )
    };
    let host_end = if id.starts_with('[') {
        id.find(']').map(|i| i + 1).ok_or_else(not_an_identifier)?
    } else {
        0
    };
    let (authority, path) = match id[host_end..].find("::") {
        Some(pos) => id.split_at(host_end + pos),
        None => (id, ""),
    };
    // '@' is fine in a path segment (`example.com/@user`), never in the authority.
    if authority.contains(['/', '?', '#', '@', '\\']) || path.contains(['/', '?', '#', '\\']) {
        return Err(not_an_identifier());
    }
    let (host, port) = if host_end > 0 {
        match &authority[host_end..] {
            "" => (&authority[..host_end], None),
            rest => match rest.strip_prefix(':') {
                Some(port) => (&authority[..host_end], Some(port)),
                None => return Err(not_an_identifier()),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() => (host, Some(port)),
            _ => (authority, None),
        }
    };
    let host = normalize_host(field, host)?;
    let authority = match port {
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            match p.parse::<u16>() {
                Ok(n) if n > 0 => format!("{host}:{n}"),
                _ => return Err(Error::invalid_argument(field, "has an invalid port")),
            }
        }
        Some(_) => return Err(Error::invalid_argument(field, "has an invalid port")),
        None => host,
    };
    Ok(format!("{authority}{path}")
        .trim_end_matches(':')
        .to_string())
}

/// The identifier percent-encoded as one path segment (`::` stays readable).
pub(crate) fn encode_path_segment(identifier: &str) -> String {
    utf8_percent_encode(identifier, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_identifiers() {
        for (input, expected) in [
            ("https://example.com", "example.com"),
            ("https://example.com/", "example.com"),
            ("http://example.com/demo", "example.com::demo"),
            ("https://example.com/demo/wp/", "example.com::demo::wp"),
            ("https://Example.COM/Demo", "example.com::Demo"),
            (
                "https://example.com:8443/blog?x=1",
                "example.com:8443::blog",
            ),
            ("example.com", "example.com"),
            ("example.com/demo/", "example.com::demo"),
            ("example.com::demo", "example.com::demo"),
            ("EXAMPLE.com::demo::", "example.com::demo"),
            ("example.com:8080::demo", "example.com:8080::demo"),
            ("https://bücher.example/a", "xn--bcher-kva.example::a"),
            ("12345", "12345"),
            ("https://[::1]:8443/wp", "[::1]:8443::wp"),
            ("[::1]:8443::wp", "[::1]:8443::wp"),
            ("[::1]::wp", "[::1]::wp"),
            ("https://example.com/@user", "example.com::@user"),
            ("example.com::@user", "example.com::@user"),
            ("https://12345.example/", "12345.example"),
        ] {
            assert_eq!(site_identifier(input).unwrap(), expected, "{input}");
        }
    }

    #[test]
    fn every_identifier_made_from_a_url_is_accepted_again() {
        for url in [
            "https://[::1]:8443/wp/",
            "https://example.com/@user/blog",
            "https://bücher.example:8080/a/b",
        ] {
            let id = site_identifier(url).unwrap();
            assert_eq!(site_identifier(&id).unwrap(), id, "{url}");
        }
    }

    #[test]
    fn blog_id_zero_is_refused() {
        for bad in ["0", "000"] {
            let err = site_identifier(bad).expect_err(bad);
            assert_eq!(err.code(), "invalid_argument");
            assert!(err.message().contains("start at 1"), "{}", err.message());
        }
        assert_eq!(site_identifier("10").unwrap(), "10");
    }

    #[test]
    fn hosts_of_digits_are_not_mistaken_for_blog_ids() {
        for bad in ["https://12345/", "http://12345", "12345::", "12345/"] {
            let err = site_identifier(bad).expect_err(bad);
            assert_eq!(err.code(), "invalid_argument", "{bad}");
            assert!(
                err.message().contains("blog ID"),
                "{bad}: {}",
                err.message()
            );
        }
    }

    #[test]
    fn bad_sites_are_refused_naming_the_field() {
        for bad in [
            "",
            " ",
            "https://user@example.com",
            "https://example.com/#x",
            "javascript:alert(1)",
            "example.com::a/b",
            "exa mple.com",
            "example.com\n",
            "123456789012345678901",
            "ftp://example.com",
            "example.com:99999::x",
            "user@example.com::x",
            "[::1::x",
            "[::1]x::y",
        ] {
            let err = site_identifier(bad).expect_err(bad);
            assert_eq!(err.code(), "invalid_argument", "{bad}");
            assert!(
                err.message().starts_with("site: "),
                "{bad}: {}",
                err.message()
            );
        }
    }

    #[test]
    fn path_segment_encoding_is_safe() {
        assert_eq!(
            encode_path_segment("example.com::demo"),
            "example.com::demo"
        );
        assert_eq!(
            encode_path_segment("example.com::a%2Fb"),
            "example.com::a%252Fb"
        );
        assert_eq!(
            encode_path_segment("example.com::..::x?y"),
            "example.com::..::x%3Fy"
        );
        assert_eq!(
            encode_path_segment("example.com::café"),
            "example.com::caf%C3%A9"
        );
        assert_eq!(encode_path_segment("a/b"), "a%2Fb");
    }
}
