//! `-k` (also what `upsdrvctl shutdown` runs): NUT 2.8.0's order
//! shutdown.return → shutdown.reboot → load.off.delay, exit 0 on the first
//! that works, `Shutdown failed!` and exit 1 when none does.

mod common;

use std::process::Command;

use common::*;

fn kill_power(capture: &str) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!("usbhid-k-{}-{capture}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cap = corpus_hid().join(format!("{capture}.txt"));
    std::fs::write(dir.join("ups.conf"), section(capture, &cap, &[])).unwrap();
    let out = Command::new(our_driver())
        .args(["-a", capture, "-k", "-D"])
        .env("NUT_CONFPATH", &dir)
        .env("NUT_STATEPATH", &dir)
        .env("NUT_ALTPIDPATH", &dir)
        .output()
        .expect("run driver");
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn kill_power_follows_nut_order() {
    let (code, err) = kill_power("eaton-3s-700");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("Initiating UPS shutdown") && err.contains("instcmd: shutdown.return"), "{err}");
    let (code, err) = kill_power("apc-back-ups-cs-500");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("instcmd: shutdown.reboot"), "the CS 500 has no delays, NUT falls back to shutdown.reboot: {err}");
    let (code, err) = kill_power("unknown-5131-2007");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("Shutdown failed!"), "{err}");
}
