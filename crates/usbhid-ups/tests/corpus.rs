//! (a) Every recorded device of the corpus, replayed by our driver
//! (`replay=FILE`), served by NUT 2.8.0's upsd and read with NUT's upsc,
//! publishes what nut-hid predicts from the same recorded reports.

mod common;

use std::time::Duration;

use common::*;
use nut_testkit::{Impl, Sandbox};

#[test]
fn every_recorded_device_reaches_upsc_through_nut_upsd() {
    let caps = captures();
    assert_eq!(caps.len(), 22, "the corpus has 22 recorded devices");
    let mut sb = Sandbox::new();
    let mut conf = String::new();
    for c in &caps {
        conf.push_str(&section(&ups_name(c), c, &[]));
    }
    sb.write_ups_conf(&conf);
    sb.write_upsd_users("");
    sb.write_upsd_conf("");
    let mut drivers = Vec::new();
    for c in &caps {
        let name = ups_name(c);
        let mut cmd = sb.command(our_driver());
        cmd.args(["-a", &name, "-F"]);
        let id = sb.spawn(&format!("usbhid-ups-{name}"), cmd);
        drivers.push((name, id));
    }
    for (name, id) in &drivers {
        let sock = sb.driver_socket("usbhid-ups", name);
        sb.wait_path(&sock, Some(*id), Duration::from_secs(20)).unwrap_or_else(|e| panic!("{e}"));
    }
    sb.start_upsd(Impl::Nut);
    let mut devices = 0;
    let mut vars = 0;
    let mut problems = Vec::new();
    for c in &caps {
        let name = ups_name(c);
        sb.wait_ups_ready(&name, None).unwrap_or_else(|e| panic!("{e}"));
        let got = upsc(&sb, &name).unwrap_or_else(|e| panic!("upsc {name}: {e}"));
        let want = predict(c);
        assert!(want.contains_key("ups.status"), "{name}: nut-hid predicts no ups.status");
        for (k, v) in &want {
            match got.get(k) {
                Some(g) if g == v => vars += 1,
                Some(g) => problems.push(format!("{name}: {k}: upsc says '{g}', nut-hid predicts '{v}'")),
                None => problems.push(format!("{name}: {k} missing (predicted '{v}')")),
            }
        }
        for k in ["driver.name", "driver.version.internal", "driver.parameter.replay", "ups.vendorid"] {
            assert!(got.contains_key(k), "{name}: {k} missing from upsc");
        }
        assert_eq!(got.get("driver.name").map(String::as_str), Some("usbhid-ups"));
        devices += 1;
    }
    println!("{devices} devices, {vars} predicted variables matched through NUT upsd + upsc");
    assert!(problems.is_empty(), "{}\n{}", problems.join("\n"), sb.logs());
    assert_eq!(devices, 22);
}
