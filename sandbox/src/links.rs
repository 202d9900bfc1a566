//! The base URL of links the sandbox hands out (`next_url`): they must work
//! from the user's browser, which reaches the sandbox as the client did, not
//! at its listen address when it runs behind a TLS front or in a container.

use crate::http::Request;
use crate::Shared;

/// `--public-url` when given; else the scheme and `Host` the client used
/// (`X-Forwarded-Proto` from a front wins over the connection's own scheme);
/// else the listen address.
pub fn base_url(shared: &Shared, req: &Request) -> String {
    if let Some(public) = &shared.public_url {
        return public.clone();
    }
    let Some(host) = req.header("host").map(str::trim).filter(|h| is_host(h)) else {
        return shared.base_url.clone();
    };
    let forwarded = req
        .header("x-forwarded-proto")
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_ascii_lowercase());
    let scheme = match forwarded.as_deref() {
        Some("https") => "https",
        Some("http") => "http",
        _ if req.secure => "https",
        _ => "http",
    };
    format!("{scheme}://{}", host.to_ascii_lowercase())
}

/// `host[:port]` (an IPv6 literal in brackets): nothing that could bend a link.
fn is_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 260
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::is_host;

    #[test]
    fn hosts() {
        assert!(is_host("public-api.wordpress.com"));
        assert!(is_host("127.0.0.1:8443"));
        assert!(is_host("[::1]:8443"));
        assert!(!is_host("evil.com/path"));
        assert!(!is_host("a b"));
        assert!(!is_host(""));
        assert!(!is_host("user@host"));
    }
}
