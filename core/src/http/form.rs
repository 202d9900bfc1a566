//! `application/x-www-form-urlencoded`: how form bodies and queries are written, with care for the
//! secrets they carry.

use zeroize::Zeroize;

/// Appends `name=value` to a form body or query, `application/x-www-form-urlencoded`.
pub(crate) fn append_pair(out: &mut String, name: &str, value: &str) {
    // Room for the worst case (every byte escaped), so that the encoding below never grows `out`.
    reserve_wiping(out, 2 + 3 * (name.len() + value.len()));
    if !out.is_empty() {
        out.push('&');
    }
    encode_component(out, name);
    out.push('=');
    encode_component(out, value);
}

/// Makes room for `extra` more bytes in `out`. An outgrown buffer is wiped: forms carry secrets
/// (the partner secret, backup passwords), and growing in place would leave copies of them in freed
/// memory.
fn reserve_wiping(out: &mut String, extra: usize) {
    let needed = out.len() + extra;
    if needed > out.capacity() {
        let mut bigger = String::with_capacity(needed.max(out.capacity() * 2).max(128));
        bigger.push_str(out);
        std::mem::replace(out, bigger).zeroize();
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'*')
}

/// Percent-encodes `text` onto `out`, runs of unreserved (ASCII) bytes copied whole.
fn encode_component(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = text.as_bytes();
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if is_unreserved(b) {
            continue;
        }
        // A non-empty run is ASCII and follows an ASCII byte or the start: both ends are
        // character boundaries.
        if run_start < i {
            out.push_str(&text[run_start..i]);
        }
        if b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
        run_start = i + 1;
    }
    if run_start < bytes.len() {
        out.push_str(&text[run_start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_percent_encoded_byte_by_byte() {
        let mut out = String::new();
        append_pair(&mut out, "siteurl", "https://bücher.example/a b?x=1*");
        append_pair(&mut out, "é", "ok-._~");
        assert_eq!(
            out,
            "siteurl=https%3A%2F%2Fb%C3%BCcher.example%2Fa+b%3Fx%3D1*&%C3%A9=ok-._%7E"
        );
        // Room for the worst case is made before encoding: one growth per pair at most.
        let mut out = String::new();
        append_pair(&mut out, "k", &"\u{1F600}".repeat(50));
        assert!(out.capacity() >= 2 + 3 * (1 + 200));
    }
}
