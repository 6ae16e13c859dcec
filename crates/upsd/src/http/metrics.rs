//! `/metrics`: UPS data in the Prometheus text exposition format 0.0.4, or
//! OpenMetrics 1.0 when the scraper asks for it.
//!
//! Naming scheme (documented in upsd.conf(5)):
//!
//! * every variable whose value is a plain decimal number becomes a gauge
//!   `nut_<name>` with `.` and other characters outside `[A-Za-z0-9_]`
//!   turned into `_`: `battery.charge` → `nut_battery_charge{ups="myups"}`.
//!   Variables the driver marks STRING and identifiers (a name part
//!   `serial`, `vendorid`, `productid`, `firmware`, `version`, `id`,
//!   `model`, `mfr` or `date`) are not numbers even when they look like one;
//! * `nut_ups_status{ups,flag}`: 1 for each word of `ups.status` (FSD
//!   included), 0 for the usual words that are absent;
//! * `nut_ups_info{ups,...}` = 1 with every other variable as a label
//!   named like the metric (`device_model="..."`), `ups.status` excepted;
//! * `nut_ups_data_stale{ups}`: 1 while the driver is not connected or its
//!   data is stale; the other series of that UPS are then left out, as
//!   upsd refuses them to clients.

use super::view::{plain_number, UpsView};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Content type of the Prometheus text format.
pub const PROMETHEUS_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Content type of OpenMetrics text.
pub const OPENMETRICS_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Which text format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Prometheus,
    OpenMetrics,
}

impl Format {
    /// OpenMetrics when the Accept header names it (with a non-zero q).
    pub fn from_accept(accept: Option<&str>) -> Format {
        let wants = accept.is_some_and(|a| {
            a.split(',').any(|item| {
                let mut parts = item.split(';').map(str::trim);
                let media = parts.next().unwrap_or("");
                let q_zero = parts.any(|p| {
                    p.strip_prefix("q=").is_some_and(|q| q.trim().parse::<f64>().is_ok_and(|q| q <= 0.0))
                });
                media.eq_ignore_ascii_case("application/openmetrics-text") && !q_zero
            })
        });
        if wants {
            Format::OpenMetrics
        } else {
            Format::Prometheus
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => PROMETHEUS_TYPE,
            Format::OpenMetrics => OPENMETRICS_TYPE,
        }
    }
}

/// Status words that always get a series (0 when absent).
pub const KNOWN_FLAGS: &[&str] =
    &["OL", "OB", "LB", "HB", "RB", "CHRG", "DISCHRG", "BYPASS", "CAL", "OFF", "OVER", "TRIM", "BOOST", "FSD", "ALARM"];

const STALE: &str = "nut_ups_data_stale";
const STATUS: &str = "nut_ups_status";
const INFO: &str = "nut_ups_info";
/// Name parts that mark an identifier rather than a measurement.
const IDENTIFIER_PARTS: &[&str] = &["serial", "vendorid", "productid", "firmware", "version", "id", "model", "mfr", "date"];

/// `battery.charge` → `battery_charge` (a valid metric/label name part).
pub fn sanitize(name: &str) -> String {
    let mut out: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        out.insert_str(0, "var_");
    }
    out
}

/// The gauge a variable becomes.
pub fn metric_name(var: &str) -> String {
    format!("nut_{}", sanitize(&var.to_ascii_lowercase()))
}

fn is_identifier(var: &str) -> bool {
    var.split('.').any(|part| IDENTIFIER_PARTS.iter().any(|p| part.eq_ignore_ascii_case(p)))
}

/// Escape a label value: backslash, double quote and newline.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Escape HELP text: backslash and newline (OpenMetrics also escapes `"`).
fn escape_help(text: &str, format: Format) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if format == Format::OpenMetrics => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

fn number(v: f64) -> String {
    // Display gives the shortest text that reads back as the same f64.
    format!("{v}")
}

/// Render every UPS.
pub fn render(upses: &[UpsView<'_>], format: Format) -> String {
    let mut out = String::new();
    let reserved = [STALE, STATUS, INFO];
    let help = |out: &mut String, name: &str, kind: &str, text: &str| {
        let _ = writeln!(out, "# HELP {name} {}", escape_help(text, format));
        let _ = writeln!(out, "# TYPE {name} {kind}");
    };

    help(&mut out, STALE, "gauge", "1 when upsd has no fresh data from the UPS driver (not connected or stale), else 0");
    for u in upses {
        let _ = writeln!(out, "{STALE}{{ups=\"{}\"}} {}", escape_label(u.name), u8::from(u.unavailable.is_some()));
    }

    help(&mut out, STATUS, "gauge", "1 when the word is in ups.status (OL on line, OB on battery, LB low battery, ...), else 0");
    for u in upses.iter().filter(|u| u.unavailable.is_none()) {
        let present = u.status_flags();
        let mut words: Vec<&str> = KNOWN_FLAGS.to_vec();
        for w in &present {
            if !words.contains(w) {
                words.push(w);
            }
        }
        for w in words {
            let on = present.contains(&w);
            let _ = writeln!(out, "{STATUS}{{ups=\"{}\",flag=\"{}\"}} {}", escape_label(u.name), escape_label(w), u8::from(on));
        }
    }

    // Info (string variables as labels) and the numeric gauges.
    // metric name -> (HELP text, samples by UPS)
    type Family<'a> = (String, Vec<(&'a str, f64)>);
    let mut gauges: BTreeMap<String, Family<'_>> = BTreeMap::new();
    let mut infos: Vec<(&str, Vec<(String, String)>)> = Vec::new();
    for u in upses.iter().filter(|u| u.unavailable.is_none()) {
        let mut labels: Vec<(String, String)> = Vec::new();
        for v in &u.vars {
            let numeric = if v.string || is_identifier(v.name) { None } else { plain_number(&v.value) };
            let name = metric_name(v.name);
            match numeric {
                Some(x) if !reserved.contains(&name.as_str()) => {
                    let entry = gauges.entry(name).or_insert_with(|| {
                        let text = match u.descs.and_then(|d| d.var(v.name)) {
                            Some(d) => format!("{d} (NUT variable {})", v.name),
                            None => format!("NUT variable {}", v.name),
                        };
                        (text, Vec::new())
                    });
                    if !entry.1.iter().any(|(ups, _)| *ups == u.name) {
                        entry.1.push((u.name, x));
                    }
                }
                _ if v.name.eq_ignore_ascii_case("ups.status") => {}
                _ => {
                    let label = sanitize(&v.name.to_ascii_lowercase());
                    if label != "ups" && !label.starts_with("__") && !labels.iter().any(|(l, _)| *l == label) {
                        labels.push((label, v.value.to_string()));
                    }
                }
            }
        }
        infos.push((u.name, labels));
    }
    let info_help = "Always 1; the labels carry the UPS's text variables (names as in the metric scheme)";
    match format {
        Format::Prometheus => help(&mut out, INFO, "gauge", info_help),
        Format::OpenMetrics => help(&mut out, INFO.trim_end_matches("_info"), "info", info_help),
    }
    for (ups, labels) in &infos {
        let _ = write!(out, "{INFO}{{ups=\"{}\"", escape_label(ups));
        for (k, v) in labels {
            let _ = write!(out, ",{k}=\"{}\"", escape_label(v));
        }
        out.push_str("} 1\n");
    }

    for (name, (text, samples)) in &gauges {
        help(&mut out, name, "gauge", text);
        for (ups, v) in samples {
            let _ = writeln!(out, "{name}{{ups=\"{}\"}} {}", escape_label(ups), number(*v));
        }
    }
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::view::test_view as ups;
    use super::*;
    use crate::server::Descriptions;


    #[test]
    fn naming() {
        assert_eq!(metric_name("battery.charge"), "nut_battery_charge");
        assert_eq!(metric_name("input.L1-N.voltage"), "nut_input_l1_n_voltage");
        assert_eq!(sanitize("1x"), "var_1x");
        assert!(is_identifier("ups.serial") && is_identifier("driver.version.internal") && is_identifier("ups.vendorid"));
        assert!(!is_identifier("battery.charge") && !is_identifier("ups.delay.shutdown"));
    }

    #[test]
    fn accept_negotiation() {
        assert_eq!(Format::from_accept(None), Format::Prometheus);
        assert_eq!(Format::from_accept(Some("text/plain")), Format::Prometheus);
        assert_eq!(
            Format::from_accept(Some(
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
            )),
            Format::OpenMetrics
        );
        assert_eq!(Format::from_accept(Some("application/openmetrics-text; q=0, text/plain")), Format::Prometheus);
    }

    #[test]
    fn exposition_text() {
        let a = [
            ("battery.charge", "100"),
            ("battery.runtime", "1800"),
            ("device.model", "Smart \"1500\"\\x\nB"),
            ("ups.serial", "0123"),
            ("ups.status", "OL CHRG"),
            ("input.voltage", "230.4"),
        ];
        let b = [("battery.charge", "55.5"), ("ups.status", "OB LB WEIRD")];
        let mut descs = Descriptions::default();
        descs.vars.insert("battery.charge".into(), "Battery charge (percent)".into());
        let mut ua = ups("a", &a);
        ua.descs = Some(&descs);
        let ub = ups("b", &b);
        let mut gone = ups("c\"d", &[]);
        gone.unavailable = Some("Driver not connected");
        let text = render(&[ua, ub, gone], Format::Prometheus);
        let expect = [
            "# HELP nut_ups_data_stale 1 when upsd has no fresh data",
            "# TYPE nut_ups_data_stale gauge",
            "nut_ups_data_stale{ups=\"a\"} 0",
            "nut_ups_data_stale{ups=\"c\\\"d\"} 1",
            "# TYPE nut_ups_status gauge",
            "nut_ups_status{ups=\"a\",flag=\"OL\"} 1",
            "nut_ups_status{ups=\"a\",flag=\"OB\"} 0",
            "nut_ups_status{ups=\"a\",flag=\"CHRG\"} 1",
            "nut_ups_status{ups=\"b\",flag=\"LB\"} 1",
            "nut_ups_status{ups=\"b\",flag=\"WEIRD\"} 1",
            "# TYPE nut_ups_info gauge",
            "nut_ups_info{ups=\"a\",device_model=\"Smart \\\"1500\\\"\\\\x\\nB\",ups_serial=\"0123\"} 1",
            "nut_ups_info{ups=\"b\"} 1",
            "# HELP nut_battery_charge Battery charge (percent) (NUT variable battery.charge)",
            "# TYPE nut_battery_charge gauge",
            "nut_battery_charge{ups=\"a\"} 100\nnut_battery_charge{ups=\"b\"} 55.5\n",
            "nut_battery_runtime{ups=\"a\"} 1800",
            "nut_input_voltage{ups=\"a\"} 230.4",
        ];
        for e in expect {
            assert!(text.contains(e), "missing {e:?} in:\n{text}");
        }
        assert!(!text.contains("nut_ups_serial"), "identifiers are labels, not gauges:\n{text}");
        assert!(!text.contains("ups=\"c\\\"d\",flag"), "no status for an unavailable UPS:\n{text}");
        assert!(!text.contains("# EOF"));
        check_exposition(&text, Format::Prometheus);

        let om = render(&[ups("a", &a)], Format::OpenMetrics);
        assert!(om.ends_with("# EOF\n"), "{om}");
        assert!(om.contains("# TYPE nut_ups info\n"), "{om}");
        check_exposition(&om, Format::OpenMetrics);
    }

    /// A small structural checker of the text formats: every sample belongs
    /// to the family announced by the last TYPE line, families are not
    /// split, names and labels are well-formed, values are numbers.
    fn check_exposition(text: &str, format: Format) {
        let mut seen = std::collections::HashSet::new();
        let mut family: Option<(String, String)> = None;
        let name_ok = |n: &str| {
            n.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        };
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if let Some(rest) = line.strip_prefix("# ") {
                let mut it = rest.splitn(3, ' ');
                let (kw, name) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
                if kw == "EOF" {
                    assert_eq!(format, Format::OpenMetrics);
                    assert!(lines.peek().is_none(), "text after # EOF");
                    continue;
                }
                assert!(name_ok(name), "bad family name in {line:?}");
                if kw == "TYPE" {
                    let kind = it.next().unwrap_or("").to_string();
                    assert!(seen.insert(name.to_string()), "family {name} announced twice");
                    family = Some((name.to_string(), kind));
                } else {
                    assert_eq!(kw, "HELP", "{line:?}");
                }
                continue;
            }
            let (fam, kind) = family.clone().unwrap_or_else(|| panic!("sample before any TYPE: {line:?}"));
            let expected = if kind == "info" { format!("{fam}_info") } else { fam.clone() };
            let brace = line.find('{').unwrap_or_else(|| panic!("no labels in {line:?}"));
            assert_eq!(&line[..brace], expected, "sample outside its family: {line:?}");
            let close = line.rfind("} ").unwrap_or_else(|| panic!("no value in {line:?}"));
            // Labels: name="escaped value" separated by commas.
            let labels = &line[brace + 1..close];
            let mut chars = labels.chars().peekable();
            while chars.peek().is_some() {
                let lname: String = chars.by_ref().take_while(|&c| c != '=').collect();
                assert!(name_ok(&lname) && !lname.contains(':'), "bad label name {lname:?} in {line:?}");
                assert_eq!(chars.next(), Some('"'), "{line:?}");
                loop {
                    match chars.next() {
                        Some('\\') => assert!(matches!(chars.next(), Some('\\' | '"' | 'n')), "bad escape in {line:?}"),
                        Some('"') => break,
                        Some('\n') | None => panic!("unterminated label value in {line:?}"),
                        Some(_) => {}
                    }
                }
                match chars.next() {
                    Some(',') | None => {}
                    other => panic!("unexpected {other:?} after a label in {line:?}"),
                }
            }
            let value = &line[close + 2..];
            assert!(plain_number(value).is_some(), "bad value {value:?} in {line:?}");
        }
        if format == Format::OpenMetrics {
            assert!(text.ends_with("# EOF\n"));
        }
    }
}
