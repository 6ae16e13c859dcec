//! Every shipped example loads with zero diagnostics, and each builds the
//! monitor configuration it claims to.

use std::path::{Path, PathBuf};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../etc/examples")
}

fn load(rel: &str) -> nut_conf::upsmon::UpsmonConf {
    let path = examples().join(rel);
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let parsed = nut_conf::upsmon::parse(&text, &path);
    assert!(parsed.diagnostics.is_empty(), "{}: {:#?}", path.display(), parsed.diagnostics);
    assert!(parsed.value.check_power().is_ok());
    parsed.value
}

#[test]
fn standalone_nas() {
    let c = upsmon::config::monitor_config(&load("standalone-nas/upsmon.conf"), true);
    assert_eq!(c.ups.len(), 1);
    assert!(c.ups[0].primary);
    assert!(c.powerdownflag.is_some() && c.shutdowncmd.is_some());
    assert_eq!(c.policy.shutdown_after_on_battery.map(|d| d.as_secs()), Some(300));
    assert_eq!(c.policy.min_charge, Some(20));
    assert_eq!(c.policy.glitch_debounce.map(|d| d.as_secs()), Some(10));
}

#[test]
fn nas_primary_with_secondaries() {
    let c = upsmon::config::monitor_config(&load("nas-primary-with-secondaries/upsmon.conf"), true);
    assert!(c.ups[0].primary);
    assert_eq!(c.hostsync, 60);
    let path = examples().join("nas-primary-with-secondaries/upsd.users.snippet");
    let users = nut_conf::users::parse(&std::fs::read(&path).unwrap(), &path);
    assert!(users.diagnostics.is_empty(), "{:#?}", users.diagnostics);
}

#[test]
fn secondary_only() {
    let c = upsmon::config::monitor_config(&load("secondary-only/upsmon.conf"), true);
    assert!(!c.ups[0].primary);
    assert_eq!(c.ups[0].host, "nas.example.lan");
    assert!(c.powerdownflag.is_none());
    assert_eq!(c.policy, upsmon::Policy::default(), "a secondary here behaves exactly like NUT");
}
