//! Readers for the recorded-device text formats: the `hid/*.txt` capture
//! files and NUT `.dev` dumps (`upsc` output). Pure: they take text.
//!
//! Capture file layout: `#` header lines (one of them has `vid:pid
//! vvvv:pppp`, one `descriptor: N bytes, … M data fields`), then sections:
//! `[report-descriptor]` (hex bytes), `[nut-values]` (TSV rows: type,
//! report id, bit offset, bit size, NUT value, raw report bytes, path),
//! `[feature-reports]` (raw report hex, TAB, comment) and
//! `[values-at-capture]` (`name: value` lines).

use crate::descriptor::ReportKind;
use crate::error::HidError;
use std::collections::BTreeMap;

/// One `[nut-values]` row: what NUT printed for one field.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueRow {
    /// 1-based line in the file.
    pub line: usize,
    /// Report type.
    pub kind: ReportKind,
    /// Report ID.
    pub report_id: u8,
    /// Bit offset.
    pub bit_offset: u32,
    /// Bit size.
    pub bit_size: u32,
    /// The value NUT printed, as text.
    pub nut_value: String,
    /// The report bytes NUT had (first = ID); empty if not recorded.
    pub raw: Vec<u8>,
    /// The path NUT printed.
    pub path: String,
}

/// A parsed capture file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Capture {
    /// USB vendor ID from the header.
    pub vendor_id: Option<u16>,
    /// USB product ID from the header.
    pub product_id: Option<u16>,
    /// Descriptor length the header states.
    pub stated_len: Option<usize>,
    /// Data field count the header states.
    pub stated_fields: Option<usize>,
    /// Report ID count the header states.
    pub stated_report_ids: Option<usize>,
    /// Maximum collection depth the header states.
    pub stated_depth: Option<usize>,
    /// The `nut-subdriver:` header text.
    pub subdriver_note: String,
    /// The `paired-nut-ddl:` header text.
    pub paired_note: String,
    /// Descriptor bytes.
    pub descriptor: Vec<u8>,
    /// `[nut-values]` rows.
    pub values: Vec<ValueRow>,
    /// `[feature-reports]` raw reports (first byte = ID).
    pub feature_reports: Vec<Vec<u8>>,
    /// `[values-at-capture]` pairs.
    pub values_at_capture: Vec<(String, String)>,
}

#[derive(PartialEq)]
enum Section {
    Header,
    Descriptor,
    Values,
    Features,
    AtCapture,
    Other,
}

fn err(line: usize, message: impl Into<String>) -> HidError {
    HidError::Corpus { line, message: message.into() }
}

/// Parse hex bytes separated by white space.
pub fn parse_hex_bytes(s: &str, line: usize) -> Result<Vec<u8>, HidError> {
    s.split_whitespace()
        .map(|t| u8::from_str_radix(t, 16).map_err(|_| err(line, format!("'{t}' is not a hex byte"))))
        .collect()
}

fn number_before(text: &str, word: &str) -> Option<usize> {
    let idx = text.find(word)?;
    let before = text[..idx].trim_end();
    let start = before.rfind(|c: char| !c.is_ascii_digit()).map(|i| i + 1).unwrap_or(0);
    before[start..].parse().ok()
}

impl Capture {
    /// Parse a capture file's text.
    pub fn parse(text: &str) -> Result<Capture, HidError> {
        let mut c = Capture::default();
        let mut section = Section::Header;
        for (i, raw_line) in text.lines().enumerate() {
            let ln = i + 1;
            let line = raw_line.trim_end_matches('\r');
            if line.starts_with('[') {
                section = if line.starts_with("[report-descriptor]") {
                    Section::Descriptor
                } else if line.starts_with("[nut-values]") {
                    Section::Values
                } else if line.starts_with("[feature-reports]") {
                    Section::Features
                } else if line.starts_with("[values-at-capture]") {
                    Section::AtCapture
                } else {
                    Section::Other
                };
                continue;
            }
            if line.starts_with('#') {
                let h = line.trim_start_matches('#').trim();
                if let Some(rest) = h.strip_prefix("device:") {
                    if let Some(idx) = rest.find("vid:pid") {
                        let ids = rest[idx + 7..].split_whitespace().next().unwrap_or("");
                        let mut it = ids.split(':');
                        c.vendor_id = it.next().and_then(|v| u16::from_str_radix(v, 16).ok());
                        c.product_id = it.next().and_then(|v| u16::from_str_radix(v, 16).ok());
                    }
                } else if let Some(rest) = h.strip_prefix("descriptor:") {
                    c.stated_len = number_before(rest, " bytes");
                    c.stated_fields = number_before(rest, " data fields");
                    c.stated_report_ids = number_before(rest, " report IDs");
                    if let Some(idx) = rest.find("max collection depth") {
                        c.stated_depth = rest[idx + 20..].trim().split(|ch: char| !ch.is_ascii_digit()).next().and_then(|v| v.parse().ok());
                    }
                } else if let Some(rest) = h.strip_prefix("nut-subdriver:") {
                    c.subdriver_note = rest.trim().to_string();
                } else if let Some(rest) = h.strip_prefix("paired-nut-ddl:") {
                    c.paired_note = rest.trim().to_string();
                }
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            match section {
                Section::Descriptor => c.descriptor.extend(parse_hex_bytes(line, ln)?),
                Section::Values => {
                    let cols: Vec<&str> = line.split('\t').collect();
                    if cols.len() < 7 {
                        return Err(err(ln, format!("[nut-values] row has {} columns, expected 7", cols.len())));
                    }
                    let kind = ReportKind::from_name(cols[0])
                        .ok_or_else(|| err(ln, format!("unknown report type '{}'", cols[0])))?;
                    let rid = cols[1].trim_start_matches("0x");
                    let report_id =
                        u8::from_str_radix(rid, 16).map_err(|_| err(ln, format!("bad report id '{}'", cols[1])))?;
                    let bit_offset =
                        cols[2].parse().map_err(|_| err(ln, format!("bad bit offset '{}'", cols[2])))?;
                    let bit_size = cols[3].parse().map_err(|_| err(ln, format!("bad bit size '{}'", cols[3])))?;
                    c.values.push(ValueRow {
                        line: ln,
                        kind,
                        report_id,
                        bit_offset,
                        bit_size,
                        nut_value: cols[4].to_string(),
                        raw: parse_hex_bytes(cols[5], ln)?,
                        path: cols[6].trim().to_string(),
                    });
                }
                Section::Features => {
                    let hex = line.split('\t').next().unwrap_or("");
                    let bytes = parse_hex_bytes(hex, ln)?;
                    if !bytes.is_empty() {
                        c.feature_reports.push(bytes);
                    }
                }
                Section::AtCapture => {
                    if let Some((k, v)) = line.split_once(':') {
                        c.values_at_capture.push((k.trim().to_string(), v.trim().to_string()));
                    }
                }
                Section::Header => return Err(err(ln, "data before any [section] header")),
                Section::Other => {}
            }
        }
        if c.descriptor.is_empty() {
            return Err(err(0, "no [report-descriptor] bytes found"));
        }
        Ok(c)
    }

    /// Every report this capture recorded, by ID: the last `[nut-values]`
    /// raw bytes seen per ID (the last poll), then `[feature-reports]`.
    /// Useful to feed a [`crate::ReportSource`].
    pub fn reports(&self) -> BTreeMap<u8, Vec<u8>> {
        let mut m = BTreeMap::new();
        for r in &self.values {
            if let Some(id) = r.raw.first() {
                let e: &mut Vec<u8> = m.entry(*id).or_default();
                if r.raw.len() >= e.len() {
                    *e = r.raw.clone();
                }
            }
        }
        for r in &self.feature_reports {
            if let Some(id) = r.first() {
                m.insert(*id, r.clone());
            }
        }
        m
    }
}

/// A NUT `.dev` dump: variables, `#RW:`/`#CMD:` lines and log comments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DevDump {
    /// Variables in file order.
    pub vars: Vec<(String, String)>,
    /// `#CMD:` entries.
    pub commands: Vec<String>,
    /// All comment lines, without the leading `#`.
    pub comments: Vec<String>,
}

impl DevDump {
    /// Parse `.dev` text. Inline `#COMMENT`/`#BAD` tails are dropped.
    pub fn parse(text: &str) -> DevDump {
        let mut d = DevDump::default();
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if let Some(c) = line.strip_prefix('#') {
                if let Some(cmd) = c.strip_prefix("CMD:") {
                    d.commands.push(cmd.trim().to_string());
                }
                d.comments.push(c.to_string());
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                let k = k.trim();
                if k.is_empty() || k.contains(' ') {
                    continue;
                }
                let mut v = v.strip_prefix(' ').unwrap_or(v).to_string();
                for tag in [" #COMMENT", " #BAD", "\t#COMMENT", "\t#BAD"] {
                    if let Some(idx) = v.find(tag) {
                        v.truncate(idx);
                    }
                }
                d.vars.push((k.to_string(), v));
            }
        }
        d
    }

    /// Value of one variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# device: X  vid:pid 051d:0002  model: Y\n\
# descriptor: 4 bytes, sha256 00, 1 report IDs, 1 data fields, max collection depth 0\n\
\n[report-descriptor]\n05 84 09 30\n\n\
[nut-values] type\treport_id\n\
Feature\t0x01\t0\t8\t5\t01 05\tUPS.Voltage\n\
[feature-reports] (x)\n02 07 08\tcomment\n\
[values-at-capture] (y)\nups.load: 19\n";

    #[test]
    fn parses_all_sections() {
        let c = Capture::parse(SAMPLE).unwrap();
        assert_eq!((c.vendor_id, c.product_id), (Some(0x051d), Some(0x0002)));
        assert_eq!((c.stated_len, c.stated_fields, c.stated_report_ids, c.stated_depth), (Some(4), Some(1), Some(1), Some(0)));
        assert_eq!(c.descriptor, vec![0x05, 0x84, 0x09, 0x30]);
        assert_eq!(c.values.len(), 1);
        assert_eq!(c.values[0].raw, vec![1, 5]);
        assert_eq!(c.feature_reports, vec![vec![2, 7, 8]]);
        assert_eq!(c.values_at_capture, vec![("ups.load".to_string(), "19".to_string())]);
        assert_eq!(c.reports().len(), 2);
    }

    #[test]
    fn bad_rows_name_their_line() {
        let bad = "[report-descriptor]\n05 zz\n";
        assert_eq!(Capture::parse(bad).unwrap_err(), HidError::Corpus { line: 2, message: "'zz' is not a hex byte".into() });
        let short = "[report-descriptor]\n05 84\n[nut-values]\nFeature\t0x01\n";
        assert!(matches!(Capture::parse(short), Err(HidError::Corpus { line: 4, .. })));
    }

    #[test]
    fn dev_dumps() {
        let d = DevDump::parse("#CMD:load.off\nups.status: OL #COMMENT why\nups.serial:\n");
        assert_eq!(d.get("ups.status"), Some("OL"));
        assert_eq!(d.get("ups.serial"), Some(""));
        assert_eq!(d.commands, vec!["load.off".to_string()]);
    }
}
