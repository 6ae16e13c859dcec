//! Our upsmon beside NUT 2.8.0's, against the same NUT upsd + dummy-ups
//! playing the same `.seq` power events: the NOTIFYCMD stream, the
//! shutdown decision and the POWERDOWNFLAG must be the same.
//!
//! NUT 2.8.0's upsmon ignores NUT_PIDPATH and insists on /run/nut, so it
//! runs under `unshare -m` with a private tmpfs on /run/nut (we are root in
//! the test environment). Ours gets NUT_PIDPATH pointing into the sandbox.
//! Both run as `-p -F` (one root process, foreground).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use nut_testkit::{Impl, Sandbox};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mon {
    Nut,
    Ours,
}

struct Run {
    notes: Vec<String>,
    shutdown_ran: bool,
    flag: Option<String>,
    exit: Option<i32>,
}

const NOTIFY_TYPES: &[&str] =
    &["ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN", "REPLBATT", "NOCOMM"];

fn setup(sb: &Sandbox, seq: &str) {
    sb.write_etc("power.seq", seq);
    sb.write_ups_conf("[ups]\n\tdriver = dummy-ups\n\tport = power.seq\n\tpollinterval = 1\n\tdesc = \"test\"\n");
    sb.write_upsd_users("[mon]\n\tpassword = pass\n\tupsmon primary\n");
    sb.write_upsd_conf("");
    let root = sb.root();
    let notify = root.join("notify.sh");
    std::fs::write(&notify, format!("#!/bin/sh\necho \"$NOTIFYTYPE $UPSNAME $1\" >> {}/notes\n", root.display())).unwrap();
    set_exec(&notify);
    let mut conf = format!(
        "MONITOR ups@127.0.0.1:{port} 1 mon pass primary\nMINSUPPLIES 1\n\
         SHUTDOWNCMD \"touch {root}/shutdown-ran\"\nPOWERDOWNFLAG {root}/killpower\n\
         NOTIFYCMD {root}/notify.sh\nPOLLFREQ 1\nPOLLFREQALERT 1\nFINALDELAY 1\nHOSTSYNC 5\nDEADTIME 15\n",
        port = sb.port(),
        root = root.display()
    );
    for t in NOTIFY_TYPES {
        conf.push_str(&format!("NOTIFYFLAG {t} SYSLOG+EXEC\n"));
    }
    sb.write_etc("upsmon.conf", &conf);
}

fn set_exec(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn upsmon_command(sb: &Sandbox, mon: Mon) -> Command {
    match mon {
        Mon::Nut => {
            let mut c = sb.command("unshare");
            c.args(["-m", "sh", "-c", "mount -t tmpfs none /run/nut && exec /lib/nut/upsmon -p -F"]);
            c
        }
        Mon::Ours => {
            let mut c = sb.command(env!("CARGO_BIN_EXE_upsmon"));
            c.env("NUT_PIDPATH", sb.run());
            c.args(["-p", "-F"]);
            c
        }
    }
}

fn read_notes(root: &Path) -> Vec<String> {
    std::fs::read_to_string(root.join("notes"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Start server + driver + upsmon; `drive` may act while it runs and
/// returns when the scenario is over.
fn scenario(mon: Mon, seq: &str, drive: impl FnOnce(&mut Sandbox, nut_testkit::ProcId)) -> Run {
    let mut sb = Sandbox::new();
    setup(&sb, seq);
    sb.start_dummy(Impl::Nut, "ups");
    sb.start_upsd(Impl::Nut);
    let cmd = upsmon_command(&sb, mon);
    let id = sb.spawn(&format!("upsmon-{mon:?}"), cmd);
    drive(&mut sb, id);
    let exit = sb.exited(id).and_then(|s| s.code());
    if exit.is_none() {
        sb.stop(id);
    }
    let root: PathBuf = sb.root().to_path_buf();
    Run {
        notes: read_notes(&root),
        shutdown_ran: root.join("shutdown-ran").exists(),
        flag: std::fs::read_to_string(root.join("killpower")).ok(),
        exit,
    }
}

fn both(seq: &'static str, drive: fn(&mut Sandbox, nut_testkit::ProcId, Mon)) -> (Run, Run) {
    let nut = thread::spawn(move || scenario(Mon::Nut, seq, |sb, id| drive(sb, id, Mon::Nut)));
    let ours = thread::spawn(move || scenario(Mon::Ours, seq, |sb, id| drive(sb, id, Mon::Ours)));
    (nut.join().expect("nut run"), ours.join().expect("our run"))
}

fn wait_exit(sb: &mut Sandbox, id: nut_testkit::ProcId, limit: Duration) {
    let _ = sb.wait_for("upsmon to finish", None, limit, |s| s.root().join("shutdown-ran").exists().then_some(()));
    // give it a moment to exit after the command ran
    let deadline = Instant::now() + Duration::from_secs(5);
    while sb.exited(id).is_none() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
}

fn kinds(lines: &[String]) -> Vec<String> {
    lines.iter().map(|l| l.split(' ').next().unwrap_or("").to_string()).collect()
}

#[test]
fn power_cut_as_primary_matches_nut() {
    let seq = "ups.status: OL\nTIMER 4\nups.status: OB\nTIMER 4\nups.status: OB LB\nTIMER 600\n";
    let (nut, ours) = both(seq, |sb, id, _| wait_exit(sb, id, Duration::from_secs(60)));
    assert_eq!(kinds(&nut.notes), vec!["ONBATT", "LOWBATT", "SHUTDOWN"], "oracle: {:?}", nut.notes);
    assert_eq!(kinds(&ours.notes), kinds(&nut.notes), "ours {:?} vs nut {:?}", ours.notes, nut.notes);
    // same message texts, apart from the port in the UPS name
    for (o, n) in ours.notes.iter().zip(&nut.notes) {
        let norm = |s: &str| s.replace(|c: char| c.is_ascii_digit(), "");
        assert_eq!(norm(o), norm(n));
    }
    assert!(nut.shutdown_ran && ours.shutdown_ran);
    assert_eq!(nut.flag.as_deref(), Some("upsmon-shutdown-file"));
    assert_eq!(ours.flag, nut.flag);
    assert_eq!(ours.exit, nut.exit);
}

#[test]
fn short_glitch_does_not_shut_down() {
    let seq = "ups.status: OL\nTIMER 4\nups.status: OB\nTIMER 3\nups.status: OL\nTIMER 600\n";
    let (nut, ours) = both(seq, |sb, _id, _| {
        let _ = sb.wait_for("ONLINE", None, Duration::from_secs(40), |s| {
            read_notes(s.root()).iter().any(|l| l.starts_with("ONLINE")).then_some(())
        });
        thread::sleep(Duration::from_secs(3));
    });
    assert_eq!(kinds(&nut.notes), vec!["ONBATT", "ONLINE"], "oracle: {:?}", nut.notes);
    assert_eq!(kinds(&ours.notes), kinds(&nut.notes));
    assert!(!nut.shutdown_ran && !ours.shutdown_ran);
    assert_eq!(nut.exit, None, "NUT's upsmon still running");
    assert_eq!(ours.exit, None, "our upsmon still running");
}

#[test]
fn user_fsd_matches_nut() {
    let seq = "ups.status: OL\nTIMER 600\n";
    let (nut, ours) = both(seq, |sb, id, mon| {
        thread::sleep(Duration::from_secs(4));
        let status = match mon {
            Mon::Nut => {
                let pid = sb.pid(id).to_string();
                sb.command("/lib/nut/upsmon").args(["-c", "fsd", "-P", &pid]).status().unwrap()
            }
            Mon::Ours => {
                let mut c = sb.command(env!("CARGO_BIN_EXE_upsmon"));
                c.env("NUT_PIDPATH", sb.run()).args(["-c", "fsd"]);
                c.status().unwrap()
            }
        };
        assert!(status.success(), "{mon:?}: upsmon -c fsd failed");
        wait_exit(sb, id, Duration::from_secs(30));
    });
    assert_eq!(kinds(&nut.notes), vec!["SHUTDOWN"], "oracle: {:?}", nut.notes);
    assert_eq!(kinds(&ours.notes), kinds(&nut.notes));
    assert!(nut.shutdown_ran && ours.shutdown_ran);
    assert_eq!(ours.flag, nut.flag);
    assert_eq!(ours.exit, nut.exit);
}

/// Our default mode (no `-p`) as root: the monitoring child runs as the
/// `nut` user and the root parent runs SHUTDOWNCMD on the child's byte.
#[test]
fn split_mode_power_cut() {
    let seq = "ups.status: OL\nTIMER 3\nups.status: OB LB\nTIMER 600\n";
    let mut sb = Sandbox::new();
    setup(&sb, seq);
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(sb.root(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    }
    sb.start_dummy(Impl::Nut, "ups");
    sb.start_upsd(Impl::Nut);
    let mut c = sb.command(env!("CARGO_BIN_EXE_upsmon"));
    c.env("NUT_PIDPATH", sb.run()).arg("-F");
    let id = sb.spawn("upsmon-split", c);
    // the pid file holds the child's pid, and the child is not root
    let pidfile = sb.run().join("upsmon.pid");
    sb.wait_path(&pidfile, Some(id), Duration::from_secs(10)).unwrap();
    let child: u32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    assert_ne!(child, sb.pid(id), "the pid file names the monitoring child");
    let uid = |pid: u32| -> Option<String> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status.lines().find(|l| l.starts_with("Uid:")).map(str::to_string)
    };
    // the child writes the pid file as root, then drops privileges
    let dropped = sb.wait_for("the child to drop root", Some(id), Duration::from_secs(5), |_| {
        uid(child).filter(|l| !l.split_whitespace().skip(1).all(|u| u == "0"))
    });
    assert!(dropped.is_ok(), "child still root: {:?}", uid(child));
    wait_exit(&mut sb, id, Duration::from_secs(40));
    let root = sb.root().to_path_buf();
    assert!(root.join("shutdown-ran").exists(), "{}", sb.logs());
    assert_eq!(std::fs::read_to_string(root.join("killpower")).unwrap(), "upsmon-shutdown-file");
    let _ = sb.wait_for("three notes", None, Duration::from_secs(5), |s| (read_notes(s.root()).len() >= 3).then_some(()));
    assert_eq!(kinds(&read_notes(&root)), vec!["ONBATT", "LOWBATT", "SHUTDOWN"]);
    assert_eq!(sb.exited(id).and_then(|s| s.code()), Some(0), "the root parent exits 0");
}
