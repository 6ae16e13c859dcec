//! Shared helpers of the usbhid-ups integration tests: the corpus, the
//! options a few devices need, what nut-hid predicts for a capture, upsc
//! through a sandboxed upsd, CPU use of a process.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nut_hid::{Descriptor, DeviceMatch, HidUps, MapSource, Options, SubdriverId, UsbIdentity, Walk};
use nut_testkit::Sandbox;
use usbhid_ups::replay::{Recording, STRING_MANUFACTURER, STRING_PRODUCT, STRING_SERIAL};

/// NUT 2.8.0's upsc.
pub const NUT_UPSC: &str = "/usr/bin/upsc";

/// Our driver, as cargo built it for these tests.
pub fn our_driver() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_usbhid-ups"))
}

/// `shared/corpus/hid` beside the workspace.
pub fn corpus_hid() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/hid"));
    assert!(p.is_dir(), "corpus not found at {}: these tests replay its recorded devices", p.display());
    p.canonicalize().expect("corpus path")
}

/// Every capture, sorted by name.
pub fn captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus_hid())
        .expect("read corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    v.sort();
    v
}

/// Section name for a capture: its file stem.
pub fn ups_name(capture: &Path) -> String {
    capture.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Options NUT 2.8.0 needs to take three of the recorded devices (their
/// VID is known but the PID is not in its tables, or nothing claims them).
pub fn device_options(name: &str) -> Vec<(&'static str, &'static str)> {
    match name {
        "liebert-gxt4" => vec![("productid", "0000")],
        "minuteman-05dd-a0a0" => vec![("productid", "a0a0")],
        "unknown-5131-2007" => vec![("explore", ""), ("vendorid", "5131")],
        _ => vec![],
    }
}

/// A ups.conf section running our driver on a replay file.
pub fn section(name: &str, replay: &Path, extra: &[(&str, &str)]) -> String {
    let mut s = format!("[{name}]\n\tdriver = usbhid-ups\n\tport = auto\n\treplay = \"{}\"\n", replay.display());
    for (k, v) in device_options(name).into_iter().chain(extra.iter().copied()) {
        if v.is_empty() {
            s.push_str(&format!("\t{k}\n"));
        } else {
            s.push_str(&format!("\t{k} = \"{v}\"\n"));
        }
    }
    s
}

/// What nut-hid says the driver must publish for a capture after its
/// init walk, from the same recorded reports and USB strings.
pub fn predict(capture: &Path) -> BTreeMap<String, String> {
    let rec = Recording::load(capture).expect("load capture");
    let name = ups_name(capture);
    let opts = device_options(&name);
    let m = DeviceMatch {
        vendor_id: rec.vendor_id,
        product_id: rec.product_id,
        manufacturer: rec.strings.get(&STRING_MANUFACTURER).map(String::as_str),
        product: rec.strings.get(&STRING_PRODUCT).map(String::as_str),
        productid_given: opts.iter().any(|(k, _)| *k == "productid"),
        explore: opts.iter().any(|(k, _)| *k == "explore"),
    };
    let sub = SubdriverId::select(&m).expect("a subdriver claims it");
    let desc = Descriptor::parse(&rec.capture.descriptor).expect("descriptor");
    let usb = UsbIdentity {
        vendor_id: rec.vendor_id,
        product_id: rec.product_id,
        manufacturer: rec.strings.get(&STRING_MANUFACTURER).cloned(),
        product: rec.strings.get(&STRING_PRODUCT).cloned(),
        serial: rec.strings.get(&STRING_SERIAL).cloned(),
    };
    let opts = Options::default();
    let mut ups = HidUps::new(desc, sub, &usb, opts);
    let mut src = MapSource { reports: rec.capture.reports(), strings: rec.strings.clone(), missing_as_zero: Some(8) };
    ups.walk(&mut src, Walk::Init).expect("init walk");
    ups.variables().iter().map(|(k, v)| (k.clone(), v.value.clone())).collect()
}

/// `upsc <ups>@127.0.0.1:<port>` through NUT's upsc: the variables, or
/// the error text.
pub fn upsc(sb: &Sandbox, ups: &str) -> Result<BTreeMap<String, String>, String> {
    let out = sb.run_path(Path::new(NUT_UPSC), &[&sb.ups_spec(ups)], Duration::from_secs(10));
    if !out.success() {
        return Err(nut_testkit::strip_ssl_noise(&out.stderr).trim().to_string());
    }
    Ok(parse_vars(&out.stdout))
}

/// `name: value` lines.
pub fn parse_vars(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(": ").or_else(|| l.strip_suffix(':').map(|k| (k, ""))))
        .filter(|(k, _)| !k.is_empty() && !k.contains(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// User + system CPU time of a process, in clock ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields after the command: state is [0], utime is field 14 overall = [11].
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}
