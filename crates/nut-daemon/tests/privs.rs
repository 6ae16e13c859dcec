//! Dropping root for real: a child copy of this test binary calls
//! `privs::drop_to("nut")` and then checks every id and that root cannot be
//! regained. Needs root and the `nut` user (scripts/install-deps.sh makes
//! it; Debian's nut-client package does too). Dropping privileges cannot
//! be undone, so it happens in a child process, never in the test runner.

use std::process::Command;

use nix::unistd::{self, Gid, Uid};

const CHILD: &str = "NUT_PRIVS_TEST_CHILD";

/// The child's part: drop, then report what holds as `key=value` lines.
fn child() {
    let (uid, gid) = nut_daemon::privs::lookup_user("nut").expect("user nut");
    // Start from a state with extra groups, so initgroups is seen to replace them.
    unistd::setgroups(&[Gid::from_raw(0), Gid::from_raw(4242)]).expect("setgroups as root");
    nut_daemon::privs::drop_to("nut", None).expect("drop_to nut");
    let res = unistd::getresuid().expect("getresuid");
    let resg = unistd::getresgid().expect("getresgid");
    println!("\n@@uids={} {} {} want {uid}", res.real, res.effective, res.saved);
    println!("\n@@gids={} {} {} want {gid}", resg.real, resg.effective, resg.saved);
    let groups: Vec<u32> = unistd::getgroups().expect("getgroups").iter().map(|g| g.as_raw()).collect();
    println!("\n@@groups={groups:?}");
    println!("\n@@setuid0={}", unistd::setuid(Uid::from_raw(0)).is_ok());
    println!("\n@@seteuid0={}", unistd::seteuid(Uid::from_raw(0)).is_ok());
    println!("\n@@setgid0={}", unistd::setgid(Gid::from_raw(0)).is_ok());
    println!("\n@@setgroups0={}", unistd::setgroups(&[Gid::from_raw(0)]).is_ok());
    println!("\n@@is_root={}", nut_daemon::privs::is_root());
    // Dropping again as the unprivileged user is the documented no-op.
    println!("\n@@again={}", nut_daemon::privs::drop_to("nut", None).is_ok());
}

#[test]
fn drop_to_nut_cannot_regain_root() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    assert!(Uid::effective().is_root(), "this test must run as root (the project's test machines do)");
    let (uid, gid) = nut_daemon::privs::lookup_user("nut").expect("user nut: run scripts/install-deps.sh");
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new(exe)
        .args(["--exact", "drop_to_nut_cannot_regain_root", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .expect("run child");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {}\n{}", text, String::from_utf8_lossy(&out.stderr));
    let get = |key: &str| -> String {
        text.lines().find_map(|l| l.strip_prefix(&format!("@@{key}="))).unwrap_or_else(|| panic!("no {key} in:\n{text}")).to_string()
    };
    assert_eq!(get("uids"), format!("{uid} {uid} {uid} want {uid}"), "real, effective and saved uid");
    assert_eq!(get("gids"), format!("{gid} {gid} {gid} want {gid}"), "real, effective and saved gid");
    let groups = get("groups");
    assert!(!groups.contains("4242") && !groups.split(|c: char| !c.is_ascii_digit()).any(|g| g == "0"), "root's groups kept: {groups}");
    assert!(groups.contains(&gid.to_string()), "nut's own group missing: {groups}");
    for key in ["setuid0", "seteuid0", "setgid0", "setgroups0", "is_root"] {
        assert_eq!(get(key), "false", "{key} after dropping privileges");
    }
    assert_eq!(get("again"), "true");
}

#[test]
fn unknown_user_is_a_clear_error() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    if !Uid::effective().is_root() {
        // drop_to is a no-op for non-root, as in NUT: nothing to check here.
        assert!(nut_daemon::privs::drop_to("no-such-user-xyz", None).is_ok());
        return;
    }
    let e = nut_daemon::privs::drop_to("no-such-user-xyz", None).expect_err("unknown user");
    assert_eq!(e.to_string(), "user no-such-user-xyz not found");
    assert!(Uid::effective().is_root(), "a failed drop changed our ids");
}
