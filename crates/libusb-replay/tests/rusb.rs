//! A small program using the `rusb` crate, dynamically linked against the
//! system libusb (rusb without its `vendored` feature), runs its real
//! libusb path against a recorded device through the replay library. This
//! is the path our own usbhid-ups driver takes in its tests.
//!
//! The probe is built as its own one-package workspace (with a copy of the
//! workspace's Cargo.lock, so the same crate versions are used) into
//! `<target>/rusb-probe`.

mod common;

use common::*;
use std::fs;
use std::process::Command;
use std::time::Duration;

const MANIFEST: &str = r#"[package]
name = "rusb-probe"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
rusb = { version = "0.9", default-features = false }

[workspace]
"#;

const MAIN: &str = r#"
use std::time::Duration;
fn main() {
    let devices = rusb::devices().expect("device list");
    println!("devices {}", devices.len());
    for d in devices.iter() {
        let dd = d.device_descriptor().expect("descriptor");
        println!("device {:04x}:{:04x} bus {} address {}", dd.vendor_id(), dd.product_id(), d.bus_number(), d.address());
        let cfg = d.active_config_descriptor().expect("config");
        for i in cfg.interfaces() {
            for a in i.descriptors() {
                let eps: Vec<u8> = a.endpoint_descriptors().map(|e| e.address()).collect();
                println!("interface {} class {} endpoints {:02x?} extra {:02x?}", a.interface_number(), a.class_code(), eps, a.extra());
            }
        }
        let h = d.open().expect("open");
        h.set_auto_detach_kernel_driver(true).ok();
        h.claim_interface(0).expect("claim");
        let t = Duration::from_secs(1);
        let lang = h.read_languages(t).expect("languages");
        println!("product {:?}", h.read_product_string(lang[0], &dd, t).expect("product"));
        let mut rd = vec![0u8; 4096];
        let n = h.read_control(0x81, 0x06, 0x2200, 0, &mut rd, t).expect("report descriptor");
        println!("report descriptor {} bytes", n);
        let mut buf = [0u8; 64];
        let n = h.read_control(0xa1, 0x01, 0x030c, 0, &mut buf, t).expect("get report");
        println!("report {:02x?}", &buf[..n]);
        let n = h.write_control(0x21, 0x09, 0x0311, 0, &[0x11, 0x14, 0, 0], t).expect("set report");
        let m = h.read_control(0xa1, 0x01, 0x0311, 0, &mut buf, t).expect("get report");
        println!("set {} then get {:02x?}", n, &buf[..m]);
        println!("interrupt {:?}", h.read_interrupt(0x81, &mut buf, Duration::from_millis(200)));
        h.release_interface(0).expect("release");
    }
}
"#;

#[test]
fn a_rusb_program_runs_its_libusb_path_on_a_recorded_device() {
    let sb = Sandbox::new("rusb");
    let dir = sb.path("probe");
    fs::create_dir_all(dir.join("src")).expect("probe dir");
    fs::write(dir.join("Cargo.toml"), MANIFEST).expect("manifest");
    fs::write(dir.join("src/main.rs"), MAIN).expect("main");
    let lock = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    if lock.exists() {
        fs::copy(&lock, dir.join("Cargo.lock")).expect("lock copy");
    }
    let target = profile_dir()
        .parent()
        .expect("target dir")
        .join("rusb-probe");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = Command::new(&cargo)
        .args(["build", "--offline", "--quiet"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo");
    let stderr = String::from_utf8_lossy(&build.stderr);
    if !build.status.success() && (stderr.contains("offline") || stderr.contains("pkg-config")) {
        panic!("cannot build the rusb probe here (needs rusb in the cargo cache and libusb-1.0 pkg-config):\n{stderr} (scripts/install-deps.sh installs what this test needs)");
    }
    assert!(build.status.success(), "probe build failed:\n{stderr}");
    let exe = target.join("debug/rusb-probe");
    let log = sb.path("usb.log");
    let mut cmd = sb.command(
        exe.to_str().expect("path"),
        &corpus_hid().join("apc-back-ups-cs-500.txt"),
        None,
        &log,
    );
    cmd.env_remove("LD_PRELOAD");
    let r = run(cmd, &sb.dir, "probe", Duration::from_secs(30));
    assert!(
        r.status.is_some_and(|s| s.success()),
        "probe failed:\n{}{}",
        r.stdout,
        r.stderr
    );
    for want in [
        "devices 1",
        "device 051d:0002 bus 1 address 2",
        "interface 0 class 3 endpoints [81] extra [09, 21, 11, 01, 00, 01, 22, 76, 01]",
        "product \"Back-UPS 500 FW: 6.5.I USB FW: c1 \"",
        "report descriptor 374 bytes",
        "report [0c, 64, 00, 00, 14, 0a]",
        "set 4 then get [11, 14, 00, 00]",
        "interrupt Err(Timeout)",
    ] {
        assert!(
            r.stdout.contains(want),
            "missing '{want}' in:\n{}",
            r.stdout
        );
    }
    // The probe really went through the replay library, not a real libusb.
    let calls = fs::read_to_string(&log).unwrap_or_default();
    assert!(
        calls.contains("libusb_get_active_config_descriptor")
            || calls.contains("libusb_get_config_descriptor"),
        "{calls}"
    );
}
