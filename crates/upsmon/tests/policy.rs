//! The NAS shutdown policies (our upsmon.conf extensions), end to end: our
//! dummy-ups plays a `.seq` power event, our upsd serves it, our upsmon
//! (`-p -F`, SHUTDOWNCMD only writes a marker file) decides. Then the same
//! policies through `upsmon --rehearse=<file.seq>`, which must reach the
//! same decision on its virtual clock without running SHUTDOWNCMD.
//!
//! Run `cargo build --workspace --bins` first: dummy-ups and upsd are
//! looked up in target/debug by nut-testkit.

use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use nut_testkit::{Impl, ProcId, Sandbox};

struct Outcome {
    notes: Vec<String>,
    /// Seconds from the ONBATT notification to SHUTDOWNCMD, when it ran.
    shutdown_after_onbatt: Option<f64>,
    log: String,
}

fn set_exec(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// NOTIFYCMD and SHUTDOWNCMD both stamp the time (ms since the epoch), so
/// the test can measure the policy on the wall clock of the run.
fn write_upsmon_conf(sb: &Sandbox, policy: &str) {
    let root = sb.root();
    let notify = root.join("notify.sh");
    std::fs::write(&notify, format!("#!/bin/sh\necho \"$(date +%s%3N) $NOTIFYTYPE $1\" >> {}/notes\n", root.display()))
        .expect("notify.sh");
    set_exec(&notify);
    let shutdown = root.join("shutdown.sh");
    std::fs::write(&shutdown, format!("#!/bin/sh\ndate +%s%3N > {}/shutdown-ran\n", root.display())).expect("shutdown.sh");
    set_exec(&shutdown);
    let mut conf = format!(
        "MONITOR ups@127.0.0.1:{port} 1 mon pass primary\nMINSUPPLIES 1\n\
         SHUTDOWNCMD \"{root}/shutdown.sh\"\nPOWERDOWNFLAG {root}/killpower\n\
         NOTIFYCMD {root}/notify.sh\nPOLLFREQ 1\nPOLLFREQALERT 1\nFINALDELAY 0\nHOSTSYNC 2\nDEADTIME 15\n",
        port = sb.port(),
        root = root.display()
    );
    for t in ["ONLINE", "ONBATT", "LOWBATT", "FSD", "SHUTDOWN", "COMMBAD", "COMMOK", "NOCOMM"] {
        conf.push_str(&format!("NOTIFYFLAG {t} SYSLOG+EXEC\n"));
    }
    conf.push_str(policy);
    sb.write_etc("upsmon.conf", &conf);
}

fn notes(root: &Path) -> Vec<String> {
    std::fs::read_to_string(root.join("notes")).unwrap_or_default().lines().map(str::to_string).collect()
}

fn stamp(line: &str) -> Option<u64> {
    line.split(' ').next()?.parse().ok()
}

/// Our whole stack on `seq` with `policy`; watch for `watch`, then report.
fn run(seq: &str, policy: &str, watch: Duration) -> Outcome {
    let mut sb = Sandbox::new();
    sb.write_etc("power.seq", seq);
    sb.write_ups_conf("[ups]\n\tdriver = dummy-ups\n\tport = power.seq\n\tpollinterval = 1\n");
    sb.write_upsd_users("[mon]\n\tpassword = pass\n\tupsmon primary\n");
    sb.write_upsd_conf("");
    write_upsmon_conf(&sb, policy);
    sb.start_dummy(Impl::Ours, "ups");
    sb.start_upsd(Impl::Ours);
    let mut cmd = sb.command(env!("CARGO_BIN_EXE_upsmon"));
    cmd.env("NUT_PIDPATH", sb.run()).args(["-p", "-F", "-D"]);
    let id: ProcId = sb.spawn("upsmon", cmd);
    let root = sb.root().to_path_buf();
    let deadline = Instant::now() + watch;
    while Instant::now() < deadline && !root.join("shutdown-ran").exists() {
        thread::sleep(Duration::from_millis(100));
    }
    // a shutdown run ends upsmon; give it a moment, then collect
    thread::sleep(Duration::from_millis(500));
    if sb.exited(id).is_none() {
        sb.stop(id);
    }
    let notes = notes(&root);
    let onbatt = notes.iter().find(|l| l.split(' ').nth(1) == Some("ONBATT")).and_then(|l| stamp(l));
    let shutdown = std::fs::read_to_string(root.join("shutdown-ran")).ok().and_then(|s| s.trim().parse::<u64>().ok());
    let shutdown_after_onbatt = match (onbatt, shutdown) {
        (Some(a), Some(b)) => Some((b as f64 - a as f64) / 1000.0),
        (None, Some(_)) => Some(f64::NAN),
        _ => None,
    };
    Outcome { notes, shutdown_after_onbatt, log: sb.logs() }
}

fn kinds(notes: &[String]) -> Vec<&str> {
    notes.iter().filter_map(|l| l.split(' ').nth(1)).collect()
}

#[test]
fn glitch_shorter_than_the_timer_does_not_shut_down() {
    // 4 s on battery, then power is back; the timer is 8 s.
    let seq = "ups.status: OL\nbattery.charge: 100\nTIMER 3\nups.status: OB DISCHRG\nbattery.charge: 95\nTIMER 4\n\
               ups.status: OL CHRG\nTIMER 600\n";
    let out = run(seq, "SHUTDOWNAFTER 8\nSHUTDOWNCHARGE 15\n", Duration::from_secs(22));
    assert_eq!(out.shutdown_after_onbatt, None, "a 4 s glitch must not shut down with SHUTDOWNAFTER 8\n{}", out.log);
    assert_eq!(kinds(&out.notes), vec!["ONBATT", "ONLINE"], "{:?}\n{}", out.notes, out.log);
}

#[test]
fn long_outage_shuts_down_at_the_timer() {
    // On battery for good, charge high: only the timer can decide.
    let seq = "ups.status: OL\nbattery.charge: 100\nTIMER 3\nups.status: OB DISCHRG\nbattery.charge: 90\nTIMER 600\n";
    let out = run(seq, "SHUTDOWNAFTER 6\nSHUTDOWNCHARGE 15\n", Duration::from_secs(40));
    let after = out.shutdown_after_onbatt.unwrap_or_else(|| panic!("no shutdown within 40 s\n{:?}\n{}", out.notes, out.log));
    eprintln!("timer: shutdown {after:.1} s after ONBATT; notes {:?}", out.notes);
    assert!((5.0..=12.0).contains(&after), "shut down {after:.1} s after ONBATT, timer is 6 s\n{}", out.log);
    assert_eq!(kinds(&out.notes), vec!["ONBATT", "SHUTDOWN"], "{:?}", out.notes);
    assert!(out.log.contains("policy: on battery for"), "the log says why\n{}", out.log);
}

#[test]
fn fast_draining_battery_shuts_down_at_the_floor_first() {
    // Timer 120 s, but the charge falls through the 15 % floor after ~6 s
    // while the UPS never raises LB.
    let seq = "ups.status: OL\nbattery.charge: 100\nTIMER 3\nups.status: OB DISCHRG\nbattery.charge: 60\nTIMER 3\n\
               battery.charge: 30\nTIMER 3\nbattery.charge: 12\nTIMER 600\n";
    let out = run(seq, "SHUTDOWNAFTER 120\nSHUTDOWNCHARGE 15\n", Duration::from_secs(40));
    let after = out.shutdown_after_onbatt.unwrap_or_else(|| panic!("no shutdown within 40 s\n{:?}\n{}", out.notes, out.log));
    eprintln!("floor: shutdown {after:.1} s after ONBATT; notes {:?}", out.notes);
    assert!(after < 30.0, "the floor must act long before the 120 s timer (took {after:.1} s)\n{}", out.log);
    assert!(out.log.contains("battery charge 12% at or below 15%"), "the log says why\n{}", out.log);
    assert!(!kinds(&out.notes).contains(&"LOWBATT"), "the UPS never reported LB: {:?}", out.notes);
}

/// The rehearsal walks the same policies on a virtual clock.
fn rehearse(seq: &str, policy: &str) -> (String, bool) {
    let sb = Sandbox::new();
    sb.write_etc("power.seq", seq);
    write_upsmon_conf(&sb, policy);
    let seq_path = sb.root().join("etc").join("power.seq");
    let out = Command::new(env!("CARGO_BIN_EXE_upsmon"))
        .arg(format!("--rehearse={}", seq_path.display()))
        .env("NUT_CONFPATH", sb.root().join("etc"))
        .env("NUT_PIDPATH", sb.run())
        .output()
        .expect("run upsmon --rehearse");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "upsmon --rehearse failed:\n{text}");
    (text, sb.root().join("shutdown-ran").exists())
}

#[test]
fn rehearsal_follows_the_policies_without_shutting_down() {
    let glitch = "ups.status: OL\nTIMER 10\nups.status: OB\nbattery.charge: 95\nTIMER 30\nups.status: OL\nTIMER 600\n";
    let (text, ran) = rehearse(glitch, "SHUTDOWNAFTER 60\n");
    assert!(!text.contains("would run SHUTDOWNCMD"), "a 30 s glitch with a 60 s timer:\n{text}");
    assert!(!ran);

    let outage = "ups.status: OL\nTIMER 10\nups.status: OB\nbattery.charge: 95\nTIMER 600\n";
    let (text, ran) = rehearse(outage, "SHUTDOWNAFTER 60\n");
    let line = text.lines().find(|l| l.contains("would run SHUTDOWNCMD")).unwrap_or_else(|| panic!("no shutdown:\n{text}"));
    let at: f64 = line
        .trim_start()
        .strip_prefix('[')
        .and_then(|l| l.split('s').next())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| panic!("no virtual time in {line:?}"));
    assert!((70.0..=80.0).contains(&at), "on battery at 10 s + 60 s timer, shutdown at {at} s:\n{text}");
    assert!(!ran, "SHUTDOWNCMD must not run in a rehearsal");

    let drain = "ups.status: OL\nTIMER 10\nups.status: OB\nbattery.charge: 50\nTIMER 20\nbattery.charge: 10\nTIMER 600\n";
    let (text, ran) = rehearse(drain, "SHUTDOWNAFTER 300\nSHUTDOWNCHARGE 15\n");
    let line = text.lines().find(|l| l.contains("would run SHUTDOWNCMD")).unwrap_or_else(|| panic!("no shutdown:\n{text}"));
    let at: f64 = line.trim_start()[1..].split('s').next().and_then(|t| t.trim().parse().ok()).unwrap_or(f64::NAN);
    assert!(at < 60.0, "the 15 % floor reached at 30 s must act before the 300 s timer, got {at} s:\n{text}");
    assert!(!ran);
}
