//! Small helpers shared by the loaders.

use crate::diag::Diags;
use nut_proto::lexer::split_text;

/// Split `text` into (line, words); lines the lexer rejected become a
/// warning (NUT logs them and goes on with the next line).
pub(crate) fn lex(text: &[u8], diags: &mut Diags) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    for lexed in split_text(text) {
        match lexed.words {
            // The lexer leaves out empty lines; keep that promise here so
            // every loader may look at words[0].
            Ok(words) if words.is_empty() => {}
            Ok(words) => out.push((lexed.line, words)),
            Err(err) => diags.warn(lexed.line, format!("line ignored: {err}")),
        }
    }
    out
}

/// NUT's boolean words: `true|yes|on|1` and `false|no|off|0`
/// (case-insensitive); any other integer counts as true when non-zero.
pub(crate) fn parse_bool(word: &str) -> Option<bool> {
    match word.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Some(true),
        "false" | "no" | "off" => Some(false),
        other => other.parse::<i64>().ok().map(|n| n != 0),
    }
}

/// A non-negative decimal number.
pub(crate) fn parse_uint(word: &str) -> Option<u64> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok()
}

/// A non-negative number that fits in u32.
pub(crate) fn parse_u32(word: &str) -> Option<u32> {
    parse_uint(word).and_then(|n| u32::try_from(n).ok())
}

/// A port number 1..=65535.
pub(crate) fn parse_port(word: &str) -> Option<u16> {
    parse_uint(word).and_then(|n| u16::try_from(n).ok()).filter(|&p| p != 0)
}
