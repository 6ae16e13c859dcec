//! kill -9 and restart (project issue #6, "Limits and faults"), all with our programs:
//!
//! * upsd killed while our upsmon monitors it: upsmon reports COMMBAD and NOCOMM, then COMMOK
//!   after upsd is back, logs in again, and shuts nothing down (the UPS stayed on line power);
//! * dummy-ups killed: upsd stops serving its data, and serves it again once a new driver
//!   runs, which copes with the dead one's socket and pid file;
//! * upsmon's monitoring child killed: the root parent exits, and a new upsmon starts despite
//!   the pid file left behind; its root parent killed: the child reports NOPARENT and goes on
//!   monitoring until `upsmon -c stop`, then a new upsmon starts.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use nut_testkit::{Impl, LineClient, ProcId, Program, Sandbox};

const NOTES: &[&str] = &["ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN", "NOCOMM", "NOPARENT"];

/// ups.conf, upsd.users, upsmon.conf (POLLFREQ 1, NOCOMMWARNTIME 3, NOTIFYCMD appending to
/// `notes`, SHUTDOWNCMD touching `shutdown-ran`).
fn setup(sb: &Sandbox) {
    sb.write_etc("ups.dev", "ups.status: OL\nbattery.charge: 100\n");
    sb.write_ups_conf("[ups]\n\tdriver = dummy-ups\n\tport = ups.dev\n\tmode = dummy-once\n");
    sb.write_upsd_conf("");
    sb.write_upsd_users("[mon]\n\tpassword = Kx9-crash-test\n\tupsmon primary\n");
    let root = sb.root();
    let notify = root.join("notify.sh");
    std::fs::write(&notify, format!("#!/bin/sh\necho \"$NOTIFYTYPE $UPSNAME\" >> {}/notes\n", root.display())).expect("notify.sh");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&notify, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut conf = format!(
        "RUN_AS_USER root\nMONITOR ups@127.0.0.1:{port} 1 mon Kx9-crash-test primary\nMINSUPPLIES 1\n\
         SHUTDOWNCMD \"touch {root}/shutdown-ran\"\nPOWERDOWNFLAG {root}/killpower\nNOTIFYCMD {root}/notify.sh\n\
         POLLFREQ 1\nPOLLFREQALERT 1\nDEADTIME 5\nNOCOMMWARNTIME 3\nRBWARNTIME 3600\nFINALDELAY 0\n",
        port = sb.port(),
        root = root.display()
    );
    for t in NOTES {
        conf.push_str(&format!("NOTIFYFLAG {t} SYSLOG+EXEC\n"));
    }
    sb.write_etc("upsmon.conf", &conf);
}

fn notes(sb: &Sandbox) -> Vec<String> {
    std::fs::read_to_string(sb.root().join("notes")).unwrap_or_default().lines().map(str::to_string).collect()
}

/// A note `<type> ups@127.0.0.1:<port>` was written.
fn has_note(sb: &Sandbox, kind: &str) -> bool {
    notes(sb).iter().any(|l| l.starts_with(&format!("{kind} ups@")))
}

fn upsmon(sb: &mut Sandbox, args: &[&str]) -> ProcId {
    let mut c = sb.command(Impl::Ours.path(Program::Upsmon));
    c.env("NUT_PIDPATH", sb.run());
    c.args(args);
    sb.spawn("upsmon-ours", c)
}

/// Poll `f` for up to `limit`.
fn wait(sb: &mut Sandbox, what: &str, limit: Duration, f: impl Fn(&Sandbox) -> bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if f(sb) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what}: not within {limit:?}\nnotes: {:?}\n{}", notes(sb), sb.logs());
}

fn numlogins(port: u16) -> Option<String> {
    let mut c = LineClient::connect_with(port, Duration::from_secs(2)).ok()?;
    c.request("GET NUMLOGINS ups").ok()
}

fn logged_in(sb: &Sandbox) -> bool {
    numlogins(sb.port()).as_deref() == Some("NUMLOGINS ups 1\n")
}

fn gone(pid: i32) -> bool {
    if kill(Pid::from_raw(pid), None).is_err() {
        return true;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit_once(')').and_then(|(_, r)| r.split_whitespace().next()).is_some_and(|s| s == "Z")
}

fn pid_in(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn assert_no_shutdown(sb: &Sandbox) {
    assert!(!sb.root().join("shutdown-ran").exists(), "SHUTDOWNCMD ran on line power\nnotes: {:?}\n{}", notes(sb), sb.logs());
    assert!(!sb.root().join("killpower").exists(), "POWERDOWNFLAG written on line power");
    let n = notes(sb);
    assert!(!n.iter().any(|l| l.starts_with("SHUTDOWN") || l.starts_with("FSD") || l.starts_with("ONBATT")), "{n:?}");
}

#[test]
fn upsd_killed_and_restarted_under_upsmon() {
    let mut sb = Sandbox::new();
    setup(&sb);
    sb.start_dummy(Impl::Ours, "ups");
    let upsd = sb.start_upsd(Impl::Ours);
    sb.wait_ups_ready("ups", Some(upsd)).unwrap_or_else(|e| panic!("{e}"));
    let mon = upsmon(&mut sb, &["-p", "-F"]);
    wait(&mut sb, "upsmon logged in", Duration::from_secs(10), logged_in);

    sb.signal(upsd, Signal::SIGKILL);
    wait(&mut sb, "COMMBAD after kill -9 of upsd", Duration::from_secs(10), |sb| has_note(sb, "COMMBAD"));
    wait(&mut sb, "NOCOMM after NOCOMMWARNTIME", Duration::from_secs(15), |sb| has_note(sb, "NOCOMM"));
    assert!(sb.exited(mon).is_none(), "upsmon exited when upsd died\n{}", sb.logs());

    let upsd2 = sb.start_upsd(Impl::Ours);
    sb.wait_ups_ready("ups", Some(upsd2)).unwrap_or_else(|e| panic!("{e}"));
    wait(&mut sb, "COMMOK after restart", Duration::from_secs(15), |sb| has_note(sb, "COMMOK"));
    wait(&mut sb, "upsmon logged in again", Duration::from_secs(10), logged_in);
    let n = notes(&sb);
    let pos = |t: &str| n.iter().position(|l| l.starts_with(&format!("{t} ups@")));
    assert!(pos("COMMBAD") < pos("COMMOK"), "{n:?}");
    std::thread::sleep(Duration::from_secs(2));
    assert!(sb.exited(mon).is_none(), "upsmon exited\n{}", sb.logs());
    assert_no_shutdown(&sb);
}

#[test]
fn driver_killed_and_restarted() {
    let mut sb = Sandbox::new();
    setup(&sb);
    let start_bg = |sb: &mut Sandbox| {
        // In the background, as in service: the driver writes its pid file.
        let mut c = sb.command(Impl::Ours.path(Program::DummyUps));
        c.args(["-a", "ups"]);
        let out = sb.run_command(c, Duration::from_secs(15));
        assert!(out.success(), "dummy-ups did not start:\n{}", out.render());
    };
    let pidfile = sb.run().join("dummy-ups-ups.pid");
    let sock = sb.driver_socket("dummy-ups", "ups");
    // Whatever happens below, the background driver (the one running then) is stopped.
    let _stop = StopDriver(pidfile.clone());
    start_bg(&mut sb);
    let upsd = sb.start_upsd(Impl::Ours);
    sb.wait_ups_ready("ups", Some(upsd)).unwrap_or_else(|e| panic!("{e}"));
    let pid = pid_in(&pidfile).expect("driver pid file");
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    wait(&mut sb, "driver gone", Duration::from_secs(5), |_| gone(pid));
    assert!(pidfile.exists() && sock.exists(), "kill -9 should leave the pid file and the socket behind");
    let port = sb.port();
    let ask = move || LineClient::connect(port).ok().and_then(|mut c| c.request("GET VAR ups battery.charge").ok());
    wait(&mut sb, "upsd noticing the dead driver", Duration::from_secs(10), |_| {
        matches!(ask().as_deref(), Some("ERR DRIVER-NOT-CONNECTED\n") | Some("ERR DATA-STALE\n"))
    });
    start_bg(&mut sb);
    let pid2 = pid_in(&pidfile).expect("new pid file");
    assert_ne!(pid, pid2);
    wait(&mut sb, "data back after the driver restart", Duration::from_secs(10), |_| {
        ask().as_deref() == Some("VAR ups battery.charge \"100\"\n")
    });
    let log = sb.logs();
    assert!(!log.contains("Duplicate driver instance"), "the dead driver was taken for a live one:\n{log}");
    let _ = kill(Pid::from_raw(pid2), Signal::SIGTERM);
    wait(&mut sb, "driver stopped", Duration::from_secs(5), |_| gone(pid2));
}

/// Stops the driver named in a pid file when dropped (also when a test fails).
struct StopDriver(std::path::PathBuf);

impl Drop for StopDriver {
    fn drop(&mut self) {
        if let Some(pid) = pid_in(&self.0) {
            if !gone(pid) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
        }
    }
}

/// upsmon's privilege split: the child (pid file) and the root parent (the process we start).
#[test]
fn upsmon_child_or_parent_killed_then_restarted() {
    let mut sb = Sandbox::new();
    setup(&sb);
    sb.start_dummy(Impl::Ours, "ups");
    let upsd = sb.start_upsd(Impl::Ours);
    sb.wait_ups_ready("ups", Some(upsd)).unwrap_or_else(|e| panic!("{e}"));
    let pidfile = sb.run().join("upsmon.pid");

    // 1. kill -9 of the monitoring child: the parent exits; the pid file stays behind.
    let parent = upsmon(&mut sb, &["-F"]);
    wait(&mut sb, "upsmon logged in", Duration::from_secs(10), logged_in);
    let child = pid_in(&pidfile).expect("upsmon pid file");
    assert_ne!(child as u32, sb.pid(parent), "the pid file should name the monitoring child");
    let _ = kill(Pid::from_raw(child), Signal::SIGKILL);
    wait(&mut sb, "parent exiting after its child died", Duration::from_secs(10), |_| gone(child));
    let deadline = Instant::now() + Duration::from_secs(10);
    while sb.exited(parent).is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(sb.exited(parent).is_some(), "upsmon parent still running after its child was killed\n{}", sb.logs());
    assert_eq!(pid_in(&pidfile), Some(child), "stale pid file expected after kill -9");

    // A new upsmon starts despite the stale pid file.
    let parent2 = upsmon(&mut sb, &["-F"]);
    wait(&mut sb, "new upsmon logged in", Duration::from_secs(10), logged_in);
    let child2 = pid_in(&pidfile).expect("pid file");
    assert_ne!(child2, child);

    // 2. kill -9 of the root parent: the child says NOPARENT and goes on monitoring (as
    // NUT 2.8.0's does; it can no longer shut down), so `upsmon -c stop` is what ends it,
    // and then a new upsmon starts.
    sb.signal(parent2, Signal::SIGKILL);
    wait(&mut sb, "NOPARENT", Duration::from_secs(10), |sb| notes(sb).iter().any(|l| l.starts_with("NOPARENT")));
    assert!(!gone(child2), "the orphaned child exited");
    assert!(logged_in(&sb), "the orphaned child stopped monitoring");
    let mut stop = sb.command(Impl::Ours.path(Program::Upsmon));
    stop.env("NUT_PIDPATH", sb.run());
    stop.args(["-c", "stop"]);
    let out = sb.run_command(stop, Duration::from_secs(10));
    assert!(out.success(), "upsmon -c stop:\n{}", out.render());
    wait(&mut sb, "orphaned child stopped", Duration::from_secs(10), |_| gone(child2));
    wait(&mut sb, "login released", Duration::from_secs(5), |sb| numlogins(sb.port()).as_deref() == Some("NUMLOGINS ups 0\n"));

    let parent3 = upsmon(&mut sb, &["-F"]);
    wait(&mut sb, "third upsmon logged in", Duration::from_secs(10), logged_in);
    assert_no_shutdown(&sb);
    // Stop it the way an admin does, so its monitoring child (which the
    // sandbox does not track) does not outlive the test.
    let child3 = pid_in(&pidfile).expect("pid file");
    let mut stop = sb.command(Impl::Ours.path(Program::Upsmon));
    stop.env("NUT_PIDPATH", sb.run());
    stop.args(["-c", "stop"]);
    let out = sb.run_command(stop, Duration::from_secs(10));
    assert!(out.success(), "upsmon -c stop:\n{}", out.render());
    wait(&mut sb, "third upsmon stopped", Duration::from_secs(10), |_| gone(child3));
    let deadline = Instant::now() + Duration::from_secs(5);
    while sb.exited(parent3).is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(sb.exited(parent3).is_some(), "upsmon parent still running after upsmon -c stop\n{}", sb.logs());
}
