//! A primary and its secondaries, each a network namespace with its own
//! sandbox (config, state and pid dirs), running NUT's or our programs.
//!
//! The primary runs one dummy-ups per UPS (dummy-once `.dev` files the test
//! rewrites), upsd listening on its LAN address, and upsmon as primary; every
//! secondary runs upsmon as secondary against the primary's address. Every
//! upsmon runs `-p -F -D` (one root process, no privilege split). NUT
//! 2.8.0's upsmon ignores NUT_PIDPATH and writes `/run/nut/upsmon.pid`, so it
//! runs under `unshare -m` with a private tmpfs on /run/nut; ours gets
//! NUT_PIDPATH pointing into its sandbox.
//!
//! Every host's SHUTDOWNCMD and NOTIFYCMD append to files in one shared
//! results dir through `mh-stamp`, stamped with CLOCK_MONOTONIC.
//!
//! Dropping a [`Topology`] kills every process it started (by pid, through
//! the sandboxes) and then deletes its namespaces.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use nix::sys::signal::Signal;
use nut_testkit::{Impl, ProcId, Program, Sandbox};

use crate::mono_ns;
use crate::netns::{in_netns, Lan};
use crate::results::{read_notes, read_shutdowns, HostOutcome, Mark, Note, Outcome, Role};
use crate::wire::{numlogins, query, var_value};

/// upsd's port on the primary (each namespace has its own port space).
pub const PORT: u16 = 3493;

/// How long any single wait of the harness may take before the test fails.
pub const WAIT_LIMIT: Duration = Duration::from_secs(30);

/// The notification types every upsmon is told to EXEC (and not WALL).
pub const NOTIFY_TYPES: &[&str] =
    &["ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN", "REPLBATT", "NOCOMM", "NOPARENT"];

/// upsmon.conf timings, shared by every host of a topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    pub pollfreq: u32,
    pub pollfreqalert: u32,
    pub hostsync: u32,
    pub deadtime: u32,
    pub finaldelay: u32,
    pub nocommwarntime: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { pollfreq: 1, pollfreqalert: 1, hostsync: 5, deadtime: 3, finaldelay: 0, nocommwarntime: 10 }
    }
}

/// Which implementation runs where.
#[derive(Debug, Clone)]
pub struct TopoSpec {
    /// "A", "B", ...
    pub label: String,
    /// dummy-ups and upsd on the primary.
    pub server: Impl,
    /// upsmon on the primary.
    pub primary: Impl,
    /// upsmon on each secondary (`sec1`, `sec2`, ...).
    pub secondaries: Vec<Impl>,
    /// UPS names on the primary's upsd; every host monitors each with power value 1.
    pub upses: Vec<String>,
    pub minsupplies: u32,
    pub timing: Timing,
}

impl TopoSpec {
    /// (A): our dummy-ups + upsd + upsmon on the primary; secondaries: ours, NUT's.
    pub fn a() -> TopoSpec {
        TopoSpec {
            label: "A".into(),
            server: Impl::Ours,
            primary: Impl::Ours,
            secondaries: vec![Impl::Ours, Impl::Nut],
            upses: vec!["ups".into()],
            minsupplies: 1,
            timing: Timing::default(),
        }
    }

    /// (B): NUT's dummy-ups + upsd + upsmon on the primary; both secondaries ours.
    pub fn b() -> TopoSpec {
        TopoSpec {
            label: "B".into(),
            server: Impl::Nut,
            primary: Impl::Nut,
            secondaries: vec![Impl::Ours, Impl::Ours],
            ..TopoSpec::a()
        }
    }

    pub fn with_upses(mut self, names: &[&str]) -> TopoSpec {
        self.upses = names.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn with_minsupplies(mut self, n: u32) -> TopoSpec {
        self.minsupplies = n;
        self
    }

    fn describe(&self) -> String {
        let secs: Vec<String> = self.secondaries.iter().map(|i| i.to_string()).collect();
        format!(
            "{}: dummy-ups+upsd {}, primary upsmon {}, secondary upsmons {}",
            self.label,
            self.server,
            self.primary,
            secs.join(", ")
        )
    }
}

struct Host {
    name: String,
    role: Role,
    upsmon: Impl,
    sb: Sandbox,
    mon: Option<ProcId>,
    upsd: Option<ProcId>,
}

/// A running topology. See the module docs.
pub struct Topology {
    // Field order is drop order: connections and processes first, then the namespaces.
    held: Vec<TcpStream>,
    hosts: Vec<Host>,
    lan: Lan,
    pub spec: TopoSpec,
    results: PathBuf,
    start: u64,
    marks: Vec<Mark>,
    last_mtime: SystemTime,
}

fn mkdtemp(prefix: &str) -> PathBuf {
    nix::unistd::mkdtemp(format!("/tmp/{prefix}.XXXXXX").as_str()).expect("mkdtemp under /tmp")
}

fn write_exec(path: &Path, text: &str) {
    fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod script");
}

/// Deadline-bounded poll loop.
pub fn wait_until<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> Result<T, String> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out after {limit:?} waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Topology {
    /// Build the LAN, write every host's config, start the primary's drivers
    /// and upsd, then every upsmon, and wait until each upsmon has logged in
    /// to every UPS. `stamp` is the `mh-stamp` binary.
    pub fn start(spec: TopoSpec, stamp: &Path) -> Topology {
        let mut names = vec!["primary".to_string()];
        names.extend((1..=spec.secondaries.len()).map(|k| format!("sec{k}")));
        let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let lan = Lan::create(&name_refs);
        let results = mkdtemp("nutmh");
        fs::set_permissions(&results, fs::Permissions::from_mode(0o777)).expect("chmod results dir");

        let mut hosts = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let (role, upsmon) = if i == 0 { (Role::Primary, spec.primary) } else { (Role::Secondary, spec.secondaries[i - 1]) };
            hosts.push(Host { name: name.clone(), role, upsmon, sb: Sandbox::new(), mon: None, upsd: None });
        }
        let mut topo = Topology {
            held: Vec::new(),
            hosts,
            lan,
            spec,
            results,
            start: mono_ns(),
            marks: Vec::new(),
            last_mtime: SystemTime::now(),
        };
        for i in 0..topo.hosts.len() {
            topo.write_host_config(i, stamp);
        }
        topo.start_server();
        for i in 0..topo.hosts.len() {
            topo.start_upsmon(i);
        }
        let all = topo.hosts.len() as u32;
        if let Err(e) = topo.wait_logins(all) {
            // what upsd says to a login of our own, for the failure message
            let ups = topo.spec.upses[0].clone();
            let probe = topo.ask(&["USERNAME sec".into(), "PASSWORD pass".into(), format!("LOGIN {ups}")]);
            topo.fail(&format!("{e}\nprobe USERNAME sec / PASSWORD pass / LOGIN {ups}: {probe:?}"));
        }
        topo.start = mono_ns();
        topo
    }

    fn ns(&self, host: usize) -> String {
        self.lan.ns(host).name().to_string()
    }

    fn primary_addr(&self) -> String {
        self.lan.addr(0).to_string()
    }

    /// Index of a host by name (`primary`, `sec1`, ...).
    pub fn index(&self, name: &str) -> usize {
        self.hosts.iter().position(|h| h.name == name).unwrap_or_else(|| panic!("no host {name}"))
    }

    pub fn notes_path(&self) -> PathBuf {
        self.results.join("notes")
    }

    pub fn shutdowns_path(&self) -> PathBuf {
        self.results.join("shutdowns")
    }

    /// The sandbox of a host (for inspection in harness tests).
    pub fn sandbox(&self, name: &str) -> &Sandbox {
        &self.hosts[self.index(name)].sb
    }

    /// Pid of a host's upsmon.
    pub fn upsmon_pid(&self, name: &str) -> u32 {
        let h = &self.hosts[self.index(name)];
        h.sb.pid(h.mon.expect("upsmon started"))
    }

    /// Pid of the primary's upsd.
    pub fn upsd_pid(&self) -> u32 {
        self.hosts[0].sb.pid(self.hosts[0].upsd.expect("upsd started"))
    }

    pub fn namespace_names(&self) -> Vec<String> {
        self.lan.namespace_names()
    }

    fn write_host_config(&mut self, i: usize, stamp: &Path) {
        let addr = self.primary_addr();
        let t = self.spec.timing.clone();
        let h = &self.hosts[i];
        let sb = &h.sb;
        let root = sb.root().to_path_buf();
        let res = self.results.display().to_string();
        let stamp = stamp.display();
        let name = &h.name;
        write_exec(
            &root.join("notify.sh"),
            &format!("#!/bin/sh\nexec {stamp} {res}/notes {name} \"$NOTIFYTYPE\" \"${{UPSNAME:--}}\" \"$1\"\n"),
        );
        write_exec(&root.join("shutdown.sh"), &format!("#!/bin/sh\nexec {stamp} {res}/shutdowns {name}\n"));
        // upsmon runs `wall` from PATH: catch it here instead of writing on
        // every terminal of the machine
        fs::create_dir_all(root.join("bin")).expect("mkdir bin");
        write_exec(&root.join("bin/wall"), &format!("#!/bin/sh\ncat >> {}/wall.log\n", root.display()));
        let (user, role) = match h.role {
            Role::Primary => ("mon", "primary"),
            Role::Secondary => ("sec", "secondary"),
        };
        let mut conf = String::new();
        for ups in &self.spec.upses {
            conf.push_str(&format!("MONITOR {ups}@{addr} 1 {user} pass {role}\n"));
        }
        conf.push_str(&format!(
            "MINSUPPLIES {}\nSHUTDOWNCMD \"{r}/shutdown.sh\"\nNOTIFYCMD \"{r}/notify.sh\"\nPOWERDOWNFLAG {r}/killpower\n\
             POLLFREQ {}\nPOLLFREQALERT {}\nHOSTSYNC {}\nDEADTIME {}\nFINALDELAY {}\nNOCOMMWARNTIME {}\n",
            self.spec.minsupplies,
            t.pollfreq,
            t.pollfreqalert,
            t.hostsync,
            t.deadtime,
            t.finaldelay,
            t.nocommwarntime,
            r = root.display()
        ));
        for ty in NOTIFY_TYPES {
            conf.push_str(&format!("NOTIFYFLAG {ty} SYSLOG+EXEC\n"));
        }
        sb.write_etc("upsmon.conf", &conf);
        if h.role == Role::Primary {
            let mut ups_conf = String::new();
            for ups in &self.spec.upses {
                ups_conf.push_str(&format!(
                    "[{ups}]\n\tdriver = dummy-ups\n\tport = {ups}.dev\n\tpollinterval = 1\n\tdesc = \"multihost\"\n"
                ));
                sb.write_etc(&format!("{ups}.dev"), &dev_file("OL"));
            }
            sb.write_ups_conf(&ups_conf);
            sb.write_etc("upsd.conf", &format!("LISTEN {addr} {PORT}\n"));
            sb.write_upsd_users(
                "[mon]\n\tpassword = pass\n\tupsmon primary\n[sec]\n\tpassword = pass\n\tupsmon secondary\n",
            );
        }
    }

    /// `ip netns exec <ns> <program> <args>` with the host's sandbox environment.
    fn ns_command(&self, host: usize, program: &Path, args: &[&str]) -> Command {
        let mut c = self.hosts[host].sb.command("ip");
        c.args(["netns", "exec", &self.ns(host)]).arg(program).args(args);
        c
    }

    fn start_server(&mut self) {
        let imp = self.spec.server;
        let dummy = imp.path(Program::DummyUps);
        for ups in self.spec.upses.clone() {
            let cmd = self.ns_command(0, &dummy, &["-a", &ups, "-F"]);
            let sb = &mut self.hosts[0].sb;
            let id = sb.spawn(&format!("dummy-ups-{imp}-{ups}"), cmd);
            let sock = sb.driver_socket("dummy-ups", &ups);
            if let Err(e) = sb.wait_path(&sock, Some(id), WAIT_LIMIT) {
                self.fail(&e);
            }
        }
        let cmd = self.ns_command(0, &imp.path(Program::Upsd), &["-F"]);
        let id = self.hosts[0].sb.spawn(&format!("upsd-{imp}"), cmd);
        self.hosts[0].upsd = Some(id);
        for ups in self.spec.upses.clone() {
            let r = self.wait_status(&ups, |s| s != "WAIT");
            if let Err(e) = r {
                self.fail(&e);
            }
        }
    }

    fn start_upsmon(&mut self, i: usize) {
        let imp = self.hosts[i].upsmon;
        let mut cmd = match imp {
            Impl::Nut => {
                let script = format!(
                    "mount -t tmpfs -o mode=0770 tmpfs /run/nut && exec {} -p -F -D",
                    Program::Upsmon.nut_path()
                );
                self.ns_command(i, Path::new("unshare"), &["-m", "sh", "-c", &script])
            }
            Impl::Ours => self.ns_command(i, &Impl::Ours.path(Program::Upsmon), &["-p", "-F", "-D"]),
        };
        let run = self.hosts[i].sb.run();
        cmd.env("NUT_PIDPATH", run);
        let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".into());
        cmd.env("PATH", format!("{}/bin:{path}", self.hosts[i].sb.root().display()));
        let label = format!("upsmon-{imp}-{}", self.hosts[i].name);
        let id = self.hosts[i].sb.spawn(&label, cmd);
        self.hosts[i].mon = Some(id);
    }

    /// Fail the test with every host's logs.
    fn fail(&self, msg: &str) -> ! {
        let mut s = format!("[{}] {msg}\n", self.spec.describe());
        for h in &self.hosts {
            s.push_str(&format!("===== host {} ({})\n{}", h.name, self.lan.ns(self.index(&h.name)).name(), h.sb.logs()));
        }
        panic!("{s}");
    }

    /// Ask the primary's upsd, from inside the primary's namespace.
    pub fn ask(&self, requests: &[String]) -> Result<Vec<String>, String> {
        query(&self.ns(0), self.lan.addr(0), PORT, requests)
    }

    /// Wait until upsd serves a status for `ups` that satisfies `ok`.
    pub fn wait_status(&self, ups: &str, ok: impl Fn(&str) -> bool) -> Result<String, String> {
        let req = vec![format!("GET VAR {ups} ups.status")];
        let mut last = String::new();
        wait_until(&format!("upsd to serve the wanted ups.status of {ups}"), WAIT_LIMIT, || {
            match self.ask(&req) {
                Ok(r) => {
                    last = r[0].clone();
                    var_value(&r[0]).filter(|s| ok(s))
                }
                Err(e) => {
                    last = e;
                    None
                }
            }
        })
        .map_err(|e| format!("{e} (last answer: {last})"))
    }

    /// NUMLOGINS of `ups` on the primary's upsd.
    pub fn numlogins(&self, ups: &str) -> Result<u32, String> {
        let r = self.ask(&[format!("GET NUMLOGINS {ups}")])?;
        numlogins(&r[0]).ok_or_else(|| format!("unexpected reply {:?}", r[0]))
    }

    fn wait_logins(&mut self, n: u32) -> Result<(), String> {
        for ups in self.spec.upses.clone() {
            let mut last = String::new();
            let r = wait_until(&format!("{n} upsmon logins on {ups}"), WAIT_LIMIT, || {
                for h in self.hosts.iter_mut() {
                    if let Some(id) = h.mon {
                        if let Some(st) = h.sb.exited(id) {
                            last = format!("upsmon on {} exited early: {st}", h.name);
                            return Some(false);
                        }
                    }
                }
                match self.numlogins(&ups) {
                    Ok(k) if k >= n => Some(true),
                    Ok(k) => {
                        last = format!("NUMLOGINS {k}");
                        None
                    }
                    Err(e) => {
                        last = e;
                        None
                    }
                }
            });
            match r {
                Ok(true) => {}
                Ok(false) => return Err(last),
                Err(e) => return Err(format!("{e} (last: {last})")),
            }
        }
        Ok(())
    }

    /// Record a phase boundary (something the test did).
    pub fn mark(&mut self, label: &str) {
        self.marks.push(Mark { label: label.to_string(), at: mono_ns() });
    }

    /// Rewrite `<ups>.dev` (dummy-once) with `ups.status: <status>`. Each
    /// rewrite gets an mtime whole seconds past the previous one: NUT's
    /// dummy-ups compares mtimes in whole seconds.
    pub fn set_status(&mut self, ups: &str, status: &str) {
        self.mark(&format!("{ups}: {status}"));
        let etc = self.hosts[0].sb.etc();
        let tmp = etc.join(format!(".{ups}.dev.new"));
        fs::write(&tmp, dev_file(status)).expect("write .dev");
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644)).expect("chmod .dev");
        let now = SystemTime::now();
        let next = std::cmp::max(now, self.last_mtime + Duration::from_secs(1)) + Duration::from_secs(1);
        fs::File::options().write(true).open(&tmp).and_then(|f| f.set_modified(next)).expect("set mtime");
        self.last_mtime = next;
        fs::rename(&tmp, etc.join(format!("{ups}.dev"))).expect("rename .dev");
    }

    /// Current notes of every host.
    pub fn notes(&self) -> Vec<Note> {
        read_notes(&self.notes_path())
    }

    /// Wait until each host in `hosts` has a note of `kind` (for `ups`, if
    /// given) stamped after the last mark.
    pub fn wait_notes(&self, kind: &str, ups: Option<&str>, hosts: &[&str]) {
        let since = self.marks.last().map_or(self.start, |m| m.at);
        let want = |n: &Note, h: &str| {
            n.host == h && n.kind == kind && n.at >= since && ups.iter().all(|u| n.ups.starts_with(&format!("{u}@")))
        };
        let r = wait_until(&format!("{kind} notifications on {hosts:?}"), WAIT_LIMIT, || {
            let notes = self.notes();
            hosts.iter().all(|h| notes.iter().any(|n| want(n, h))).then_some(())
        });
        if let Err(e) = r {
            self.fail(&format!("{e}\nnotes so far:\n{}", fs::read_to_string(self.notes_path()).unwrap_or_default()));
        }
    }

    /// Wait until every host in `hosts` has run SHUTDOWNCMD.
    pub fn wait_shutdowns(&self, hosts: &[&str], limit: Duration) {
        let r = wait_until(&format!("SHUTDOWNCMD on {hosts:?}"), limit, || {
            let done = read_shutdowns(&self.shutdowns_path());
            hosts.iter().all(|h| done.iter().any(|(d, _)| d == h)).then_some(())
        });
        if let Err(e) = r {
            self.fail(&format!(
                "{e}\nshutdowns: {:?}\nnotes:\n{}",
                read_shutdowns(&self.shutdowns_path()),
                fs::read_to_string(self.notes_path()).unwrap_or_default()
            ));
        }
    }

    /// Kill the primary's upsd (SIGKILL, as a crash) and reap it.
    pub fn kill_upsd(&mut self) {
        self.mark("upsd killed");
        let id = self.hosts[0].upsd.expect("upsd started");
        let sb = &mut self.hosts[0].sb;
        sb.signal(id, Signal::SIGKILL);
        if let Err(e) = wait_until("upsd to die", Duration::from_secs(5), || sb.exited(id)) {
            self.fail(&e);
        }
    }

    /// Start the primary's upsd again (after [`Topology::kill_upsd`]) and
    /// wait until it serves every UPS.
    pub fn restart_upsd(&mut self) {
        self.mark("upsd restarted");
        let imp = self.spec.server;
        let cmd = self.ns_command(0, &imp.path(Program::Upsd), &["-F"]);
        let id = self.hosts[0].sb.spawn(&format!("upsd-{imp}-again"), cmd);
        self.hosts[0].upsd = Some(id);
        for ups in self.spec.upses.clone() {
            if let Err(e) = self.wait_status(&ups, |s| s != "WAIT") {
                self.fail(&e);
            }
        }
    }

    /// Wait until `n` clients are logged in to every UPS again.
    pub fn wait_relogins(&mut self, n: u32) {
        if let Err(e) = self.wait_logins(n) {
            self.fail(&e);
        }
    }

    /// From inside host `from`, log in to `ups` on the primary's upsd as the
    /// secondary user and stay connected without ever logging out: a
    /// secondary the primary has to wait HOSTSYNC for.
    pub fn hold_login(&mut self, from: &str, ups: &str) {
        self.mark(&format!("raw LOGIN {ups} from {from}, never logs out"));
        let to = SocketAddr::from((self.lan.addr(0), PORT));
        let ups = ups.to_string();
        let r = in_netns(&self.ns(self.index(from)), move || -> Result<TcpStream, String> {
            let s = TcpStream::connect_timeout(&to, Duration::from_secs(2)).map_err(|e| format!("connect {to}: {e}"))?;
            s.set_read_timeout(Some(Duration::from_secs(3))).map_err(|e| e.to_string())?;
            let mut reader = BufReader::new(s.try_clone().map_err(|e| e.to_string())?);
            let mut w = s.try_clone().map_err(|e| e.to_string())?;
            for req in ["USERNAME sec".to_string(), "PASSWORD pass".to_string(), format!("LOGIN {ups}")] {
                w.write_all(format!("{req}\n").as_bytes()).map_err(|e| e.to_string())?;
                let mut line = String::new();
                reader.read_line(&mut line).map_err(|e| e.to_string())?;
                if !line.starts_with("OK") {
                    return Err(format!("{req} -> {line:?}"));
                }
            }
            Ok(s)
        });
        match r {
            Ok(Ok(s)) => self.held.push(s),
            Ok(Err(e)) | Err(e) => self.fail(&format!("raw login from {from}: {e}")),
        }
    }

    /// Take a secondary off the LAN: its link goes down, so its open
    /// connection to upsd neither closes nor answers (no FIN, no RST).
    pub fn unplug(&mut self, name: &str) {
        self.mark(&format!("{name} unplugged"));
        let i = self.index(name);
        assert!(i > 0, "unplug a secondary");
        if let Err(e) = crate::netns::ip(&["-n", &self.ns(i), "link", "set", "eth0", "down"]) {
            self.fail(&e);
        }
    }

    /// SIGSTOP a host's upsmon: it stays logged in and never answers.
    pub fn freeze_upsmon(&mut self, name: &str) {
        self.mark(&format!("{name} upsmon stopped"));
        let i = self.index(name);
        let id = self.hosts[i].mon.expect("upsmon started");
        self.hosts[i].sb.signal(id, Signal::SIGSTOP);
    }

    /// `upsmon -c fsd -P <pid>` on a host, with that host's upsmon binary,
    /// inside its namespace. Fails the test unless it exits 0.
    pub fn user_fsd(&mut self, name: &str) {
        self.mark(&format!("upsmon -c fsd on {name}"));
        let i = self.index(name);
        let pid = self.upsmon_pid(name).to_string();
        let bin = self.hosts[i].upsmon.path(Program::Upsmon);
        let mut cmd = self.ns_command(i, &bin, &["-c", "fsd", "-P", &pid]);
        cmd.env("NUT_PIDPATH", self.hosts[i].sb.run());
        let out = self.hosts[i].sb.run_command(cmd, Duration::from_secs(10));
        if !out.success() {
            self.fail(&format!("upsmon -c fsd on {name} failed:\n{out}"));
        }
    }

    /// True while a host's upsmon runs.
    pub fn upsmon_running(&mut self, name: &str) -> bool {
        let i = self.index(name);
        let id = self.hosts[i].mon.expect("upsmon started");
        self.hosts[i].sb.exited(id).is_none()
    }

    /// Stop, collect what every host recorded, and tear everything down.
    /// Waits `settle` first, so late notifier processes finish writing.
    pub fn finish(mut self, settle: Duration) -> Outcome {
        std::thread::sleep(settle);
        // Read before stopping anything: a SIGSTOPped upsmon woken up to be
        // stopped would still act on what it missed.
        let notes = read_notes(&self.notes_path());
        let shutdowns = read_shutdowns(&self.shutdowns_path());
        for h in self.hosts.iter_mut() {
            if let Some(id) = h.mon {
                h.sb.stop(id);
            }
        }
        let hosts = self
            .hosts
            .iter()
            .map(|h| HostOutcome {
                name: h.name.clone(),
                role: h.role,
                upsmon: h.upsmon,
                notes: notes.iter().filter(|n| n.host == h.name).cloned().collect(),
                shutdowns: shutdowns.iter().filter(|s| s.0 == h.name).map(|s| s.1).collect(),
                flag: fs::read_to_string(h.sb.root().join("killpower")).ok(),
                walls: fs::read_to_string(h.sb.root().join("wall.log"))
                    .unwrap_or_default()
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_string)
                    .collect(),
                log: h.mon.map(|id| h.sb.proc_logs(id)).unwrap_or_default(),
            })
            .collect();
        Outcome {
            label: self.spec.describe(),
            primary_addr: self.primary_addr(),
            start: self.start,
            marks: self.marks.clone(),
            hosts,
        }
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        if std::thread::panicking() || std::env::var_os("NUT_TESTKIT_KEEP").is_some() {
            eprintln!("multihost: results of {} kept in {}", self.spec.label, self.results.display());
        } else {
            let _ = fs::remove_dir_all(&self.results);
        }
    }
}

/// A dummy-once data file with the given status and steady battery values.
fn dev_file(status: &str) -> String {
    format!("ups.status: {status}\nbattery.charge: 90\nbattery.runtime: 1200\nups.mfr: Multihost\nups.model: Simulated\n")
}
