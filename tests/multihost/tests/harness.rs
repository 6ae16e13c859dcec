//! The harness itself: namespaces, links, per-host pid dirs and teardown.

use std::path::Path;
use std::process::Command;

use multihost::netns::list_namespaces;
use multihost::{TopoSpec, Topology};

const STAMP: &str = env!("CARGO_BIN_EXE_mh-stamp");

fn alive(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    !stat.is_empty() && !stat.contains(") Z ")
}

fn root_ns_addresses() -> String {
    let out = Command::new("ip").args(["-4", "-o", "addr", "show"]).output().expect("ip addr");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Topology A comes up (three upsmons logged in through the bridge), every
/// host keeps its pid file in its own place, nothing of the test LAN is
/// visible in the machine's namespace, and dropping it leaves nothing behind.
#[test]
fn topology_comes_up_isolated_and_leaves_nothing_behind() {
    let topo = Topology::start(TopoSpec::a(), Path::new(STAMP));
    let names = topo.namespace_names();
    assert_eq!(names.len(), 3);
    for n in &names {
        assert!(n.starts_with(&format!("nutmh-{}-", std::process::id())), "{n}");
        assert!(list_namespaces().contains(n), "{n} missing from `ip netns list`");
    }
    assert_eq!(topo.numlogins("ups").unwrap(), 3);
    assert!(!root_ns_addresses().contains(" 10.200."), "a test address leaked into the machine's namespace");

    // our upsmon: pid file in its own sandbox (NUT_PIDPATH)
    let ours = topo.upsmon_pid("sec1");
    let ours_file = topo.sandbox("sec1").run().join("upsmon.pid");
    assert_eq!(std::fs::read_to_string(&ours_file).unwrap().trim(), ours.to_string());
    // NUT's upsmon: /run/nut/upsmon.pid inside its private mount namespace only
    let nut = topo.upsmon_pid("sec2");
    let private = std::fs::read_to_string(format!("/proc/{nut}/root/run/nut/upsmon.pid")).unwrap_or_default();
    assert_eq!(private.trim(), nut.to_string(), "NUT's upsmon pid file in its private /run/nut");
    let shared = std::fs::read_to_string("/run/nut/upsmon.pid").unwrap_or_default();
    assert_ne!(shared.trim(), nut.to_string(), "NUT's upsmon wrote the machine's /run/nut");
    let exe = std::fs::read_link(format!("/proc/{nut}/exe")).unwrap();
    let real = std::fs::canonicalize("/lib/nut/upsmon").unwrap();
    assert_eq!(exe, real, "the pid is NUT's upsmon itself (ip netns exec, unshare and sh all exec)");

    let pids = [topo.upsmon_pid("primary"), ours, nut, topo.upsd_pid()];
    drop(topo);
    for n in &names {
        assert!(!list_namespaces().contains(n), "{n} left behind");
    }
    for p in pids {
        assert!(!alive(p), "process {p} left running");
    }
}

/// `mh-stamp` appends one stamped line per call.
#[test]
fn stamp_appends_monotonic_lines() {
    let dir = std::env::temp_dir().join(format!("mh-stamp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("out");
    let before = multihost::mono_ns();
    for w in ["one", "two"] {
        let st = Command::new(STAMP).args([f.to_str().unwrap(), "host", w, "a b"]).status().unwrap();
        assert!(st.success());
    }
    let after = multihost::mono_ns();
    let text = std::fs::read_to_string(&f).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let mut last = before;
    for (l, w) in lines.iter().zip(["one", "two"]) {
        let parts: Vec<&str> = l.splitn(3, ' ').collect();
        assert_eq!(parts[0], "host");
        let t: u64 = parts[1].parse().unwrap();
        assert!(t >= last && t <= after, "{l}");
        last = t;
        assert_eq!(parts[2], format!("{w} a b"));
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// A namespace left by a harness process that is gone is swept; one of a
/// live process (here: ours) is not.
#[test]
fn stale_namespaces_of_dead_runs_are_swept() {
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = format!("nutmh-{dead}-0-primary");
    let live = format!("nutmh-{}-sweeptest-primary", std::process::id());
    for n in [&stale, &live] {
        multihost::netns::ip(&["netns", "add", n]).unwrap();
    }
    multihost::netns::sweep_stale();
    let now = list_namespaces();
    let _ = multihost::netns::ip(&["netns", "del", &live]);
    let _ = multihost::netns::ip(&["netns", "del", &stale]);
    assert!(!now.contains(&stale), "{stale} was not swept");
    assert!(now.contains(&live), "{live} of a live process was swept");
}
