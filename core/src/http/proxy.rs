//! The `proxy` setting: an HTTP CONNECT proxy given as `http://[user[:password]@]host[:port][/]`,
//! checked here and handed to ureq (which percent-decodes the credentials and sends them as
//! `Proxy-Authorization: Basic`). The environment's proxy variables are never read.

use crate::validate::parse_http_url;

/// Checks `url` and makes the ureq proxy of it. The error never repeats the URL (it may carry a
/// password).
pub(crate) fn parse(url: &str) -> Result<ureq::Proxy, &'static str> {
    let rest = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        _ => return Err("must be an http://host:port URL of an HTTP CONNECT proxy"),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '?', '#']) {
        return Err("must not have a path, query or fragment");
    }
    let hostport = rest.rsplit_once('@').map_or(rest, |(_, hostport)| hostport);
    let checked =
        parse_http_url("proxy", &format!("http://{hostport}")).map_err(|_| "is not a valid URL")?;
    // ureq reads the scheme in lower case only; port 80 when none is given.
    let port = checked.port.unwrap_or(80);
    let userinfo = match rest.rsplit_once('@') {
        Some((userinfo, _)) => format!("{userinfo}@"),
        None => String::new(),
    };
    let normalised = zeroize::Zeroizing::new(format!("http://{userinfo}{}:{port}", checked.host));
    ureq::Proxy::new(&normalised).map_err(|_| "is not a valid URL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls() {
        let p = parse("http://127.0.0.1:3128").unwrap();
        assert_eq!((p.host(), p.port()), ("127.0.0.1", 3128));
        assert!(p.username().is_none());
        let p = parse("HTTP://proxy.example/").unwrap();
        assert_eq!((p.host(), p.port()), ("proxy.example", 80));
        let p = parse("http://u%40ser:p%3Ass:tail@[::1]:8080").unwrap();
        assert_eq!(p.port(), 8080);
        assert_eq!(p.username(), Some("u@ser"));
        assert_eq!(p.password(), Some("p:ss:tail"));
        for bad in [
            "socks5://127.0.0.1:1080",
            "127.0.0.1:3128",
            "http://127.0.0.1:3128/path",
            "http://:3128",
            "http://host:99999",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
