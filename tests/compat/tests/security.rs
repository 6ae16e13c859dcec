//! Security properties of the running daemons (project issue #6, "Security"): upsd drops root
//! for the `nut` user after binding and keeps no way back; pid files and the driver socket get
//! safe modes even under umask 000; upsd warns about a world-readable upsd.users and about
//! well-known passwords, naming file:line.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use nut_testkit::{Impl, LineClient, Program, Sandbox};

/// `Uid:`, `Gid:` (real, effective, saved, fs) and `Groups:` of a process.
fn ids(pid: u32) -> (String, String, String) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    (field("Uid:"), field("Gid:"), field("Groups:"))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o7777
}

fn log_of(sb: &Sandbox, label: &str) -> String {
    let mut out = String::new();
    let mut names: Vec<_> = std::fs::read_dir(sb.log()).expect("log dir").flatten().map(|e| e.path()).collect();
    names.sort();
    for p in names {
        if p.file_name().is_some_and(|n| n.to_string_lossy().contains(label)) {
            out.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
        }
    }
    out
}

fn nut_ids() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    let line = passwd.lines().find(|l| l.starts_with("nut:")).expect("user nut (scripts/install-deps.sh)");
    let f: Vec<&str> = line.split(':').collect();
    (f[2].parse().expect("uid"), f[3].parse().expect("gid"))
}

struct BackgroundDriver(u32);

impl Drop for BackgroundDriver {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.0 as i32), nix::sys::signal::Signal::SIGTERM);
    }
}

/// Our dummy-ups and upsd started by root under umask 000, both with pid files (-FF).
#[test]
fn root_start_drops_privileges_with_safe_file_modes() {
    assert!(nix::unistd::Uid::effective().is_root(), "this test needs root (the test machines run as root)");
    let (uid, gid) = nut_ids();
    let mut sb = Sandbox::new();
    sb.write_etc("ups.dev", "ups.status: OL\nbattery.charge: 90\n");
    sb.write_ups_conf("[ups]\n\tdriver = dummy-ups\n\tport = ups.dev\n\tmode = dummy-once\n");
    sb.write_upsd_conf("");
    sb.write_upsd_users("[mon]\n\tpassword = secret\n\tupsmon primary\n[admin]\n\tpassword = Zq7-sec-test\n\tactions = SET\n");
    std::fs::set_permissions(sb.etc().join("upsd.users"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    // Make the run directory usable by the unprivileged user, as a package would.
    std::os::unix::fs::chown(sb.run(), Some(uid), Some(gid)).expect("chown run");

    fn umask0(sb: &Sandbox, prog: &Path, args: &str) -> std::process::Command {
        let mut c = sb.command("sh");
        c.args(["-c", &format!("umask 000; exec {} {args}", prog.display())]);
        c
    }
    // The driver goes to the background (drivers write their pid file only then);
    // the guard stops it by the pid in that file.
    let drv_cmd = umask0(&sb, &Impl::Ours.path(Program::DummyUps), "-a ups");
    let starter = sb.spawn("dummy-ups-ours", drv_cmd);
    let drv_pid = sb.run().join("dummy-ups-ups.pid");
    sb.wait_path(&drv_pid, None, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
    let drv = BackgroundDriver(std::fs::read_to_string(&drv_pid).expect("pid").trim().parse().expect("pid number"));
    let sock = sb.driver_socket("dummy-ups", "ups");
    sb.wait_path(&sock, None, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
    let _ = starter;
    let upsd_cmd = umask0(&sb, &Impl::Ours.path(Program::Upsd), "-FF");
    let upsd = sb.spawn("upsd-ours", upsd_cmd);
    sb.wait_port(Some(upsd), Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
    sb.wait_ups_ready("ups", Some(upsd)).unwrap_or_else(|e| panic!("{e}"));

    // upsd: every uid and gid is nut's, no supplementary group of root's.
    let (u, g, groups) = ids(sb.pid(upsd));
    assert_eq!(u, format!("{uid} {uid} {uid} {uid}"), "upsd Uid:");
    assert_eq!(g, format!("{gid} {gid} {gid} {gid}"), "upsd Gid:");
    assert!(groups.split(' ').all(|x| x != "0"), "upsd kept group 0: {groups}");
    // The driver drops to nut as well.
    let (u, _, _) = ids(drv.0);
    assert_eq!(u, format!("{uid} {uid} {uid} {uid}"), "dummy-ups Uid:");

    // Modes, whatever the umask.
    assert_eq!(mode(&sock), 0o660, "driver socket");
    let upsd_pid = sb.run().join("upsd.pid");
    sb.wait_path(&upsd_pid, Some(upsd), Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(mode(&upsd_pid), 0o644, "upsd.pid");
    assert_eq!(mode(&drv_pid), 0o644, "dummy-ups-ups.pid");
    for entry in std::fs::read_dir(sb.run()).expect("run dir").flatten() {
        let m = mode(&entry.path());
        assert_eq!(m & 0o002, 0, "{} is writable by others ({m:o})", entry.path().display());
    }

    // Warnings about upsd.users, with file:line for the password.
    let log = log_of(&sb, "upsd-ours");
    let users = sb.etc().join("upsd.users");
    assert!(log.contains(&format!("{} is world readable", users.display())), "{log}");
    assert!(
        log.contains(&format!("{}:2: the password of user [mon] is a well-known default", users.display())),
        "no well-known password warning:\n{log}"
    );
    assert!(!log.contains("[admin] is a well-known"), "{log}");
    let mut c = LineClient::connect(sb.port()).expect("connect");
    assert_eq!(c.request("GET VAR ups battery.charge").expect("reply"), "VAR ups battery.charge \"90\"\n");
}
