//! The JSON answers of `/api/...`. They use the layout of `upsc -j`
//! (two-space indent, values as strings in the server's order, errors as
//! `{"error": "<upsc's text>"}`), so scripts written for one read the other.

use super::view::UpsView;
use std::fmt::Write;

/// Append `text` as a JSON string.
pub fn push_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Append a number, `null` when it is not finite.
pub fn push_number(out: &mut String, v: f64) {
    if v.is_finite() {
        let _ = write!(out, "{v}");
    } else {
        out.push_str("null");
    }
}

fn quoted(text: &str) -> String {
    let mut s = String::new();
    push_str(&mut s, text);
    s
}

/// One UPS's body at `indent` spaces: `upsc -j <ups>`'s object, or its
/// error object when upsd would refuse the data.
fn ups_body(out: &mut String, u: &UpsView<'_>, indent: usize) {
    if let Some(err) = u.unavailable {
        let _ = write!(out, "{{\"error\": {}}}", quoted(err));
        return;
    }
    if u.vars.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push_str("{\n");
    for (i, v) in u.vars.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        let _ = write!(out, "{:indent$}  {}: {}", "", quoted(v.name), quoted(&v.value));
    }
    let _ = write!(out, "\n{:indent$}}}", "");
}

/// `GET /api/ups/<name>`: byte for byte what `upsc -j <name>` prints.
pub fn one_ups(u: &UpsView<'_>) -> String {
    let mut out = String::new();
    ups_body(&mut out, u, 0);
    out.push('\n');
    out
}

/// `GET /api/ups/<unknown>`: upsc's error object.
pub fn unknown_ups() -> String {
    "{\"error\": \"Unknown UPS\"}\n".to_string()
}

/// `GET /api/ups`: every UPS by name, each as [`one_ups`] gives it.
pub fn all_ups(upses: &[UpsView<'_>]) -> String {
    if upses.is_empty() {
        return "{}\n".to_string();
    }
    let mut out = String::from("{\n");
    for (i, u) in upses.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        let _ = write!(out, "  {}: ", quoted(u.name));
        ups_body(&mut out, u, 2);
    }
    out.push_str("\n}\n");
    out
}

/// `GET /api/list`: names and descriptions, as `upsc -j -L` prints them.
pub fn list(upses: &[UpsView<'_>]) -> String {
    if upses.is_empty() {
        return "{}\n".to_string();
    }
    let body: Vec<String> = upses
        .iter()
        .map(|u| format!("  {}: {}", quoted(u.name), quoted(u.desc.unwrap_or("Description unavailable"))))
        .collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::super::view::test_view as view;
    use super::*;


    #[test]
    fn strings_are_escaped() {
        let mut s = String::new();
        push_str(&mut s, "a\"b\\c\nd\u{1}é");
        assert_eq!(s, "\"a\\\"b\\\\c\\nd\\u0001é\"");
        let mut n = String::new();
        push_number(&mut n, f64::NAN);
        push_number(&mut n, 2.5);
        assert_eq!(n, "null2.5");
    }

    #[test]
    fn upsc_shapes() {
        let vars = [("battery.charge", "100"), ("ups.status", "OL")];
        assert_eq!(one_ups(&view("a", &vars)), "{\n  \"battery.charge\": \"100\",\n  \"ups.status\": \"OL\"\n}\n");
        let mut gone = view("b", &[]);
        gone.unavailable = Some("Driver not connected");
        assert_eq!(one_ups(&gone), "{\"error\": \"Driver not connected\"}\n");
        assert_eq!(
            all_ups(&[view("a", &vars), gone.clone()]),
            "{\n  \"a\": {\n    \"battery.charge\": \"100\",\n    \"ups.status\": \"OL\"\n  },\n  \"b\": {\"error\": \"Driver not connected\"}\n}\n"
        );
        let mut described = view("a", &vars);
        described.desc = Some("Rack \"1\"");
        assert_eq!(list(&[described, gone]), "{\n  \"a\": \"Rack \\\"1\\\"\",\n  \"b\": \"Description unavailable\"\n}\n");
        assert_eq!(all_ups(&[]), "{}\n");
    }
}
