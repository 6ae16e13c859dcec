//! `upsname[@hostname[:port]]` read exactly the way NUT's client tools read
//! it, odd corners included (`@host` names the UPS `host`, `:3493x` is port
//! 3493, `[::1]junk` uses the default port). `nut_proto::UpsSpec` is the
//! result type; its own strict parser is for our new code paths, this one is
//! for command lines and config files that must behave as NUT's do.

use nut_proto::upsspec::{UpsSpec, DEFAULT_PORT};

/// A specification NUT would reject. `diag` is the diagnostic line NUT's
/// library prints on stderr before the tool's own error (None when NUT
/// prints nothing, e.g. for a missing argument).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadSpec {
    pub diag: Option<&'static str>,
}

const EMPTY_NAME: &str = "upscli_splitname: can't parse empty string";
const EMPTY_ADDR: &str = "upscli_splitaddr: can't parse empty string";
const NO_BRACKET: &str = "upscli_splitaddr: missing closing bracket in [domain literal]";
const BAD_PORT: &str = "upscli_splitaddr: no port specified after ':' separator";

/// NUT copies the argument into a 512-byte buffer first.
fn clip(text: &str) -> &str {
    let mut end = text.len().min(511);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The first non-empty piece of `text` split on `sep`, and what follows
/// the separator that ends it (strtok's behaviour).
fn first_token(text: &str, sep: char) -> Option<(&str, Option<&str>)> {
    let start = text.find(|c| c != sep)?;
    let rest = &text[start..];
    match rest.find(sep) {
        Some(end) => Some((&rest[..end], Some(&rest[end + sep.len_utf8()..]))),
        None => Some((rest, None)),
    }
}

/// C's `strtol(text, NULL, 10)` (and `atol`): optional white space and
/// sign, then digits; 0 if none; saturating. NUT's clients parse ports and
/// numbers this way, so `"3493abc"` means 3493.
pub fn c_strtol(text: &str) -> i64 {
    let t = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut value: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        value = value.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -value
    } else {
        value
    }
}

fn port_after_colon(text: &str) -> Result<u16, BadSpec> {
    let value = c_strtol(text);
    if text.is_empty() || !(1..=65535).contains(&value) {
        return Err(BadSpec { diag: Some(BAD_PORT) });
    }
    u16::try_from(value).map_err(|_| BadSpec { diag: Some(BAD_PORT) })
}

/// `hostname[:port]` or `[address][:port]` (what `upsc -l` takes).
pub fn split_addr(text: &str) -> Result<(String, u16), BadSpec> {
    let text = clip(text);
    if text.is_empty() {
        return Err(BadSpec { diag: Some(EMPTY_ADDR) });
    }
    if let Some(inner) = text.strip_prefix('[') {
        if !text.contains(']') {
            return Err(BadSpec { diag: Some(NO_BRACKET) });
        }
        let (host, rest) = first_token(inner, ']').ok_or(BadSpec { diag: Some(EMPTY_ADDR) })?;
        return match rest.and_then(|r| r.strip_prefix(':')) {
            Some(port) => Ok((host.to_string(), port_after_colon(port)?)),
            None => Ok((host.to_string(), DEFAULT_PORT)),
        };
    }
    let (host, _) = first_token(text, ':').ok_or(BadSpec { diag: Some(EMPTY_ADDR) })?;
    match text.find(':') {
        None => Ok((host.to_string(), DEFAULT_PORT)),
        Some(colon) => Ok((host.to_string(), port_after_colon(&text[colon + 1..])?)),
    }
}

/// `upsname[@hostname[:port]]`; None (no argument at all) is rejected
/// without a diagnostic, as NUT does.
pub fn split_name(text: Option<&str>) -> Result<UpsSpec, BadSpec> {
    let text = clip(text.ok_or(BadSpec { diag: None })?);
    if text.is_empty() {
        return Err(BadSpec { diag: Some(EMPTY_NAME) });
    }
    let (ups, _) = first_token(text, '@').ok_or(BadSpec { diag: Some(EMPTY_NAME) })?;
    match text.find('@') {
        None => Ok(UpsSpec { ups: Some(ups.to_string()), host: "localhost".into(), port: DEFAULT_PORT }),
        Some(at) => {
            let (host, port) = split_addr(&text[at + 1..])?;
            Ok(UpsSpec { ups: Some(ups.to_string()), host, port })
        }
    }
}

/// `[hostname[:port]]` for listing UPSes: None means `localhost:3493`.
pub fn split_host(text: Option<&str>) -> Result<UpsSpec, BadSpec> {
    let (host, port) = match text {
        None => ("localhost".to_string(), DEFAULT_PORT),
        Some(t) => split_addr(t)?,
    };
    Ok(UpsSpec { ups: None, host, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> (String, String, u16) {
        let s = split_name(Some(text)).expect("accepted");
        (s.ups.unwrap_or_default(), s.host, s.port)
    }

    fn diag(text: &str) -> Option<&'static str> {
        split_name(Some(text)).expect_err("rejected").diag
    }

    #[test]
    fn ordinary_forms() {
        assert_eq!(ok("ups"), ("ups".into(), "localhost".into(), 3493));
        assert_eq!(ok("ups@10.0.0.5"), ("ups".into(), "10.0.0.5".into(), 3493));
        assert_eq!(ok("ups@h:3494"), ("ups".into(), "h".into(), 3494));
        assert_eq!(ok("ups@[::1]:3494"), ("ups".into(), "::1".into(), 3494));
        assert_eq!(ok("ups@[::1]"), ("ups".into(), "::1".into(), 3493));
    }

    #[test]
    fn nut_quirks_kept() {
        assert_eq!(ok("@127.0.0.1"), ("127.0.0.1".into(), "127.0.0.1".into(), 3493));
        assert_eq!(ok("ups:41873"), ("ups:41873".into(), "localhost".into(), 3493));
        assert_eq!(ok("ups@h:41873x"), ("ups".into(), "h".into(), 41873));
        assert_eq!(ok("ups@[::1]x"), ("ups".into(), "::1".into(), 3493));
    }

    #[test]
    fn rejections_carry_nut_diagnostics() {
        assert_eq!(split_name(None), Err(BadSpec { diag: None }));
        assert_eq!(diag(""), Some(EMPTY_NAME));
        assert_eq!(diag("ups@"), Some(EMPTY_ADDR));
        assert_eq!(diag("ups@h:"), Some(BAD_PORT));
        assert_eq!(diag("ups@h:0"), Some(BAD_PORT));
        assert_eq!(diag("ups@h:99999"), Some(BAD_PORT));
        assert_eq!(diag("ups@h:abc"), Some(BAD_PORT));
        assert_eq!(diag("ups@[::1"), Some(NO_BRACKET));
        assert_eq!(split_addr("[::1]:").unwrap_err().diag, Some(BAD_PORT));
        assert_eq!(split_host(Some("")).unwrap_err().diag, Some(EMPTY_ADDR));
        let h = split_host(None).unwrap();
        assert_eq!((h.host.as_str(), h.port), ("localhost", 3493));
    }
}
