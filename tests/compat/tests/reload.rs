//! Reloading upsd's configuration (SIGHUP and `upsd -c reload`): a broken file keeps the old
//! configuration running and says why (file:line or the file and the system error); a UPS
//! removed from ups.conf drops the clients logged in to it, as NUT 2.8.0 does (checked side
//! by side).

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use nut_testkit::{FakeDriver, FakeDriverBehaviour, Impl, LineClient, ProcId, Program, Sandbox};

const USERS: &str = "[mon]\n\tpassword = Rk4-reload-test\n\tupsmon primary\n";

fn dump(status: &str) -> Vec<String> {
    [format!("SETINFO ups.status \"{status}\""), "SETINFO driver.name \"fake\"".into(), "DATAOK".into(), "DUMPDONE".into()].to_vec()
}

fn ups_conf(names: &[&str]) -> String {
    names.iter().map(|n| format!("[{n}]\n\tdriver = dummy-ups\n\tport = {n}.dev\n")).collect()
}

struct Rig {
    sb: Sandbox,
    upsd: ProcId,
    _fakes: Vec<FakeDriver>,
    imp: Impl,
}

/// upsd of `imp` (with `args`) serving fake drivers for `all`; ups.conf lists `listed`.
fn rig(imp: Impl, all: &[&str], listed: &[&str], args: &[&str]) -> Rig {
    let mut sb = Sandbox::new();
    sb.write_ups_conf(&ups_conf(listed));
    sb.write_upsd_conf("");
    sb.write_upsd_users(USERS);
    let fakes = all
        .iter()
        .map(|n| FakeDriver::start(&sb.driver_socket("dummy-ups", n), FakeDriverBehaviour::Scripted { dump: dump("OL") }))
        .collect();
    let upsd = sb.try_start_upsd(imp, args).unwrap_or_else(|e| panic!("{imp} upsd did not start: {e}"));
    for n in listed {
        sb.wait_ups_ready(n, Some(upsd)).unwrap_or_else(|e| panic!("{e}"));
    }
    Rig { sb, upsd, _fakes: fakes, imp }
}

impl Rig {
    fn ask(&self, line: &str) -> String {
        let mut c = LineClient::connect(self.sb.port()).expect("connect");
        c.request(line).unwrap_or_else(|e| panic!("{} upsd: {line}: {e}", self.imp))
    }

    fn list_ups(&self) -> Vec<String> {
        let mut c = LineClient::connect(self.sb.port()).expect("connect");
        let reply = c.request("LIST UPS").expect("LIST UPS");
        // Sorted: NUT 2.8.0 lists a UPS added on reload first.
        let mut names: Vec<String> =
            reply.lines().filter_map(|l| l.strip_prefix("UPS ")).map(|l| l.split(' ').next().unwrap_or("").to_string()).collect();
        names.sort();
        names
    }

    /// Wait until `f` holds (up to 5 s); panics with upsd's log otherwise.
    fn until(&mut self, what: &str, f: impl Fn(&Rig) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if f(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{} upsd: {what} did not happen within 5 s\n{}", self.imp, self.sb.logs());
    }

    fn hup(&self) {
        self.sb.signal(self.upsd, Signal::SIGHUP);
    }

    fn log(&self) -> String {
        let mut out = String::new();
        let mut names: Vec<_> = std::fs::read_dir(self.sb.log()).expect("log dir").flatten().map(|e| e.path()).collect();
        names.sort();
        for p in names {
            if p.file_name().is_some_and(|n| n.to_string_lossy().contains("upsd-")) {
                out.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
        out
    }

    fn wait_log(&mut self, needle: &str) {
        self.until(&format!("log line {needle:?}"), |r| r.log().contains(needle));
    }
}

fn login(port: u16, ups: &str) -> LineClient {
    let mut c = LineClient::connect(port).expect("connect");
    assert_eq!(c.request("USERNAME mon").expect("reply"), "OK\n");
    assert_eq!(c.request("PASSWORD Rk4-reload-test").expect("reply"), "OK\n");
    assert_eq!(c.request(&format!("LOGIN {ups}")).expect("reply"), "OK\n");
    c
}

fn removed_ups_drops_its_logins(imp: Impl) {
    let mut r = rig(imp, &["keep", "gone"], &["keep", "gone"], &["-F"]);
    let port = r.sb.port();
    let mut on_gone = login(port, "gone");
    let mut on_keep = login(port, "keep");
    let mut plain = LineClient::connect(port).expect("connect");
    assert!(!plain.request("VER").expect("VER").is_empty());
    r.sb.write_ups_conf(&ups_conf(&["keep"]));
    r.hup();
    r.until("removing UPS gone", |r| r.list_ups() == ["keep"]);
    assert!(on_gone.is_closed(Duration::from_secs(5)), "{imp} upsd: the client logged in to the removed UPS is still connected");
    assert_eq!(on_keep.request("GET VAR keep ups.status").expect("reply"), "VAR keep ups.status \"OL\"\n", "{imp}");
    assert_eq!(plain.request("GET VAR gone ups.status").expect("reply"), "ERR UNKNOWN-UPS\n", "{imp}");
}

#[test]
fn removed_ups_drops_its_logins_ours() {
    removed_ups_drops_its_logins(Impl::Ours);
}

#[test]
fn removed_ups_drops_its_logins_nut() {
    removed_ups_drops_its_logins(Impl::Nut);
}

/// An error in upsd.conf: nothing of the reload is applied (not even a valid ups.conf change),
/// the log names upsd.conf and the line. Fixing the file and reloading again applies it all.
#[test]
fn broken_upsd_conf_keeps_the_old_configuration() {
    let mut r = rig(Impl::Ours, &["a", "b"], &["a"], &["-F"]);
    let port = r.sb.port();
    r.sb.write_upsd_conf("MAXAGE 20\nLISTEN 127.0.0.1 99999\n");
    r.sb.write_ups_conf(&ups_conf(&["a", "b"]));
    r.hup();
    r.wait_log("keeping the previous configuration");
    let log = r.log();
    assert!(log.contains("upsd.conf:3: "), "the error does not name upsd.conf:3:\n{log}");
    assert!(log.contains("99999"), "{log}");
    assert_eq!(r.list_ups(), ["a"], "a reload with a broken upsd.conf was applied in part");
    assert_eq!(r.ask("GET VAR a ups.status"), "VAR a ups.status \"OL\"\n");
    r.sb.write_upsd_conf("MAXAGE 20\n");
    r.hup();
    r.until("the fixed reload", |r| r.list_ups() == ["a", "b"]);
    assert!(r.sb.exited(r.upsd).is_none());
    let _ = port;
}

/// upsd.users that cannot be read on reload (here: it became a directory) keeps the old users,
/// so upsmon can still log in; NUT would drop every user. ups.conf gone keeps the old UPS list
/// (NUT 2.8.0 exits).
#[test]
fn unreadable_users_or_missing_ups_conf_keep_the_old_configuration() {
    let mut r = rig(Impl::Ours, &["a"], &["a"], &["-F"]);
    let port = r.sb.port();
    let users = r.sb.etc().join("upsd.users");
    std::fs::remove_file(&users).expect("rm upsd.users");
    std::fs::create_dir(&users).expect("mkdir upsd.users");
    r.hup();
    r.wait_log("upsd.users: Is a directory; keeping the previous configuration");
    let mut c = login(port, "a");
    assert_eq!(c.request("PRIMARY a").expect("reply"), "OK PRIMARY-GRANTED\n", "old users lost after a failed reload");
    std::fs::remove_dir(&users).expect("rmdir");
    std::fs::write(&users, USERS).expect("write users");
    std::fs::remove_file(r.sb.etc().join("ups.conf")).expect("rm ups.conf");
    r.hup();
    r.wait_log("ups.conf: No such file or directory; keeping the previous configuration");
    assert_eq!(r.ask("GET VAR a ups.status"), "VAR a ups.status \"OL\"\n");
    assert!(r.sb.exited(r.upsd).is_none(), "upsd exited");
}

/// `upsd -c reload` finds the running upsd through its pid file and reloads it.
fn control_reload(imp: Impl) {
    let mut r = rig(imp, &["a", "b"], &["a"], &["-FF"]);
    let pidfile = r.sb.run().join("upsd.pid");
    r.until("the pid file", |_| pidfile.exists());
    r.sb.write_ups_conf(&ups_conf(&["a", "b"]));
    let out = r.sb.run_path(&imp.path(Program::Upsd), &["-c", "reload"], Duration::from_secs(10));
    assert!(out.success(), "{imp} upsd -c reload failed:\n{}", out.render());
    r.until("UPS b after upsd -c reload", |r| r.list_ups() == ["a", "b"]);
}

#[test]
fn control_reload_ours() {
    control_reload(Impl::Ours);
}

#[test]
fn control_reload_nut() {
    control_reload(Impl::Nut);
}
/// The same faults under NUT 2.8.0, pinned so the difference stays true: NUT drops every user
/// when upsd.users cannot be read on reload, and exits when ups.conf is gone.
#[test]
fn unreadable_users_or_missing_ups_conf_under_nut() {
    let mut r = rig(Impl::Nut, &["a"], &["a"], &["-F"]);
    let users = r.sb.etc().join("upsd.users");
    std::fs::remove_file(&users).expect("rm upsd.users");
    std::fs::create_dir(&users).expect("mkdir upsd.users");
    r.hup();
    r.until("PRIMARY refused", |r| {
        let Ok(mut c) = LineClient::connect(r.sb.port()) else { return false };
        c.request("USERNAME mon").is_ok()
            && c.request("PASSWORD Rk4-reload-test").is_ok()
            && c.request("PRIMARY a").is_ok_and(|a| a == "ERR ACCESS-DENIED\n")
    });
    std::fs::remove_file(r.sb.etc().join("ups.conf")).expect("rm ups.conf");
    r.hup();
    r.until("NUT's upsd exiting", |r| r.log().contains("ups.conf: No such file or directory"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while r.sb.exited(r.upsd).is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(r.sb.exited(r.upsd).is_some_and(|st| !st.success()), "NUT 2.8.0's upsd no longer exits without ups.conf");
}
