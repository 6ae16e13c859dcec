//! The timer scenarios of upssched's manual, run with NUT 2.8.0's
//! /sbin/upssched and with ours on the same upssched.conf; CMDSCRIPT logs
//! its arguments, and the logs must match.
//!
//! NUT's timer daemon writes upssched.pid into /run/nut whatever the
//! environment says, so NUT runs under `unshare -m` with a private tmpfs
//! there (we are root in the test environment).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
enum Sched {
    Nut,
    Ours,
}

const CONF: &str = "CMDSCRIPT @DIR@/cmd.sh\nPIPEFN @DIR@/upssched.pipe\nLOCKFN @DIR@/upssched.lock\n\
AT ONBATT * START-TIMER onbatt 2\n\
AT ONLINE * CANCEL-TIMER onbatt online\n\
AT LOWBATT * EXECUTE lowbatt\n\
AT LOWBATT ups@other EXECUTE not-for-us\n\
AT COMMBAD * START-TIMER commbad 2\n\
AT COMMBAD * START-TIMER commbad-too 1\n\
AT COMMOK * CANCEL-TIMER commbad\n\
AT fsd * EXECUTE fsd-lowercase-type\n";

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("upssched-oracle-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let ds = d.display().to_string();
    std::fs::write(d.join("upssched.conf"), CONF.replace("@DIR@", &ds)).unwrap();
    let script = d.join("cmd.sh");
    std::fs::write(&script, format!("#!/bin/sh\necho \"$*\" >> {ds}/log\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

fn event(s: Sched, d: &Path, ntype: &str, ups: &str) -> std::process::Child {
    let mut c = match s {
        Sched::Nut => {
            let mut c = Command::new("unshare");
            c.args(["-m", "sh", "-c", "mount -t tmpfs none /run/nut 2>/dev/null; exec /sbin/upssched \"msg\""]);
            c
        }
        Sched::Ours => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_upssched"));
            c.arg("msg");
            c.env("NUT_PIDPATH", d);
            c
        }
    };
    c.env("NUT_CONFPATH", d).env("UPSNAME", ups).env("NOTIFYTYPE", ntype);
    c.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    c.spawn().expect("start upssched")
}

fn fire(s: Sched, d: &Path, ntype: &str) {
    let status = event(s, d, ntype, "ups@localhost").wait().unwrap();
    assert!(status.success(), "{s:?} upssched {ntype} failed");
}

fn log(d: &Path) -> Vec<String> {
    std::fs::read_to_string(d.join("log")).unwrap_or_default().lines().map(str::to_string).collect()
}

/// Run `script` for both implementations at once; return (nut, ours).
fn both(name: &str, script: fn(Sched, &Path)) -> (Vec<String>, Vec<String>) {
    let dn = dir(&format!("{name}-nut"));
    let dd = dir(&format!("{name}-ours"));
    let (a, b) = (dn.clone(), dd.clone());
    let t1 = thread::spawn(move || script(Sched::Nut, &a));
    let t2 = thread::spawn(move || script(Sched::Ours, &b));
    t1.join().unwrap();
    t2.join().unwrap();
    (log(&dn), log(&dd))
}

#[test]
fn timer_fires_after_its_delay() {
    let (nut, ours) = both("fire", |s, d| {
        fire(s, d, "ONBATT");
        thread::sleep(Duration::from_millis(800));
        assert!(log(d).is_empty(), "{s:?}: fired too early");
        thread::sleep(Duration::from_millis(3500));
    });
    assert_eq!(nut, vec!["onbatt"]);
    assert_eq!(ours, nut);
}

#[test]
fn cancel_stops_the_timer_and_skips_the_command() {
    let (nut, ours) = both("cancel", |s, d| {
        fire(s, d, "ONBATT");
        fire(s, d, "ONLINE");
        thread::sleep(Duration::from_secs(4));
    });
    assert!(nut.is_empty(), "{nut:?}");
    assert_eq!(ours, nut);
}

#[test]
fn cancel_without_timer_runs_its_command() {
    let (nut, ours) = both("cancel-cmd", |s, d| {
        fire(s, d, "ONLINE");
        thread::sleep(Duration::from_secs(2));
    });
    assert_eq!(nut, vec!["online"]);
    assert_eq!(ours, nut);
}

#[test]
fn cancel_without_command_and_without_daemon_does_nothing() {
    let (nut, ours) = both("cancel-none", |s, d| {
        fire(s, d, "COMMOK");
        thread::sleep(Duration::from_millis(500));
        assert!(!d.join("upssched.pipe").exists(), "{s:?} started a daemon for nothing");
    });
    assert!(nut.is_empty());
    assert_eq!(ours, nut);
}

#[test]
fn execute_runs_at_once_and_matches_ups_and_type() {
    let (nut, ours) = both("execute", |s, d| {
        fire(s, d, "LOWBATT");
        fire(s, d, "FSD");
        assert_eq!(log(d).len(), 2, "{s:?}: EXECUTE must run before upssched returns");
    });
    assert_eq!(nut, vec!["lowbatt", "fsd-lowercase-type"]);
    assert_eq!(ours, nut);
}

#[test]
fn duplicate_timers_both_fire() {
    let (nut, ours) = both("dup", |s, d| {
        fire(s, d, "ONBATT");
        thread::sleep(Duration::from_millis(500));
        fire(s, d, "ONBATT");
        thread::sleep(Duration::from_secs(4));
    });
    assert_eq!(nut, vec!["onbatt", "onbatt"]);
    assert_eq!(ours, nut);
}

#[test]
fn all_matching_lines_run_in_file_order() {
    let (nut, ours) = both("order", |s, d| {
        fire(s, d, "COMMBAD");
        thread::sleep(Duration::from_secs(4));
    });
    assert_eq!(nut, vec!["commbad-too", "commbad"]);
    assert_eq!(ours, nut);
}

#[test]
fn second_event_while_the_daemon_starts() {
    let (nut, ours) = both("race", |s, d| {
        let a = event(s, d, "ONBATT", "ups@localhost");
        let b = event(s, d, "COMMBAD", "ups@localhost");
        for mut c in [a, b] {
            assert!(c.wait().unwrap().success());
        }
        thread::sleep(Duration::from_secs(4));
    });
    let mut n = nut.clone();
    n.sort();
    let mut o = ours.clone();
    o.sort();
    assert_eq!(n, vec!["commbad", "commbad-too", "onbatt"], "{nut:?}");
    assert_eq!(o, n);
}

#[test]
fn daemon_exits_when_idle() {
    // ours only: NUT's takes the same ~15 s, which is too slow to race here
    let d = dir("idle-ours");
    fire(Sched::Ours, &d, "ONLINE");
    assert!(d.join("upssched.pipe").exists());
    let deadline = std::time::Instant::now() + Duration::from_secs(25);
    while d.join("upssched.pipe").exists() && std::time::Instant::now() < deadline {
        thread::sleep(Duration::from_millis(200));
    }
    assert!(!d.join("upssched.pipe").exists(), "the daemon should exit after ~15 idle seconds");
}

#[test]
fn no_environment_is_an_error() {
    for bin in ["/sbin/upssched", env!("CARGO_BIN_EXE_upssched")] {
        let out = Command::new(bin).env_remove("UPSNAME").env_remove("NOTIFYTYPE").arg("-h").output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{bin}");
        let err = String::from_utf8_lossy(&out.stdout);
        assert!(err.contains("Error: UPSNAME and NOTIFYTYPE must be set."), "{bin}: {err}");
        assert!(err.contains("This program should only be run from upsmon."), "{bin}: {err}");
    }
}
