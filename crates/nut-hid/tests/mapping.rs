//! Run the subdriver mapping over every capture that recorded values and
//! compare what we publish with what NUT published for that unit (the
//! paired nut-ddl `.dev`): value by value for the two APC units whose
//! `.dev` comes from the same session, by variable name for the others.
//!
//! Every difference must be listed in [`KNOWN_DIFFERENCES`] with its
//! reason, and every listed difference must still occur: the test fails on
//! a new difference and on a stale entry alike.

mod common;

use nut_hid::corpus::{Capture, DevDump};
use nut_hid::{Descriptor, DeviceMatch, HidUps, MapSource, Options, SubdriverId, UsbIdentity, Walk};
use std::collections::{BTreeMap, BTreeSet};

/// (capture, variable, kind, reason). Kind is `value` (both have it,
/// different value), `missing` (NUT has it, we do not) or `extra` (we have
/// it, NUT does not).
const KNOWN_DIFFERENCES: &[(&str, &str, &str, &str)] = &[
    ("apc-back-ups-cs-500", "battery.type", "value",
     "needs USB string descriptor 4 (iDeviceChemistry), which the log did not record: an unreadable string is published as empty text, as NUT does"),
    ("apc-back-ups-bk650m2-ch", "battery.type", "value",
     "needs USB string descriptor 4 (iDeviceChemistry), which the log did not record: an unreadable string is published as empty text, as NUT does"),
    ("apc-back-ups-bk650m2-ch", "ups.serial", "value",
     "the contributor replaced ups.serial by 'xxxx' in the .dev but left device.serial intact"),
    ("apc-back-ups-bk650m2-ch", "ups.load", "value",
     "the Path log caught PercentLoad at 0 %, the .dev was taken later at 5 %"),
    ("cyberpower-ec850lcd", "ups.test.result", "missing",
     "no report bytes were recorded, so Output.Test reads 0, which has no text"),
    // Identity strings: the capture did not record the USB string descriptors.
    ("eaton-3s-700", "ups.model", "missing", "USB iProduct/iModel strings were not recorded"),
    ("eaton-3s-700", "device.model", "missing", "USB iProduct/iModel strings were not recorded"),
    ("eaton-3s-700", "ups.serial", "missing", "USB iSerialNumber string was not recorded"),
    ("eaton-3s-700", "device.serial", "missing", "USB iSerialNumber string was not recorded"),
    ("eaton-3s-700", "ups.realpower", "extra", "NUT 2.8.0 publishes it on this very capture (see usbhid-ups tests/vs_nut.rs); the paired .dev is NUT 2.6.5 on a 3S 550"),
    ("eaton-3s-700", "ups.type", "extra", "NUT 2.8.0 publishes it on this very capture (see usbhid-ups tests/vs_nut.rs); the paired .dev is NUT 2.6.5 on a 3S 550"),
    ("eaton-3s-700", "outlet.2.desc", "missing", "the 3S 700 descriptor has outlets [1] and [2] only; the paired .dev is a 3S 550 with a third"),
    ("eaton-3s-700", "outlet.2.id", "missing", "no Outlet.[3] in this descriptor (paired .dev is another model)"),
    ("eaton-3s-700", "outlet.2.status", "missing", "no Outlet.[3] in this descriptor (paired .dev is another model)"),
    ("eaton-3s-700", "outlet.2.switchable", "missing", "no Outlet.[3] in this descriptor (paired .dev is another model)"),
    ("liebert-gxt4", "ups.model", "missing", "USB iProduct string was not recorded"),
    ("liebert-gxt4", "device.model", "missing", "USB iProduct string was not recorded"),
    ("liebert-gxt4", "ups.serial", "missing", "USB iSerialNumber string was not recorded"),
    ("liebert-gxt4", "device.serial", "missing", "USB iSerialNumber string was not recorded"),
    ("liebert-gxt4", "input.voltage", "missing", "the .dev owner set default.input.voltage in ups.conf; the device has no such item"),
    ("liebert-gxt4", "input.voltage.nominal", "missing", "the .dev owner set default.input.voltage.nominal in ups.conf"),
    ("liebert-gxt4", "battery.voltage", "extra", "the .dev line for it is glued to battery.type (broken dump)"),
    ("powerwalker-vi-1200-shl", "ups.model", "missing", "USB iProduct string was not recorded"),
    ("powerwalker-vi-1200-shl", "device.model", "missing", "USB iProduct string was not recorded"),
    ("powerwalker-vi-1200-shl", "ups.serial", "missing", "USB iSerialNumber string was not recorded"),
    ("powerwalker-vi-1200-shl", "device.serial", "missing", "USB iSerialNumber string was not recorded"),
    ("powerwalker-vi-1200-shl", "input.voltage", "extra", "the Phoenixtec table maps it; the paired 2.7.4 .dev (a VI 2200 SH) did not publish it (values read 0: the capture has paths only)"),
    ("powerwalker-vi-1200-shl", "output.frequency", "extra", "the Phoenixtec table maps it; the paired 2.7.4 .dev (a VI 2200 SH) did not publish it (values read 0: the capture has paths only)"),
    ("powerwalker-vi-1200-shl", "output.voltage", "extra", "the Phoenixtec table maps it; the paired 2.7.4 .dev (a VI 2200 SH) did not publish it (values read 0: the capture has paths only)"),
    ("tripplite-09ae-4003", "ups.model", "missing", "USB iProduct string was not recorded"),
    ("tripplite-09ae-4003", "ups.serial", "missing", "USB iSerialNumber string was not recorded"),
    ("tripplite-09ae-4003", "device.mfr", "extra", "the paired .dev is NUT 2.2.1, before device.* copies existed"),
    ("tripplite-09ae-4003", "device.type", "extra", "the paired .dev is NUT 2.2.1, before device.* copies existed"),
    ("tripplite-09ae-4003", "input.transfer.high.max", "extra", "2.8.0 table maps TLHighVoltageTransferMax; the 2.2.1 .dev table did not"),
    ("tripplite-09ae-4003", "input.transfer.high.min", "extra", "2.8.0 table maps TLHighVoltageTransferMin; 2.2.1 did not"),
    ("tripplite-09ae-4003", "input.transfer.low.max", "extra", "2.8.0 table maps TLLowVoltageTransferMax; 2.2.1 did not"),
    ("tripplite-09ae-4003", "input.transfer.low.min", "extra", "2.8.0 table maps TLLowVoltageTransferMin; 2.2.1 did not"),
    ("tripplite-09ae-4003", "ups.firmware", "extra", "2.8.0 maps TLCustom.[1].UPSFirmwareVersion; 2.2.1 did not"),
    ("tripplite-09ae-4003", "ups.watchdog.status", "extra", "2.8.0 maps TLWatchdog; 2.2.1 did not"),
    ("tripplite-09ae-4003", "ups.timer.reboot", "extra", "2.8.0 publishes timers; 2.2.1 published ups.delay.reboot from the same item"),
    ("tripplite-09ae-4003", "ups.timer.shutdown", "extra", "2.8.0 publishes timers; 2.2.1 published the raw delay instead"),
    ("tripplite-09ae-4003", "ups.timer.start", "extra", "2.8.0 publishes timers; 2.2.1 published the raw delay instead"),
    ("tripplite-09ae-4003", "ups.delay.reboot", "missing", "2.2.1 mapped DelayBeforeReboot to ups.delay.reboot; 2.8.0 calls it ups.timer.reboot"),
];

/// USB strings the capture's NUT log printed (`[D2] - Manufacturer: ...`),
/// and the string indices the HID iManufacturer/iProduct/iSerialNumber
/// fields point at.
fn usb_identity(c: &Capture, dev: Option<&DevDump>) -> (UsbIdentity, BTreeMap<u8, String>) {
    let mut id = UsbIdentity {
        vendor_id: c.vendor_id.expect("vid"),
        product_id: c.product_id.expect("pid"),
        ..UsbIdentity::default()
    };
    let mut strings = BTreeMap::new();
    if let Some(dev) = dev {
        for line in &dev.comments {
            let grab = |tag: &str| line.find(tag).map(|i| line[i + tag.len()..].to_string());
            if let Some(v) = grab("[D2] - Manufacturer: ") {
                id.manufacturer.get_or_insert(v);
            } else if let Some(v) = grab("[D2] - Product: ") {
                id.product.get_or_insert(v);
            } else if let Some(v) = grab("[D2] - Serial Number: ") {
                id.serial.get_or_insert(v);
            }
        }
    }
    for r in &c.values {
        let idx = r.nut_value.parse::<f64>().ok().filter(|v| v.fract() == 0.0 && *v >= 1.0).map(|v| v as u8);
        let s = if r.path.ends_with(".iManufacturer") {
            &id.manufacturer
        } else if r.path.ends_with(".iProduct") {
            &id.product
        } else if r.path.ends_with(".iSerialNumber") {
            &id.serial
        } else {
            continue;
        };
        if let (Some(i), Some(s)) = (idx, s) {
            strings.entry(i).or_insert_with(|| s.clone());
        }
    }
    (id, strings)
}

/// The `.dev` NUT published for this unit or its family.
fn paired_dev(c: &Capture) -> Option<(String, DevDump)> {
    let root = common::corpus_dir();
    let note = &c.paired_note;
    let mut candidates: Vec<String> = Vec::new();
    for tok in note.split(|ch: char| ch.is_whitespace() || ch == ',') {
        let tok = tok.trim_start_matches("corpus/").trim_start_matches("nut-ddl/");
        if tok.ends_with(".dev") {
            candidates.push(tok.to_string());
        } else if let Some(prefix) = tok.strip_suffix('*') {
            let (dir, stem) = prefix.rsplit_once('/')?;
            let mut names: Vec<String> = std::fs::read_dir(root.join("nut-ddl").join(dir))
                .ok()?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(stem) && n.contains("usbhid-ups") && n.ends_with(".dev"))
                .collect();
            names.sort();
            candidates.extend(names.into_iter().map(|n| format!("{dir}/{n}")));
        }
    }
    let first = candidates.into_iter().find(|p| root.join("nut-ddl").join(p).is_file())?;
    let text = std::fs::read_to_string(root.join("nut-ddl").join(&first)).ok()?;
    Some((first, DevDump::parse(&text)))
}

fn run(name: &str, c: &Capture, dev: Option<&DevDump>) -> (HidUps, SubdriverId) {
    let (usb, strings) = usb_identity(c, dev);
    let m = DeviceMatch {
        vendor_id: usb.vendor_id,
        product_id: usb.product_id,
        manufacturer: usb.manufacturer.as_deref(),
        product: usb.product.as_deref(),
        productid_given: true,
        explore: false,
    };
    let sub = SubdriverId::select(&m).unwrap_or_else(|e| panic!("{name}: {e}"));
    let desc = Descriptor::parse(&c.descriptor).expect("descriptor");
    let mut src = MapSource { reports: c.reports(), strings, missing_as_zero: Some(1) };
    let mut ups = HidUps::new(desc, sub, &usb, Options::default());
    ups.walk(&mut src, Walk::Init).expect("init walk");
    (ups, sub)
}

/// Variables a `.dev` carries that no HID table produces.
fn comparable(name: &str) -> bool {
    !name.starts_with("driver.") && !name.starts_with("server.")
}

#[test]
fn subdriver_mapping_matches_nut_dumps() {
    let exact = ["apc-back-ups-cs-500", "apc-back-ups-bk650m2-ch"];
    let mut found: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut reasons: BTreeMap<(String, String, String), String> = BTreeMap::new();
    let (mut devices, mut matched_values, mut matched_names) = (0, 0, 0);
    for (file, c) in common::captures() {
        let name = file.trim_end_matches(".txt").to_string();
        if c.values.is_empty() && c.feature_reports.is_empty() && c.values_at_capture.is_empty() {
            continue;
        }
        devices += 1;
        let paired = paired_dev(&c);
        let (ups, sub) = run(&name, &c, paired.as_ref().map(|p| &p.1));
        let ours = ups.variables();
        let is_exact = exact.contains(&name.as_str());
        let mut report = |var: &str, kind: &str, detail: String| {
            found.insert((name.clone(), var.to_string(), kind.to_string()));
            reasons.insert((name.clone(), var.to_string(), kind.to_string()), detail);
        };
        // High-level values another project decoded (EC850LCD): no report
        // bytes came with them, so only the names can be compared.
        for (k, v) in &c.values_at_capture {
            match ours.get(k) {
                Some(_) => matched_names += 1,
                None => report(k, "missing", format!("recorded {v:?}")),
            }
        }
        let Some((dev_path, dev)) = paired else {
            println!("{name}: {}, no paired .dev, {} variables published", sub.name(), ours.len());
            continue;
        };
        let theirs: BTreeMap<&str, &str> =
            dev.vars.iter().filter(|(k, _)| comparable(k)).map(|(k, v)| (k.as_str(), v.as_str())).collect();
        for (k, v) in &theirs {
            match ours.get(*k) {
                None => report(k, "missing", format!("NUT: {v:?}")),
                Some(o) => {
                    matched_names += 1;
                    if is_exact {
                        if o.value == *v {
                            matched_values += 1;
                        } else {
                            report(k, "value", format!("ours {:?}, NUT {v:?}", o.value));
                        }
                    }
                }
            }
        }
        for k in ours.keys().filter(|k| comparable(k)) {
            if !theirs.contains_key(k.as_str()) {
                report(k, "extra", format!("ours {:?}", ours[k].value));
            }
        }
        if is_exact {
            let cmds: BTreeSet<String> = ups.commands().iter().cloned().collect();
            let want: BTreeSet<String> = dev.commands.iter().cloned().collect();
            if !want.is_empty() {
                assert_eq!(cmds, want, "{name}: instant commands");
            }
        }
        println!("{name}: {} vs {dev_path}: {} of NUT's {} names present", sub.name(), theirs.keys().filter(|k| ours.contains_key(**k)).count(), theirs.len());
    }
    let known: BTreeSet<(String, String, String)> =
        KNOWN_DIFFERENCES.iter().map(|(d, v, k, _)| (d.to_string(), v.to_string(), k.to_string())).collect();
    let new: Vec<_> = found.difference(&known).collect();
    let stale: Vec<_> = known.difference(&found).collect();
    println!("devices: {devices}, values matched exactly: {matched_values}, names matched: {matched_names}");
    println!("differences: {} (all listed with reasons)", found.len());
    for d in &new {
        println!("  NEW {:?}: {}", d, reasons[*d]);
    }
    assert!(new.is_empty(), "{} unexplained difference(s), see output", new.len());
    assert!(stale.is_empty(), "listed differences that no longer occur: {stale:?}");
}
