//! Pure output formatting for the three tools: no I/O, unit-tested.

/// C's `atol`: optional white space and sign, then digits; 0 if none.
pub fn c_atol(text: &str) -> i64 {
    nut_client::spec::c_strtol(text)
}

/// C's `atoi` (an `int`: the value wraps like a 32-bit conversion would).
pub fn c_atoi(text: &str) -> i32 {
    c_atol(text) as i32
}

// ---- upsc -------------------------------------------------------------------

/// `upsc <ups>`: `<var>: <value>` lines.
pub fn var_lines(vars: &[(String, String)]) -> String {
    vars.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
}

/// `upsc -l`: one name per line; `upsc -L`: `<name>: <description>`.
pub fn ups_lines(upses: &[(String, String)], verbose: bool) -> String {
    upses
        .iter()
        .map(|(name, desc)| if verbose { format!("{name}: {desc}\n") } else { format!("{name}\n") })
        .collect()
}

/// One item per line (`upsc -c`).
pub fn plain_lines(items: &[String]) -> String {
    items.iter().map(|i| format!("{i}\n")).collect()
}

fn json_str(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// `-j`: a JSON string (`upsc -j <ups> <var>`).
pub fn json_value(value: &str) -> String {
    format!("{}\n", json_str(value))
}

/// `-j`: a JSON array of strings, one item per line, two-space indent.
pub fn json_array(items: &[String]) -> String {
    if items.is_empty() {
        return "[]\n".to_string();
    }
    let body: Vec<String> = items.iter().map(|i| format!("  {}", json_str(i))).collect();
    format!("[\n{}\n]\n", body.join(",\n"))
}

/// `-j`: a JSON object keeping the server's order, two-space indent.
pub fn json_object(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return "{}\n".to_string();
    }
    let body: Vec<String> = pairs.iter().map(|(k, v)| format!("  {}: {}", json_str(k), json_str(v))).collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
}

/// `-j`: an error object.
pub fn json_error(text: &str) -> String {
    format!("{{\"error\": {}}}\n", json_str(text))
}

// ---- upscmd -l ----------------------------------------------------------------

/// The heading of `upscmd -l`.
pub fn cmd_heading(ups: &str) -> String {
    format!("Instant commands supported on UPS [{ups}]:\n\n")
}

/// One command of `upscmd -l`, with its description when there is one.
pub fn cmd_line(cmd: &str, desc: Option<&str>) -> String {
    match desc {
        Some(d) => format!("{cmd} - {d}\n"),
        None => format!("{cmd}\n"),
    }
}

// ---- upsrw list -----------------------------------------------------------------

/// What a variable's `GET TYPE` words ask upsrw to print, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeStep {
    /// `Type: <word> (unrecognized)`; more steps may follow.
    Unrecognized(String),
    String { max_len: i64 },
    Number,
    Enum(EnumKind),
    Range,
}

/// What an ENUM variable holds, when the server says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumKind {
    String { max_len: i64 },
    Number,
    /// Old servers send `ENUM` alone.
    Unspecified,
}

/// Walk the type words as upsrw does: `RW` is skipped, `ENUM` is
/// remembered, and the first of `RANGE`, `STRING:<n>` or `NUMBER` decides;
/// anything else is reported as unrecognized on the way.
pub fn type_steps(words: &[String]) -> Vec<TypeStep> {
    let mut steps = Vec::new();
    let mut is_enum = false;
    for word in words {
        let upper = word.to_ascii_uppercase();
        if upper == "ENUM" {
            is_enum = true;
        } else if upper == "RANGE" {
            steps.push(TypeStep::Range);
            return steps;
        } else if let Some(len) = upper.strip_prefix("STRING:") {
            let max_len = c_atol(len);
            steps.push(if is_enum {
                TypeStep::Enum(EnumKind::String { max_len })
            } else {
                TypeStep::String { max_len }
            });
            return steps;
        } else if upper == "NUMBER" {
            steps.push(if is_enum { TypeStep::Enum(EnumKind::Number) } else { TypeStep::Number });
            return steps;
        } else if upper != "RW" {
            steps.push(TypeStep::Unrecognized(word.clone()));
        }
    }
    if is_enum {
        steps.push(TypeStep::Enum(EnumKind::Unspecified));
    }
    steps
}

/// The heading and description of one upsrw block.
pub fn rw_heading(var: &str, desc: Option<&str>) -> String {
    format!("[{var}]\n{}\n", desc.unwrap_or("Description unavailable"))
}

pub fn rw_unrecognized(word: &str) -> String {
    format!("Type: {word} (unrecognized)\n")
}

pub fn rw_string(max_len: i64, value: &str) -> String {
    format!("Type: STRING\nMaximum length: {max_len}\nValue: {value}\n")
}

pub fn rw_number(value: &str) -> String {
    format!("Type: NUMBER\nValue: {value}\n")
}

/// An ENUM block: the type line(s), then each option, the current one
/// marked ` SELECTED` (exact, case-sensitive match).
pub fn rw_enum(kind: EnumKind, current: &str, options: &[String]) -> String {
    let mut s = match kind {
        EnumKind::String { max_len } => format!("Type: ENUM STRING\nMaximum length: {max_len}\n"),
        EnumKind::Number => "Type: ENUM NUMBER\n".to_string(),
        EnumKind::Unspecified => "Type: ENUM\n".to_string(),
    };
    for opt in options {
        s.push_str(&format!("Option: \"{opt}\""));
        if opt == current {
            s.push_str(" SELECTED");
        }
        s.push('\n');
    }
    s
}

/// A RANGE block: `Option: "<min>-<max>"` as integers, ` SELECTED` on
/// every range holding the current value.
pub fn rw_range(current: &str, ranges: &[(String, String)]) -> String {
    let value = c_atoi(current);
    let mut s = "Type: RANGE NUMBER\n".to_string();
    for (min, max) in ranges {
        let (min, max) = (c_atoi(min), c_atoi(max));
        s.push_str(&format!("Option: \"{min}-{max}\""));
        if value >= min && value <= max {
            s.push_str(" SELECTED");
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn upsc_plain_formats() {
        let vars = pairs(&[("battery.charge", "100"), ("ups.status", "OL")]);
        assert_eq!(var_lines(&vars), "battery.charge: 100\nups.status: OL\n");
        let upses = pairs(&[("ups", "nut-sandbox dummy UPS"), ("b", "Description unavailable")]);
        assert_eq!(ups_lines(&upses, false), "ups\nb\n");
        assert_eq!(ups_lines(&upses, true), "ups: nut-sandbox dummy UPS\nb: Description unavailable\n");
        assert_eq!(plain_lines(&w(&["127.0.0.1", "::1"])), "127.0.0.1\n::1\n");
        assert_eq!(plain_lines(&[]), "");
    }

    #[test]
    fn upsc_json_formats() {
        assert_eq!(json_array(&w(&["a", "b"])), "[\n  \"a\",\n  \"b\"\n]\n");
        assert_eq!(json_object(&pairs(&[("a", "desc \"q\"")])), "{\n  \"a\": \"desc \\\"q\\\"\"\n}\n");
        assert_eq!(json_value("OL"), "\"OL\"\n");
        assert_eq!(json_error("Unknown UPS"), "{\"error\": \"Unknown UPS\"}\n");
        assert_eq!(json_array(&[]), "[]\n");
    }

    #[test]
    fn upscmd_list_lines() {
        assert_eq!(cmd_heading("ups"), "Instant commands supported on UPS [ups]:\n\n");
        assert_eq!(cmd_line("load.off", Some("Turn off the load immediately")), "load.off - Turn off the load immediately\n");
        assert_eq!(cmd_line("x.y", None), "x.y\n");
    }

    #[test]
    fn type_words_to_steps() {
        assert_eq!(type_steps(&w(&["RW", "STRING:16"])), vec![TypeStep::String { max_len: 16 }]);
        assert_eq!(type_steps(&w(&["RW", "NUMBER"])), vec![TypeStep::Number]);
        assert_eq!(type_steps(&w(&["NUMBER"])), vec![TypeStep::Number]);
        assert_eq!(
            type_steps(&w(&["RW", "ENUM", "STRING:32"])),
            vec![TypeStep::Enum(EnumKind::String { max_len: 32 })]
        );
        assert_eq!(type_steps(&w(&["RW", "ENUM", "NUMBER"])), vec![TypeStep::Enum(EnumKind::Number)]);
        assert_eq!(type_steps(&w(&["RW", "ENUM"])), vec![TypeStep::Enum(EnumKind::Unspecified)]);
        assert_eq!(type_steps(&w(&["RW", "RANGE", "NUMBER"])), vec![TypeStep::Range]);
        assert_eq!(
            type_steps(&w(&["RW", "FOO", "NUMBER"])),
            vec![TypeStep::Unrecognized("FOO".into()), TypeStep::Number]
        );
        assert_eq!(type_steps(&w(&["rw", "string:8"])), vec![TypeStep::String { max_len: 8 }]);
    }

    #[test]
    fn upsrw_blocks() {
        assert_eq!(rw_heading("ups.id", Some("UPS system identifier")), "[ups.id]\nUPS system identifier\n");
        assert_eq!(rw_heading("x.y", None), "[x.y]\nDescription unavailable\n");
        assert_eq!(rw_string(16, "myid"), "Type: STRING\nMaximum length: 16\nValue: myid\n");
        assert_eq!(rw_number("100"), "Type: NUMBER\nValue: 100\n");
        assert_eq!(rw_unrecognized("FOO"), "Type: FOO (unrecognized)\n");
        assert_eq!(
            rw_enum(EnumKind::String { max_len: 8 }, "b", &w(&["a", "b"])),
            "Type: ENUM STRING\nMaximum length: 8\nOption: \"a\"\nOption: \"b\" SELECTED\n"
        );
        assert_eq!(rw_enum(EnumKind::Number, "B", &w(&["b"])), "Type: ENUM NUMBER\nOption: \"b\"\n");
        assert_eq!(
            rw_range("15", &pairs(&[("0", "10"), ("11", "20"), ("x", "3")])),
            "Type: RANGE NUMBER\nOption: \"0-10\"\nOption: \"11-20\" SELECTED\nOption: \"0-3\"\n"
        );
    }

    #[test]
    fn c_number_conversions() {
        assert_eq!(c_atol("  42abc"), 42);
        assert_eq!(c_atol("-7"), -7);
        assert_eq!(c_atol("x"), 0);
        assert_eq!(c_atoi("230.5"), 230);
    }
}
