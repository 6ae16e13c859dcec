//! Every recorded descriptor parses, and every value NUT printed is found
//! at the same place and decodes to the same number.

mod common;

use nut_hid::usage::{path_to_string, Vendor};
use nut_hid::{value, Descriptor, ReportKind, SubdriverId};

#[test]
fn every_descriptor_accounts_for_its_fields() {
    let caps = common::captures();
    assert_eq!(caps.len(), 22, "corpus/hid should hold 22 captures");
    for (name, c) in &caps {
        let d = Descriptor::parse(&c.descriptor).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(Some(d.len), c.stated_len, "{name}: length");
        assert_eq!(d.open_at_end, 0, "{name}: collections do not balance");
        if let Some(n) = c.stated_report_ids {
            assert_eq!(d.report_ids().len(), n, "{name}: report IDs");
        }
        if let Some(n) = c.stated_depth {
            assert_eq!(d.max_depth, n, "{name}: depth");
        }
        if let Some(n) = c.stated_fields {
            assert_eq!(d.data_field_count(), n, "{name}: data fields (named {}, unnamed {})", d.fields.len(), d.unnamed.len());
        }
        // Every bit of every report is covered once, with no gap.
        let mut next: std::collections::BTreeMap<(ReportKind, u8), u32> = Default::default();
        for f in d.all_elements() {
            let n = next.entry((f.kind, f.report_id)).or_insert(0);
            assert_eq!(f.bit_offset, *n, "{name}: gap or overlap in {:?} 0x{:02x}", f.kind, f.report_id);
            *n += f.bit_size;
        }
        println!("{name}: {} fields, {} unnamed, {} collections, extras {:?}", d.fields.len(), d.unnamed.len(), d.collections, d.uses);
    }
}

/// Which usage names were active when the values were captured.
fn vendor_at_capture(note: &str, file: &str) -> Vendor {
    if note.contains("EXPLORE") {
        return Vendor::None;
    }
    if file.starts_with("tripplite") {
        Vendor::TrippLite
    } else if file.starts_with("eaton") || file.starts_with("santak") {
        Vendor::Mge
    } else if file.starts_with("apc") {
        Vendor::Apc
    } else {
        Vendor::None
    }
}

#[test]
fn every_nut_value_row_matches_a_field_and_decodes() {
    let mut rows = 0;
    let mut decoded = 0;
    for (name, c) in common::captures() {
        if c.values.is_empty() {
            continue;
        }
        let mut d = Descriptor::parse(&c.descriptor).unwrap();
        let vendor = vendor_at_capture(&c.subdriver_note, &name);
        // Values captured under the CyberPower subdriver went through its
        // descriptor repair first.
        if name.starts_with("cyberpower") {
            let fixed = SubdriverId::Cps.fix_descriptor(&mut d, 0x0764, 0x0501);
            assert!(!fixed.is_empty(), "{name}: CPS fix-up expected");
        }
        for r in &c.values {
            rows += 1;
            let f = d
                .fields
                .iter()
                .find(|f| f.kind == r.kind && f.report_id == r.report_id && f.bit_offset == r.bit_offset)
                .unwrap_or_else(|| panic!("{name}:{}: no field {:?} 0x{:02x} @{}", r.line, r.kind, r.report_id, r.bit_offset));
            assert_eq!(f.bit_size, r.bit_size, "{name}:{}: size", r.line);
            assert_eq!(path_to_string(&f.path, vendor), r.path, "{name}:{}: path", r.line);
            if r.raw.is_empty() {
                continue;
            }
            // NUT reads past a short report into its zeroed buffer.
            let mut buf = r.raw.clone();
            buf.resize(d.report_len(r.report_id).max(buf.len()), 0);
            let logical = value::extract(&buf, f).unwrap();
            let v = value::to_physical(f, logical);
            let expect: f64 = r.nut_value.parse().unwrap_or_else(|_| panic!("{name}:{}: value", r.line));
            assert!(
                (v - expect).abs() < 1e-9 * expect.abs().max(1.0),
                "{name}:{}: {} decoded to {v}, NUT printed {expect} (logical {logical}, exp {}, unit {:08x})",
                r.line,
                r.path,
                value::effective_exponent(f),
                f.unit
            );
            decoded += 1;
        }
    }
    println!("{rows} rows matched, {decoded} decoded");
    assert!(rows >= 400 && decoded >= 300, "too few rows checked: {rows}/{decoded}");
}

