//! Input checks done before any request: a refused value gives `invalid_argument` naming the field,
//! and nothing reaches the network.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::Error;

/// Longest accepted site URL, in bytes.
pub const MAX_URL_BYTES: usize = 2048;
/// Longest accepted plan slug, in bytes.
const MAX_PLAN_BYTES: usize = 64;
/// Longest accepted `local_user` (a login, an e-mail address or a numeric ID), in bytes.
const MAX_LOCAL_USER_BYTES: usize = 255;

/// An absolute http(s) URL split into the parts the library needs. The host is in ASCII form
/// (lower case, internationalised labels converted to Punycode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    /// `http` or `https`.
    pub scheme: String,
    /// ASCII host; an IPv6 literal keeps its brackets.
    pub host: String,
    pub port: Option<u16>,
    /// Everything after the authority (path and query), possibly empty.
    pub rest: String,
}

impl HttpUrl {
    /// The authority as it goes on the wire: host plus `:port` when one was given.
    pub fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{}", self.host, port),
            None => self.host.clone(),
        }
    }

    /// The whole URL, re-assembled from its (normalised) parts.
    pub fn to_url_string(&self) -> String {
        let mut url =
            String::with_capacity(self.scheme.len() + 3 + self.host.len() + 6 + self.rest.len());
        url.push_str(&self.scheme);
        url.push_str("://");
        url.push_str(&self.host);
        if let Some(port) = self.port {
            url.push(':');
            url.push_str(&port.to_string());
        }
        url.push_str(&self.rest);
        url
    }

    /// Whether the host is a loopback name or address (`localhost`, `127.0.0.0/8`, `[::1]`).
    pub fn is_loopback(&self) -> bool {
        if self.host == "localhost" {
            return true;
        }
        if let Ok(ip) = self.host.parse::<Ipv4Addr>() {
            return ip.is_loopback();
        }
        let inner = self.host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = inner.parse::<Ipv6Addr>() {
            return ip.is_loopback();
        }
        false
    }
}

/// Refuses whitespace and control characters (CR, LF, NUL, ...) anywhere in `value`.
fn check_no_whitespace_or_control(field: &str, value: &str) -> Result<(), Error> {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid_argument(
            field,
            "must not contain whitespace or control characters",
        ));
    }
    Ok(())
}

/// Parses an absolute `http://` or `https://` URL with a host, no user information and no fragment.
pub(crate) fn parse_http_url(field: &str, input: &str) -> Result<HttpUrl, Error> {
    if input.is_empty() {
        return Err(Error::invalid_argument(field, "must not be empty"));
    }
    if input.len() > MAX_URL_BYTES {
        return Err(Error::invalid_argument(
            field,
            format!("must be at most {MAX_URL_BYTES} bytes long"),
        ));
    }
    check_no_whitespace_or_control(field, input)?;
    let Some((scheme, after_scheme)) = input.split_once("://") else {
        return Err(Error::invalid_argument(
            field,
            "must be an absolute http:// or https:// URL",
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(Error::invalid_argument(
            field,
            "must be an absolute http:// or https:// URL",
        ));
    }
    if input.contains('#') {
        return Err(Error::invalid_argument(
            field,
            "must not contain a fragment (#...)",
        ));
    }
    let authority_end = after_scheme.find(['/', '?']).unwrap_or(after_scheme.len());
    let (authority, rest) = after_scheme.split_at(authority_end);
    if authority.contains('@') {
        return Err(Error::invalid_argument(
            field,
            "must not contain user information (user:password@)",
        ));
    }
    let (host_part, port) = split_port(field, authority)?;
    let host = normalize_host(field, host_part)?;
    let rest = if rest.starts_with('?') {
        format!("/{rest}")
    } else {
        rest.to_string()
    };
    Ok(HttpUrl {
        scheme,
        host,
        port,
        rest,
    })
}

/// Splits `host[:port]` (the host may be a bracketed IPv6 literal).
fn split_port<'a>(field: &str, authority: &'a str) -> Result<(&'a str, Option<u16>), Error> {
    let (host, port) = if authority.starts_with('[') {
        match authority.find(']') {
            Some(end) => {
                let (host, after) = authority.split_at(end + 1);
                match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None if after.is_empty() => (host, None),
                    None => return Err(Error::invalid_argument(field, "has an invalid host")),
                }
            }
            None => return Err(Error::invalid_argument(field, "has an invalid host")),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::invalid_argument(field, "has an invalid port"));
            }
            match p.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => return Err(Error::invalid_argument(field, "has an invalid port")),
            }
        }
    };
    Ok((host, port))
}

/// Checks a host name and returns its ASCII form: lower case, each internationalised label converted
/// to Punycode (`xn--...`). IPv4 and bracketed IPv6 literals are kept.
pub(crate) fn normalize_host(field: &str, host: &str) -> Result<String, Error> {
    if host.is_empty() {
        return Err(Error::invalid_argument(field, "must have a host"));
    }
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']').unwrap_or(inner);
        return match inner.parse::<Ipv6Addr>() {
            Ok(ip) => Ok(format!("[{ip}]")),
            Err(_) => Err(Error::invalid_argument(
                field,
                "has an invalid IPv6 address",
            )),
        };
    }
    if host.is_ascii() {
        return normalize_ascii_host(field, host);
    }
    normalize_unicode_host(field, host)
}

/// `normalize_host` for a host with non-ASCII characters: UTS #46 processing (mapping, NFC,
/// Punycode) by the `idna` crate, then the same checks as an ASCII host.
fn normalize_unicode_host(field: &str, host: &str) -> Result<String, Error> {
    let ascii = idna::domain_to_ascii(host).map_err(|_| {
        Error::invalid_argument(field, "has an invalid internationalised host name")
    })?;
    normalize_ascii_host(field, &ascii)
}

/// `normalize_host` for an ASCII host, in one allocation: the same checks, in the same order, with
/// the same outcome.
fn normalize_ascii_host(field: &str, host: &str) -> Result<String, Error> {
    let joined = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    for label in joined.split('.') {
        if label.is_empty() {
            return Err(Error::invalid_argument(
                field,
                "has an empty label in its host",
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::invalid_argument(
                field,
                "has invalid characters in its host",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Error::invalid_argument(
                field,
                "has a host label that starts or ends with '-'",
            ));
        }
        if label.len() > 63 {
            return Err(Error::invalid_argument(
                field,
                "has a host label longer than 63 bytes",
            ));
        }
    }
    if joined.len() > 253 {
        return Err(Error::invalid_argument(
            field,
            "has a host longer than 253 bytes",
        ));
    }
    Ok(joined)
}

/// `siteurl`: an absolute http(s) URL with a host, no user information, no fragment, no whitespace or
/// control characters, at most 2048 bytes. Returns the URL to send, with an ASCII host.
pub(crate) fn check_siteurl(field: &str, siteurl: &str) -> Result<String, Error> {
    Ok(parse_http_url(field, siteurl)?.to_url_string())
}

/// Provision's `siteurl`: what [`check_siteurl`] takes, or the same without its scheme
/// (`example.com/blog`). WordPress.com accepts the scheme-less form: the 2018 WHMCS provisioning
/// module (Automattic/Jetpack-Partners-WHMCS-Module) strips the scheme on purpose and ran against it.
/// A scheme-less URL is sent without a scheme (host in ASCII form, lower case): the service, not the
/// library, decides how it reaches the site. Its host must be a domain name or an IP address: a
/// single word (`admin`) is far likelier a mistake than a site.
pub(crate) fn check_provision_siteurl(field: &str, siteurl: &str) -> Result<String, Error> {
    if siteurl.is_empty() || siteurl.contains("://") {
        return check_siteurl(field, siteurl);
    }
    if names_another_scheme(siteurl) {
        return Err(Error::invalid_argument(
            field,
            "must be an absolute http:// or https:// URL, or a host and path without a scheme",
        ));
    }
    check_no_whitespace_or_control(field, siteurl)?;
    let url = parse_http_url(field, &format!("http://{siteurl}"))?;
    // `admin` or `bad` is a mistake, not a site: without a scheme, ask for a domain (or an IP).
    if !url.host.contains('.') && !url.host.starts_with('[') {
        return Err(Error::invalid_argument(
            field,
            "without a scheme, must start with a domain name (example.com/blog)",
        ));
    }
    let mut without_scheme = url.authority();
    without_scheme.push_str(&url.rest);
    Ok(without_scheme)
}

/// `mailto:x`, `javascript:...`: a scheme other than a `host:port` (`example.com:8080/blog`).
fn names_another_scheme(value: &str) -> bool {
    let Some((before, after)) = value.split_once(':') else {
        return false;
    };
    let scheme_like = before.starts_with(|c: char| c.is_ascii_alphabetic())
        && before
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    scheme_like && !after.starts_with(|c: char| c.is_ascii_digit())
}

/// `local_user`: the WordPress user (login, e-mail or numeric ID): not empty, no control characters.
pub(crate) fn check_local_user(local_user: &str) -> Result<(), Error> {
    if local_user.trim().is_empty() {
        return Err(Error::invalid_argument("local_user", "must not be empty"));
    }
    if local_user.len() > MAX_LOCAL_USER_BYTES {
        return Err(Error::invalid_argument(
            "local_user",
            format!("must be at most {MAX_LOCAL_USER_BYTES} bytes long"),
        ));
    }
    if local_user.chars().any(char::is_control) {
        return Err(Error::invalid_argument(
            "local_user",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// A plan slug: `[a-z0-9][a-z0-9-]*`, at most 64 bytes. The server decides which slugs exist.
pub(crate) fn check_plan(field: &str, plan: &str) -> Result<(), Error> {
    let bytes = plan.as_bytes();
    let well_formed = !bytes.is_empty()
        && bytes.len() <= MAX_PLAN_BYTES
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !well_formed {
        return Err(Error::invalid_argument(
            field,
            "must be a plan slug: lower-case letters, digits and '-' (e.g. \"premium\", \"jetpack-backup-daily\")",
        ));
    }
    Ok(())
}

/// A free-text value: at most `max` bytes; control characters refused unless `multiline` (then only
/// CR, LF and TAB are allowed).
pub(crate) fn check_text(
    field: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<(), Error> {
    if value.len() > max {
        return Err(Error::invalid_argument(
            field,
            format!("must be at most {max} bytes long"),
        ));
    }
    let bad = value
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')));
    if bad {
        return Err(Error::invalid_argument(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn ascii_hosts_take_the_short_path_to_the_same_result() {
        let long_label = "a".repeat(64);
        let long_host = format!("{}.com", "abcdefghi.".repeat(26));
        for host in [
            "example.com",
            "Example.COM.",
            "a..b",
            ".",
            "a.",
            "..",
            "-a.com",
            "a-.com",
            "a_b.example",
            "ex ample.com",
            "ex%41.com",
            long_label.as_str(),
            long_host.as_str(),
            "127.0.0.1",
            "xn--bcher-kva.example",
        ] {
            let short = normalize_ascii_host("siteurl", host).map_err(|e| e.message().to_string());
            let general =
                normalize_unicode_host("siteurl", host).map_err(|e| e.message().to_string());
            assert_eq!(short, general, "{host}");
        }
    }

    use super::*;

    fn refused(field: &str, input: &str) -> String {
        let err = check_siteurl(field, input).expect_err(input);
        assert_eq!(err.code(), "invalid_argument");
        assert!(
            err.message().starts_with(&format!("{field}: ")),
            "{}",
            err.message()
        );
        err.message().to_string()
    }

    #[test]
    fn siteurl_accepts_plain_urls() {
        assert_eq!(
            check_siteurl("siteurl", "https://example.com").unwrap(),
            "https://example.com"
        );
        assert_eq!(
            check_siteurl("siteurl", "HTTP://Example.COM:8080/blog/?a=b").unwrap(),
            "http://example.com:8080/blog/?a=b"
        );
        assert_eq!(
            check_siteurl("siteurl", "https://example.com?x=1").unwrap(),
            "https://example.com/?x=1"
        );
        assert_eq!(
            check_siteurl("siteurl", "https://[::1]:8443/wp").unwrap(),
            "https://[::1]:8443/wp"
        );
        assert_eq!(
            check_siteurl("siteurl", "https://127.0.0.1/").unwrap(),
            "https://127.0.0.1/"
        );
    }

    #[test]
    fn siteurl_converts_idn_to_punycode() {
        assert_eq!(
            check_siteurl("siteurl", "https://bücher.example/shop").unwrap(),
            "https://xn--bcher-kva.example/shop"
        );
        assert_eq!(
            check_siteurl("siteurl", "https://MÜNCHEN.de").unwrap(),
            "https://xn--mnchen-3ya.de"
        );
        assert_eq!(
            check_siteurl("siteurl", "https://例え。テスト").unwrap(),
            "https://xn--r8jz45g.xn--zckzah"
        );
        // UTS #46 mapping: full-width letters, symbols that are registered domains (xn--n3h.net).
        assert_eq!(
            check_siteurl("siteurl", "https://ｅｘａｍｐｌｅ.com/").unwrap(),
            "https://example.com/"
        );
        assert_eq!(
            check_siteurl("siteurl", "https://☃.net").unwrap(),
            "https://xn--n3h.net"
        );
        assert!(refused("siteurl", "https://bü\u{FFFD}cher.example").contains("host"));
    }

    #[test]
    fn provision_siteurl_may_leave_out_the_scheme() {
        let check = |v: &str| check_provision_siteurl("siteurl", v);
        assert_eq!(check("example.com").unwrap(), "example.com");
        assert_eq!(check("Example.COM/blog").unwrap(), "example.com/blog");
        assert_eq!(
            check("example.com:8080/blog/").unwrap(),
            "example.com:8080/blog/"
        );
        assert_eq!(check("bücher.example").unwrap(), "xn--bcher-kva.example");
        assert_eq!(
            check("https://example.com/").unwrap(),
            "https://example.com/"
        );
        // What it sends, it accepts again unchanged.
        for v in [
            "example.com/a?b=c",
            "[::1]:8443/wp",
            "xn--bcher-kva.example",
        ] {
            assert_eq!(check(&check(v).unwrap()).unwrap(), check(v).unwrap());
        }
        for (bad, why) in [
            ("", "empty"),
            ("javascript:alert(1)", "absolute"),
            ("mailto:a@example.com", "absolute"),
            ("ftp://example.com", "http"),
            ("user@example.com", "user information"),
            ("exa mple.com", "whitespace"),
            ("example.com/#x", "fragment"),
            ("example.com:99999", "port"),
            ("/just/a/path", "host"),
            ("bad", "domain name"),
            ("localhost:8080/wp", "domain name"),
        ] {
            let err = check(bad).expect_err(bad);
            assert!(err.message().contains(why), "{bad}: {}", err.message());
        }
    }

    #[test]
    fn siteurl_refusals_name_the_field() {
        assert!(refused("siteurl", "").contains("empty"));
        assert!(refused("siteurl", "example.com").contains("absolute"));
        assert!(refused("siteurl", "javascript:alert(1)").contains("absolute"));
        assert!(refused("siteurl", "ftp://example.com").contains("http"));
        assert!(refused("siteurl", "https://").contains("host"));
        assert!(refused("siteurl", "https:///path").contains("host"));
        assert!(refused("siteurl", "https://user:pw@example.com").contains("user information"));
        assert!(refused("siteurl", "https://example.com/#frag").contains("fragment"));
        assert!(refused("siteurl", "https://exa mple.com").contains("whitespace"));
        assert!(refused("siteurl", "https://example.com/\r\nX: y").contains("control"));
        assert!(refused("siteurl", "https://example.com/\0").contains("control"));
        assert!(refused("siteurl", "https://example.com:99999").contains("port"));
        assert!(refused("siteurl", "https://example.com:").contains("port"));
        assert!(refused("siteurl", "https://example.com:x").contains("port"));
        assert!(refused("siteurl", "https://exa<mple.com").contains("invalid characters"));
        assert!(refused("siteurl", "https://a..b").contains("empty label"));
        assert!(refused("siteurl", "https://-a.com").contains("'-'"));
        assert!(refused("siteurl", "https://[zz]/").contains("IPv6"));
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES));
        assert!(refused("siteurl", &long).contains("2048"));
        let huge = "x".repeat(1 << 20);
        assert!(refused("siteurl", &huge).contains("2048"));
    }

    #[test]
    fn loopback_hosts() {
        for (url, loopback) in [
            ("http://127.0.0.1:8080", true),
            ("http://127.3.4.5", true),
            ("http://localhost", true),
            ("http://[::1]:80", true),
            ("http://example.com", false),
            ("http://10.0.0.1", false),
            ("http://localhost.example.com", false),
        ] {
            assert_eq!(
                parse_http_url("api_base", url).unwrap().is_loopback(),
                loopback,
                "{url}"
            );
        }
    }

    #[test]
    fn local_user_rules() {
        assert!(check_local_user("admin").is_ok());
        assert!(check_local_user("john smith").is_ok());
        assert!(check_local_user("42").is_ok());
        for bad in ["", "   ", "ad\nmin", "ad\0min", &"a".repeat(256)] {
            let err = check_local_user(bad).unwrap_err();
            assert!(
                err.message().starts_with("local_user: "),
                "{}",
                err.message()
            );
        }
    }

    #[test]
    fn plan_slug_rules() {
        for good in ["free", "premium", "jetpack-backup-daily", "2024-plan"] {
            assert!(check_plan("plan", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Premium",
            "-free",
            "free plan",
            "free\n",
            "plan_x",
            "é",
            &"a".repeat(65),
        ] {
            let err = check_plan("plan", bad).unwrap_err();
            assert!(err.message().starts_with("plan: "), "{bad}");
        }
    }

    #[test]
    fn text_rules() {
        assert!(check_text("notes", "line1\nline2", 100, true).is_ok());
        assert!(check_text("name", "line1\nline2", 100, false).is_err());
        assert!(check_text("name", "abc", 2, false).is_err());
        assert!(check_text("notes", "a\0b", 100, true).is_err());
    }
}
