//! The usbhid-ups behaviours a driver relies on, pinned on a real
//! descriptor (APC BK650M2-CH) with hand-made reports.

mod common;

use nut_hid::corpus::Capture;
use nut_hid::{Action, Descriptor, HidError, HidUps, MapSource, Options, SubdriverId, UsbIdentity, Walk};

fn bk650() -> (Capture, Descriptor) {
    let (_, c) = common::captures().into_iter().find(|(n, _)| n.starts_with("apc-back-ups-bk650m2-ch")).expect("capture");
    let d = Descriptor::parse(&c.descriptor).expect("descriptor");
    (c, d)
}

fn usb() -> UsbIdentity {
    UsbIdentity {
        vendor_id: 0x051d,
        product_id: 0x0002,
        manufacturer: Some("American Power Conversion".into()),
        product: Some("Back-UPS ES 700 FW:871.O4 .I USB FW:O4".into()),
        serial: Some("4B1234".into()),
    }
}

fn start(reports: MapSource, opts: Options) -> (HidUps, MapSource) {
    let (_, d) = bk650();
    let mut src = reports;
    let mut ups = HidUps::new(d, SubdriverId::Apc, &usb(), opts);
    ups.walk(&mut src, Walk::Init).expect("init");
    (ups, src)
}

fn recorded() -> MapSource {
    let (c, _) = bk650();
    MapSource { reports: c.reports(), missing_as_zero: Some(1), ..Default::default() }
}

fn val(ups: &HidUps, name: &str) -> Option<String> {
    ups.variables().get(name).map(|v| v.value.clone())
}

#[test]
fn apc_identity_is_split_from_the_product_string() {
    let (ups, _) = start(recorded(), Options::default());
    assert_eq!(val(&ups, "ups.model").as_deref(), Some("Back-UPS ES 700"));
    assert_eq!(val(&ups, "ups.firmware").as_deref(), Some("871.O4 .I"));
    assert_eq!(val(&ups, "ups.firmware.aux").as_deref(), Some("O4"));
    assert_eq!(val(&ups, "device.mfr").as_deref(), Some("American Power Conversion"));
    assert_eq!(val(&ups, "driver.version.data").as_deref(), Some("APC HID 0.98"));
    assert_eq!(val(&ups, "ups.vendorid").as_deref(), Some("051d"));
}

#[test]
fn flags_aux_and_enums_follow_the_table() {
    let (ups, _) = start(recorded(), Options::default());
    let v = &ups.variables()["battery.charge.low"];
    assert!(v.rw);
    assert_eq!(v.string_len, Some(10));
    let s = &ups.variables()["input.sensitivity"];
    assert!(s.rw && s.enums.is_empty(), "APC sensitivity has no HU_FLAG_ENUM");
    assert!(!ups.variables()["battery.charge"].rw);
    // Server-side delays take their default and the user's option.
    assert_eq!(val(&ups, "ups.delay.shutdown").as_deref(), Some("20"));
    let (ups2, _) = start(recorded(), Options { offdelay: Some("45".into()), lowbatt: Some("33".into()), ..Default::default() });
    assert_eq!(val(&ups2, "ups.delay.shutdown").as_deref(), Some("45"));
    assert_eq!(val(&ups2, "battery.charge.low").as_deref(), Some("33"));
}

#[test]
fn commands_include_the_synthesised_ones() {
    let (ups, _) = start(recorded(), Options::default());
    let cmds: Vec<&str> = ups.commands().iter().map(String::as_str).collect();
    for c in ["load.off.delay", "load.off", "shutdown.stop", "beeper.enable", "test.battery.start.quick", "shutdown.reboot"] {
        assert!(cmds.contains(&c), "{c} missing from {cmds:?}");
    }
    // No DelayBeforeStartup on this unit: no load.on / shutdown.return.
    assert!(!cmds.contains(&"load.on") && !cmds.contains(&"shutdown.return"));
}

#[test]
fn status_bits_give_nut_tokens_and_alarms() {
    let mut src = recorded();
    // PresentStatus report 0x16: Charging, Discharging, ACPresent,
    // BatteryPresent, ShutdownImminent, TimeLimitExpired, NeedReplacement,
    // Overload, VoltageNotRegulated (bits 0..8).
    src.reports.insert(0x16, vec![0x16, 0b0000_0100, 0x00]);
    let (mut ups, mut src) = start(src, Options::default());
    // BatteryPresent = 0 -> "No battery installed!", but as in NUT 2.8.0
    // alarms are published by full polls only: not by the init walk, not
    // by quick polls.
    assert_eq!(ups.status(), "OL");
    assert_eq!(val(&ups, "ups.alarm"), None);
    ups.walk(&mut src, Walk::Quick).unwrap();
    assert_eq!(ups.status(), "OL");
    ups.walk(&mut src, Walk::Full).unwrap();
    assert_eq!(ups.status(), "ALARM OL");
    assert_eq!(val(&ups, "ups.alarm").as_deref(), Some("No battery installed!"));
    src.reports.insert(0x16, vec![0x16, 0b1100_1010, 0x00]);
    // This unit also has the flat UPS.PowerSummary.ACPresent (report
    // 0x13); every BOOL entry stays active, so it must drop too.
    src.reports.insert(0x13, vec![0x13, 0x00]);
    ups.walk(&mut src, Walk::Full).unwrap();
    assert_eq!(ups.status(), "ALARM OB DISCHRG OVER RB");
    assert_eq!(val(&ups, "ups.alarm").as_deref(), Some("Replace battery!"));
    // Interrupt report: back on line, charging, battery fine.
    ups.handle_interrupt(&[0x16, 0b0000_1101, 0x00], &mut src);
    ups.handle_interrupt(&[0x13, 0x01], &mut src);
    // The alarm stays until the next full poll clears it.
    assert_eq!(ups.status(), "ALARM OL CHRG");
    assert_eq!(val(&ups, "ups.alarm").as_deref(), Some("Replace battery!"));
    src.reports.insert(0x16, vec![0x16, 0b0000_1101, 0x00]);
    src.reports.insert(0x13, vec![0x13, 0x01]);
    ups.walk(&mut src, Walk::Full).unwrap();
    assert_eq!(ups.status(), "OL CHRG");
    assert_eq!(val(&ups, "ups.alarm"), None);
    // OL + discharging is OB only with onlinedischarge.
    let mut s2 = recorded();
    s2.reports.insert(0x16, vec![0x16, 0b0000_1110, 0x00]);
    let (u2, _) = start(s2.clone(), Options::default());
    assert_eq!(u2.status(), "OL DISCHRG");
    let (u3, _) = start(s2, Options { onlinedischarge: true, ..Default::default() });
    assert_eq!(u3.status(), "OB DISCHRG");
}

#[test]
fn instcmd_builds_feature_writes() {
    let (mut ups, mut src) = start(recorded(), Options::default());
    // beeper.disable writes 1 to AudibleAlarmControl (report 0x18).
    let acts = ups.instcmd(&mut src, "beeper.disable", None).unwrap();
    assert_eq!(acts, vec![Action::SetReport { report_id: 0x18, data: vec![0x18, 0x01] }]);
    // beeper.off is an alias of beeper.disable.
    assert_eq!(ups.instcmd(&mut src, "beeper.off", None).unwrap(), acts);
    // shutdown.stop writes -1 into the 16-bit DelayBeforeShutdown (0x15).
    let acts = ups.instcmd(&mut src, "shutdown.stop", None).unwrap();
    assert_eq!(acts, vec![Action::SetReport { report_id: 0x15, data: vec![0x15, 0xff, 0xff] }]);
    // load.off has no table entry: it becomes load.off.delay 0.
    let acts = ups.instcmd(&mut src, "load.off", None).unwrap();
    assert_eq!(acts, vec![Action::SetReport { report_id: 0x15, data: vec![0x15, 0x00, 0x00] }]);
    // An extra parameter replaces the table default.
    let acts = ups.instcmd(&mut src, "load.off.delay", Some("300")).unwrap();
    assert_eq!(acts, vec![Action::SetReport { report_id: 0x15, data: vec![0x15, 0x2c, 0x01] }]);
    assert!(matches!(ups.instcmd(&mut src, "load.on", None), Err(HidError::UnknownCommand(_))));
    assert!(matches!(ups.instcmd(&mut src, "no.such", None), Err(HidError::UnknownCommand(_))));
}

#[test]
fn setvar_writes_or_updates() {
    let (mut ups, mut src) = start(recorded(), Options::default());
    // Writable device variable: battery.charge.low -> RemainingCapacityLimit (0x11).
    let acts = ups.setvar(&mut src, "battery.charge.low", "40").unwrap();
    assert_eq!(acts, vec![Action::SetReport { report_id: 0x11, data: vec![0x11, 40] }]);
    // Lookup variable: reverse lookup of the text.
    // Report 0x35 is 24 bytes by the descriptor and NUT 2.8.0 writes all
    // of them (seen through the replay library), whatever the unit gave.
    let acts = ups.setvar(&mut src, "input.sensitivity", "high").unwrap();
    let mut want = vec![0u8; 24];
    want[..2].copy_from_slice(&[0x35, 2]);
    assert_eq!(acts, vec![Action::SetReport { report_id: 0x35, data: want }]);
    assert!(matches!(ups.setvar(&mut src, "input.sensitivity", "extreme"), Err(HidError::BadValue { .. })));
    // Server-side variable: no write, value updated.
    assert!(ups.setvar(&mut src, "ups.delay.shutdown", "60").unwrap().is_empty());
    assert_eq!(val(&ups, "ups.delay.shutdown").as_deref(), Some("60"));
    // Read-only and unknown variables are refused.
    assert!(matches!(ups.setvar(&mut src, "battery.charge", "5"), Err(HidError::NotWritable(_))));
    assert!(matches!(ups.setvar(&mut src, "ups.nothing", "5"), Err(HidError::NotWritable(_))));
}

#[test]
fn short_reports_keep_the_rest_of_the_buffer() {
    // NUT keeps its previous buffer bytes beyond a short read.
    let mut src = recorded();
    src.reports.insert(0x0c, vec![0x0c, 55]);
    let (mut ups, mut src) = start(src, Options::default());
    assert_eq!(val(&ups, "battery.charge").as_deref(), Some("55"));
    src.reports.insert(0x0c, vec![0x0c]);
    ups.walk(&mut src, Walk::Full).unwrap();
    assert_eq!(val(&ups, "battery.charge").as_deref(), Some("55"));
}

#[test]
fn explore_prints_nut_path_lines() {
    let (c, d) = bk650();
    let mut src = MapSource { reports: c.reports(), ..Default::default() };
    let lines = nut_hid::mapper::explore(&d, nut_hid::Vendor::None, &mut src);
    assert!(lines.contains(&"Path: UPS.PowerSummary.DelayBeforeShutdown, Type: Feature, ReportID: 0x15, Offset: 0, Size: 16, Value: -1".to_string()));
    assert!(lines.contains(&"Path: UPS.Battery.Voltage, Type: Feature, ReportID: 0x26, Offset: 0, Size: 16, Value: 13.5".to_string()));
}
