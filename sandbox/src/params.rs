//! Request parameters: the query string and the body (urlencoded, multipart or
//! JSON), as WordPress.com accepts them.

use serde_json::Value;

/// Name/value pairs in the order they came.
#[derive(Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes (and `+` to space when `plus` is set); invalid UTF-8 is replaced.
pub fn percent_decode(s: &[u8], plus: bool) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything but unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Params {
    pub fn parse_urlencoded(s: &[u8]) -> Params {
        let mut v = Vec::new();
        for pair in s.split(|b| *b == b'&') {
            if pair.is_empty() {
                continue;
            }
            let (k, val) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            v.push((percent_decode(k, true), percent_decode(val, true)));
        }
        Params(v)
    }

    /// Parses a request body according to its Content-Type.
    pub fn parse_body(content_type: Option<&str>, body: &[u8]) -> Result<Params, String> {
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        let trimmed = body.trim_ascii();
        if trimmed.is_empty() {
            return Ok(Params::default());
        }
        if ct.starts_with("multipart/form-data") {
            let boundary = content_type
                .unwrap_or("")
                .split(';')
                .filter_map(|p| {
                    let p = p.trim();
                    p.strip_prefix("boundary=")
                        .or_else(|| p.strip_prefix("BOUNDARY="))
                })
                .next()
                .map(|b| b.trim_matches('"').to_string())
                .ok_or("multipart body without a boundary")?;
            return parse_multipart(body, &boundary);
        }
        if ct.starts_with("application/json")
            || ct.ends_with("+json")
            || (ct.is_empty() && trimmed.first() == Some(&b'{'))
        {
            let v: Value = serde_json::from_slice(trimmed)
                .map_err(|e| format!("the request body is not valid JSON: {e}"))?;
            return match v {
                Value::Object(map) => Ok(Params::from_json_object(map)),
                _ => Err("the JSON request body must be an object".into()),
            };
        }
        // WordPress's HTTP API labels a JSON string body as a form; WordPress.com's
        // JSON API reads such a body as JSON first and falls back to form decoding.
        if trimmed.first() == Some(&b'{') {
            if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(trimmed) {
                return Ok(Params::from_json_object(map));
            }
        }
        Ok(Params::parse_urlencoded(body))
    }

    fn from_json_object(map: serde_json::Map<String, Value>) -> Params {
        let mut out = Vec::new();
        for (k, v) in map {
            push_json(&mut out, k, v);
        }
        Params(out)
    }

    /// The last value given for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value for `name`, treating an empty value as absent.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// All values of a list parameter: `name[]=a&name[]=b`, `name[0]=a`, `name=a,b`.
    pub fn list(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (k, v) in &self.0 {
            let is_item = k == name
                || k.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('[') && rest.ends_with(']'));
            if is_item {
                out.extend(
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                );
            }
        }
        out
    }

    /// A boolean flag: `1`, `t`, `true`, `yes`, `on` (any case) are true.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(truthy)
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    pub fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }
}

pub fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "t" | "true" | "yes" | "on"
    )
}

fn push_json(out: &mut Vec<(String, String)>, k: String, v: Value) {
    match v {
        Value::Null => {}
        Value::String(s) => out.push((k, s)),
        Value::Bool(b) => out.push((k, if b { "true" } else { "false" }.into())),
        Value::Number(n) => out.push((k, n.to_string())),
        Value::Array(items) => {
            for item in items {
                let s = match item {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.push((format!("{k}[]"), s));
            }
        }
        Value::Object(_) => out.push((k, v.to_string())),
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

fn parse_multipart(body: &[u8], boundary: &str) -> Result<Params, String> {
    if boundary.is_empty() || boundary.len() > 200 {
        return Err("invalid multipart boundary".into());
    }
    let delim = format!("--{boundary}");
    let delim = delim.as_bytes();
    let mut out = Vec::new();
    let mut pos = find(body, delim, 0).ok_or("multipart body without its boundary")?;
    loop {
        pos += delim.len();
        if body[pos..].starts_with(b"--") {
            break;
        }
        // Skip the line break after the delimiter.
        if body[pos..].starts_with(b"\r\n") {
            pos += 2;
        } else if body[pos..].starts_with(b"\n") {
            pos += 1;
        }
        let head_end = find(body, b"\r\n\r\n", pos)
            .map(|i| (i, 4))
            .or_else(|| find(body, b"\n\n", pos).map(|i| (i, 2)))
            .ok_or("multipart part without headers")?;
        let head = String::from_utf8_lossy(&body[pos..head_end.0]).into_owned();
        let content_start = head_end.0 + head_end.1;
        let next = find(body, delim, content_start).ok_or("unterminated multipart body")?;
        let mut content_end = next;
        if content_end >= 2 && &body[content_end - 2..content_end] == b"\r\n" {
            content_end -= 2;
        } else if content_end >= 1 && body[content_end - 1] == b'\n' {
            content_end -= 1;
        }
        let content_end = content_end.max(content_start);
        let name = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .and_then(|l| {
                l.split(';').find_map(|p| {
                    p.trim()
                        .strip_prefix("name=")
                        .map(|n| n.trim_matches('"').to_string())
                })
            });
        if let Some(name) = name {
            out.push((
                name,
                String::from_utf8_lossy(&body[content_start..content_end]).into_owned(),
            ));
        }
        pos = next;
    }
    Ok(Params(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded() {
        let p = Params::parse_urlencoded(b"a=1&b=x+y%21&c&plans[]=p&plans[]=q&bad=%zz%");
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("x y!"));
        assert_eq!(p.get("c"), Some(""));
        assert_eq!(p.list("plans"), vec!["p", "q"]);
        assert_eq!(p.get("bad"), Some("%zz%"));
    }

    #[test]
    fn multipart() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"siteurl\"\r\n\r\nhttps://a.example\r\n--XX\r\nContent-Disposition: form-data; name=\"plan\"\r\n\r\npremium\r\n--XX--\r\n";
        let p = Params::parse_body(Some("multipart/form-data; boundary=XX"), body).unwrap();
        assert_eq!(p.get("siteurl"), Some("https://a.example"));
        assert_eq!(p.get("plan"), Some("premium"));
    }

    #[test]
    fn json() {
        let p = Params::parse_body(
            Some("application/json"),
            br#"{"a":"x","n":3,"b":true,"l":["p","q"],"z":null}"#,
        )
        .unwrap();
        assert_eq!(p.get("a"), Some("x"));
        assert_eq!(p.get("n"), Some("3"));
        assert!(p.flag("b"));
        assert_eq!(p.list("l"), vec!["p", "q"]);
        assert!(!p.has("z"));
        let labelled_as_form = Params::parse_body(
            Some("application/x-www-form-urlencoded"),
            br#"{"plan":"premium","onboarding":1}"#,
        )
        .unwrap();
        assert_eq!(labelled_as_form.get("plan"), Some("premium"));
        assert_eq!(labelled_as_form.get("onboarding"), Some("1"));
        let form_after_all =
            Params::parse_body(Some("application/x-www-form-urlencoded"), b"{a=1&b=2").unwrap();
        assert_eq!(form_after_all.get("b"), Some("2"));
        assert!(Params::parse_body(Some("application/json"), b"[1]").is_err());
        assert!(Params::parse_body(Some("application/json"), b"{").is_err());
    }
}
