//! upsdrvctl with a scripted fake driver, compared with NUT 2.8.0's
//! /sbin/upsdrvctl when it is installed.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const OURS: &str = env!("CARGO_BIN_EXE_upsdrvctl");
const NUT: &str = "/sbin/upsdrvctl";

const FAKE: &str = r#"#!/bin/sh
echo "$(basename "$0") $*" >> "$FAKE_CALLS"
case "$*" in
  *"-a bad"*) exit 3 ;;
  *"-a slow"*) sleep 3; exit 0 ;;
  *"-a sig"*) kill -9 $$ ;;
esac
exit 0
"#;

struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new(tag: &str) -> Sandbox {
        let dir = std::env::temp_dir().join(format!("ctltest-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["etc", "state", "drv"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let fake = dir.join("drv/fakedrv");
        std::fs::write(&fake, FAKE).unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let conf = format!(
            "driverpath = {}\nmaxstartdelay = 1\nretrydelay = 1\nmaxretry = 2\n\
             [ok]\ndriver = fakedrv\nport = x\nsdorder = 3\n\
             [bad]\ndriver = fakedrv\nport = x\n\
             [slow]\ndriver = fakedrv\nport = /dev/slowport\nsdorder = -1\n\
             [sig]\ndriver = fakedrv\nport = x\nsdorder=1\n\
             [gone]\ndriver = nosuchdrv\nport = x\n",
            dir.join("drv").display()
        );
        std::fs::write(dir.join("etc/ups.conf"), conf).unwrap();
        Sandbox { dir }
    }

    fn run(&self, bin: &str, args: &[&str]) -> (Output, String) {
        let calls = self.dir.join("calls");
        let _ = std::fs::remove_file(&calls);
        let out = Command::new(bin)
            .args(args)
            .env("NUT_CONFPATH", self.dir.join("etc"))
            .env("NUT_STATEPATH", self.dir.join("state"))
            .env("NUT_ALTPIDPATH", self.dir.join("state"))
            .env("FAKE_CALLS", &calls)
            .env_remove("NUT_DEBUG_LEVEL")
            .output()
            .unwrap();
        let calls = std::fs::read_to_string(&calls).unwrap_or_default();
        (out, calls)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const CASES: &[&[&str]] = &[
    &[],
    &["-h"],
    &["-z"],
    &["foo"],
    &["start", "nosuch"],
    &["start", "ok"],
    &["-u", "nut", "-r", "/tmp", "start", "ok"],
    &["start", "bad"],
    &["start", "slow"],
    &["start", "sig"],
    &["shutdown"],
    &["shutdown", "bad"],
    &["stop", "ok"],
    &["stop", "slow"],
    &["start", "gone"],
    &["-t", "start", "ok"],
];

#[test]
fn behaves_like_nut() {
    let sb = Sandbox::new("cmp");
    for args in CASES {
        let (ours, ours_calls) = sb.run(OURS, args);
        assert!(text(&ours.stdout).starts_with("Network UPS Tools - UPS driver controller 2.8.0\n"));
        if !Path::new(NUT).exists() {
            continue;
        }
        let (nut, nut_calls) = sb.run(NUT, args);
        let ours_out = text(&ours.stdout).replace(OURS, "ARGV0");
        let nut_out = text(&nut.stdout).replace(NUT, "ARGV0");
        assert_eq!(ours.status.code(), nut.status.code(), "{args:?}: exit status");
        assert_eq!(ours_out, nut_out, "{args:?}: stdout");
        assert_eq!(ours_calls, nut_calls, "{args:?}: drivers run");
        if !args.contains(&"-t") {
            let ours_err = text(&ours.stderr).replace(OURS, "ARGV0");
            let nut_err = text(&nut.stderr).replace(NUT, "ARGV0");
            assert_eq!(ours_err, nut_err, "{args:?}: stderr");
        }
    }
}

#[test]
fn start_retries_and_reports() {
    let sb = Sandbox::new("own");
    let (out, calls) = sb.run(OURS, &["start"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "Driver failed to start (exit status=3)\nDriver failed to start (exit status=3)\n\
         Startup timer elapsed, continuing...\nStartup timer elapsed, continuing...\n\
         Driver exited abnormally\nDriver exited abnormally\n\
         Can't start "
            .to_string()
            + &sb.dir.join("drv/nosuchdrv").display().to_string()
            + ": No such file or directory\n"
    );
    assert_eq!(
        calls,
        "fakedrv -a ok\nfakedrv -a bad\nfakedrv -a bad\nfakedrv -a slow\nfakedrv -a slow\nfakedrv -a sig\nfakedrv -a sig\n"
    );
    let (_, calls) = sb.run(OURS, &["shutdown"]);
    assert_eq!(calls, "fakedrv -a bad -k\nfakedrv -a sig -k\nfakedrv -a ok -k\n");
}

#[test]
fn stop_signals_the_pid_file_owner() {
    let sb = Sandbox::new("stop");
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    std::fs::write(sb.dir.join("state/fakedrv-ok.pid"), format!("{}\n", child.id())).unwrap();
    let (out, _) = sb.run(OURS, &["stop", "ok"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let status = child.wait().unwrap();
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(15));
    // The pid file named after the port is the fallback.
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    std::fs::write(sb.dir.join("state/fakedrv-slowport.pid"), format!("{}\n", child.id())).unwrap();
    let (out, _) = sb.run(OURS, &["stop", "slow"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("Can't open"));
    let _ = child.wait();
}

#[test]
fn missing_ups_conf_sections() {
    let sb = Sandbox::new("empty");
    std::fs::write(sb.dir.join("etc/ups.conf"), "maxretry = 1\n").unwrap();
    let (out, _) = sb.run(OURS, &["start"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "Error: no UPS definitions found in ups.conf\n");
}
