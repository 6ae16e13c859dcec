//! Runs our dummy-ups (and NUT 2.8.0's, when installed at /lib/nut) on the
//! same data files and compares what their sockets say.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const OURS: &str = env!("CARGO_BIN_EXE_dummy-ups");
const NUT: &str = "/lib/nut/dummy-ups";
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn nut_available() -> bool {
    Path::new(NUT).exists()
}

struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new(tag: &str) -> Sandbox {
        let dir = std::env::temp_dir().join(format!("drvtest-{tag}-{}-{:?}", std::process::id(), Instant::now()));
        let dir = PathBuf::from(dir.to_string_lossy().replace([' ', '{', '}', ':'], "_"));
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        std::fs::create_dir_all(dir.join("state")).unwrap();
        Sandbox { dir }
    }

    fn etc(&self) -> PathBuf {
        self.dir.join("etc")
    }

    fn state(&self) -> PathBuf {
        self.dir.join("state")
    }

    /// Copy a data file in and write a one-UPS ups.conf for it.
    fn setup(&self, data: &Path, extra: &str) -> String {
        let name = data.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::copy(data, self.etc().join(&name)).unwrap();
        std::fs::write(
            self.etc().join("ups.conf"),
            format!("[t]\n\tdriver = dummy-ups\n\tport = \"{name}\"\n{extra}"),
        )
        .unwrap();
        self.give_to_nut();
        name
    }

    /// Drivers started as root drop to `nut`; let that user in.
    fn give_to_nut(&self) {
        if !nix::unistd::Uid::effective().is_root() {
            return;
        }
        let Ok(Some(user)) = nix::unistd::User::from_name("nut") else { return };
        for p in [self.dir.clone(), self.etc(), self.state()] {
            let _ = std::os::unix::fs::chown(&p, Some(user.uid.as_raw()), Some(user.gid.as_raw()));
        }
        for entry in std::fs::read_dir(self.etc()).unwrap() {
            let p = entry.unwrap().path();
            let _ = std::os::unix::fs::chown(&p, Some(user.uid.as_raw()), Some(user.gid.as_raw()));
        }
    }

    fn command(&self, bin: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .env("NUT_CONFPATH", self.etc())
            .env("NUT_STATEPATH", self.state())
            .env("NUT_ALTPIDPATH", self.state())
            .env_remove("NUT_DEBUG_LEVEL");
        cmd
    }

    fn start(&self, bin: &str) -> Driver {
        let child = self
            .command(bin, &["-a", "t", "-F"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let sock = self.state().join("dummy-ups-t");
        let deadline = Instant::now() + Duration::from_secs(15);
        while !sock.exists() {
            assert!(Instant::now() < deadline, "{bin}: socket {} never appeared", sock.display());
            std::thread::sleep(Duration::from_millis(20));
        }
        Driver { child, sock }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Driver {
    child: Child,
    sock: PathBuf,
}

impl Driver {
    fn connect(&self) -> UnixStream {
        let s = UnixStream::connect(&self.sock).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }

    fn terminate(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.child.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Read until the text ends with `end`.
fn read_until(s: &mut UnixStream, end: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    while !String::from_utf8_lossy(&got).ends_with(end) {
        let n = s.read(&mut buf).expect("driver answered in time");
        assert!(n > 0, "driver closed the socket");
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(got).unwrap()
}

fn dump(d: &Driver) -> String {
    let mut s = d.connect();
    s.write_all(b"DUMPALL\n").unwrap();
    read_until(&mut s, "DUMPDONE\n")
}

fn dump_of(bin: &str, data: &Path) -> String {
    let sb = Sandbox::new("dump");
    sb.setup(data, "");
    let d = sb.start(bin);
    dump(&d)
}

fn corpus(rel: &str) -> PathBuf {
    Path::new(CORPUS).join(rel)
}

#[test]
fn dumps_match_nut_on_corpus_files() {
    let files = [
        "nut-main-data/epdu-managed.dev",
        "nut-main-data/evolution500.seq",
        // ups.serial written as a comment: the empty value takes the
        // previous line's value, and device.serial is copied from it.
        "nut-ddl/APC/APC__Smart-UPS_3000_2U__usbhid-ups__2.4.3__01.dev",
        "nut-ddl/Eaton/Eaton__5E2200USB-LA__nutdrv_qx__2.7.4.1__01.dev",
        "nut-ddl/Cyber_Power_Systems/Cyber_Power_Systems__CP1500AVRLCDa__usbhid-ups__2.7.4__01.dev",
    ];
    for f in files {
        let path = corpus(f);
        assert!(path.exists(), "corpus file {f} is missing: the tests read ../shared/corpus");
        let ours = dump_of(OURS, &path);
        assert!(ours.ends_with("DATAOK\nDUMPDONE\n"), "{f}: {ours}");
        assert!(ours.contains("SETINFO driver.version.internal \"0.15\"\n"));
        if nut_available() {
            let nut = dump_of(NUT, &path);
            assert_eq!(ours, nut, "{f}: dumps differ");
        }
    }
}

#[test]
fn quirky_lines_match_nut() {
    let sb = Sandbox::new("quirks");
    let data = sb.dir.join("q.dev");
    std::fs::write(
        &data,
        "ups.serial:\nups.mfr: Foo   \"Bar  baz\"   x=y\nbattery.charge: 100\nbattery.runtime:\n\
         ups.model: a:b: c\nups.temperature:42\nups.id : 12\nups.status: OB  LB OB\n\
         UPS.LOAD: 5\ninput.transfer.reason: long reason\ndriver.name: other\n\
         ups.contacts: 0123456789012345678901234567890123456789012345678901234567890123456789\
         0123456789012345678901234567890123456789012345678901234567890123456789\n",
    )
    .unwrap();
    let ours = dump_of(OURS, &data);
    assert!(ours.contains("SETINFO battery.runtime \"100\"\n"), "{ours}");
    assert!(ours.contains("SETINFO ups.status \"OB LB OB\"\n"));
    if nut_available() {
        assert_eq!(ours, dump_of(NUT, &data));
    }
}

#[test]
fn overrides_and_defaults_match_nut() {
    let run = |bin: &str| {
        let sb = Sandbox::new("ovr");
        let data = sb.dir.join("o.dev");
        std::fs::write(&data, "battery.charge: 10\nups.load: 6\n").unwrap();
        sb.setup(
            &data,
            "\tnolock\n\tpollinterval = 3\n\toverride.ups.load = 42\n\tdefault.battery.charge = 50\n\
             \tdefault.ups.power = 7\n\tsynchronous = yes\n\tdesc = \"x\"\n",
        );
        let d = sb.start(bin);
        dump(&d)
    };
    let ours = run(OURS);
    assert!(ours.contains("SETINFO ups.load \"42\"\nSETFLAGS ups.load\n"), "{ours}");
    if nut_available() {
        assert_eq!(ours, run(NUT));
    }
}

fn set_session(bin: &str) -> String {
    let sb = Sandbox::new("set");
    let data = sb.dir.join("s.dev");
    std::fs::write(&data, "ups.load: 1\n").unwrap();
    sb.setup(&data, "");
    let d = sb.start(bin);
    let mut s = d.connect();
    s.write_all(
        b"SET ups.load \"77\" TRACKING abc-1\nSET ups.status \"OB LB\" TRACKING t2\nSET ups.load \"\" TRACKING t3\n\
          SET newvar \"x\" TRACKING t4\nINSTCMD load.off TRACKING t6\nINSTCMD foo.bar TRACKING t7\n\
          INSTCMD load.off\nINSTCMD load.off 5 TRACKING t8\nPING\n",
    )
    .unwrap();
    read_until(&mut s, "PONG\n")
}

#[test]
fn set_and_instcmd_replies_match_nut() {
    let ours = set_session(OURS);
    assert_eq!(
        ours,
        "SETINFO ups.load \"77\"\nTRACKING abc-1 0\nSETINFO ups.status \"OB LB\"\nTRACKING t2 0\n\
         DELINFO ups.load\nTRACKING t3 0\nSETINFO newvar \"x\"\nSETFLAGS newvar RW STRING\nSETAUX newvar 32\n\
         TRACKING t4 0\nTRACKING t6 1\nTRACKING t7 1\nTRACKING t8 1\nPONG\n"
    );
    if nut_available() {
        assert_eq!(ours, set_session(NUT));
    }
}

/// A `.seq` file steps on `TIMER`s: values observed over time match NUT.
#[test]
fn timer_steps_like_nut() {
    let observe = |bin: &str| -> Vec<String> {
        let sb = Sandbox::new("timer");
        let data = sb.dir.join("t.seq");
        std::fs::write(&data, "ups.load: 1\nTIMER 1\nups.load: 2\nTIMER 1\nups.load: 3\nTIMER 1\n").unwrap();
        sb.setup(&data, "");
        let d = sb.start(bin);
        let started = Instant::now();
        let mut seen = Vec::new();
        // Sample mid-way between NUT's update moments (every 2 s after
        // the socket appears, each one second late).
        for at in [3.4f64, 5.4, 7.4] {
            let wait = Duration::from_secs_f64(at).saturating_sub(started.elapsed());
            std::thread::sleep(wait);
            let text = dump(&d);
            let load = text
                .lines()
                .find_map(|l| l.strip_prefix("SETINFO ups.load "))
                .unwrap_or("-")
                .to_string();
            seen.push(load);
        }
        seen
    };
    let ours = observe(OURS);
    // The trailing TIMER delays the end of the file by one update, so the
    // loop starts over one update later than the TIMERs alone suggest.
    assert_eq!(ours, ["\"3\"", "\"1\"", "\"2\""]);
    if nut_available() {
        assert_eq!(ours, observe(NUT));
    }
}

#[test]
fn evolution500_starts_online_and_waits_for_its_timer() {
    let sb = Sandbox::new("evo");
    sb.setup(&corpus("nut-main-data/evolution500.seq"), "");
    let d = sb.start(OURS);
    let first = dump(&d);
    assert!(first.contains("SETINFO ups.status \"OL CHRG\"\n"), "{first}");
    assert!(first.contains("SETINFO driver.parameter.mode \"dummy-loop\"\n"));
    std::thread::sleep(Duration::from_secs(3));
    assert!(dump(&d).contains("SETINFO ups.status \"OL CHRG\"\n"), "TIMER 300 still pending");
}

#[test]
fn garbage_and_stuck_clients_do_not_hurt_others() {
    let sb = Sandbox::new("abuse");
    sb.setup(&corpus("nut-main-data/epdu-managed.dev"), "");
    let d = sb.start(OURS);
    let reference = dump(&d);

    // A client that never reads but keeps asking for dumps.
    let mut stuck = d.connect();
    stuck.set_nonblocking(true).unwrap();
    let mut sent = 0usize;
    let burst = "DUMPALL\n".repeat(1000);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && sent < 20_000_000 {
        match stuck.write(burst.as_bytes()) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
    }

    // A client sending garbage: binary bytes, bad quotes, a huge line.
    let mut garbage = d.connect();
    let mut junk: Vec<u8> = (0..=255u8).cycle().take(50_000).collect();
    junk.extend_from_slice(b"\n\"a#b\"\nSET\nINSTCMD a b c\nFROB x\n");
    junk.extend(vec![b'x'; 300_000]);
    junk.push(b'\n');
    garbage.write_all(&junk).unwrap();

    // A well-behaved client still gets everything.
    let t = Instant::now();
    assert_eq!(dump(&d), reference);
    let mut ok = d.connect();
    ok.write_all(b"PING\n").unwrap();
    assert_eq!(read_until(&mut ok, "PONG\n"), "PONG\n");
    assert!(t.elapsed() < Duration::from_secs(5));
    // The garbage client is still served too.
    garbage.write_all(b"PING\n").unwrap();
    garbage.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert!(read_until(&mut garbage, "PONG\n").ends_with("PONG\n"));
    drop(stuck);
}

/// Start in the background as upsdrvctl would; returns the daemon's pid.
fn start_background(sb: &Sandbox) -> i32 {
    let out = sb.command(OURS, &["-a", "t"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(sb.state().join("dummy-ups-t").exists(), "socket exists once the starter returns");
    std::fs::read_to_string(sb.state().join("dummy-ups-t.pid")).unwrap().trim().parse().unwrap()
}

fn wait_gone(pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok() {
        assert!(Instant::now() < deadline, "pid {pid} still alive");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_removes_socket_and_pid_file() {
    let sb = Sandbox::new("term");
    sb.setup(&corpus("nut-main-data/epdu-managed.dev"), "");
    let pid = start_background(&sb);
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
    wait_gone(pid);
    assert!(!sb.state().join("dummy-ups-t").exists());
    assert!(!sb.state().join("dummy-ups-t.pid").exists());
}

#[test]
fn foreground_writes_no_pid_file() {
    let sb = Sandbox::new("fg");
    sb.setup(&corpus("nut-main-data/epdu-managed.dev"), "");
    let d = sb.start(OURS);
    std::thread::sleep(Duration::from_millis(300));
    assert!(d.sock.exists());
    assert!(!sb.state().join("dummy-ups-t.pid").exists(), "NUT 2.8.0 writes none with -F");
}

fn cli(sb: &Sandbox, bin: &str, args: &[&str]) -> Output {
    sb.command(bin, args).output().unwrap()
}

#[test]
fn command_line_matches_nut() {
    let sb = Sandbox::new("cli");
    sb.setup(&corpus("nut-main-data/epdu-managed.dev"), "[bad]\n\tdriver = dummy-ups\n\tport = x.dev\n\tfoo = bar\n");
    let cases: &[&[&str]] = &[
        &["-h"],
        &["-L"],
        &["-V"],
        &[],
        &["-a", "nosuch"],
        &["-s", "x"],
        &["-a", "t", "-k"],
        &["-a", "bad"],
        &["-a", "t", "-x", "bar=1"],
        &["-a", "t", "-i", "0"],
        &["-z"],
    ];
    for args in cases {
        let ours = cli(&sb, OURS, args);
        assert!(String::from_utf8_lossy(&ours.stdout)
            .starts_with("Network UPS Tools - Device simulation and repeater driver 0.15 (2.8.0)\n"));
        if nut_available() {
            let nut = cli(&sb, NUT, args);
            assert_eq!(ours.status.code(), nut.status.code(), "{args:?}: exit status");
            assert_eq!(String::from_utf8_lossy(&ours.stdout), String::from_utf8_lossy(&nut.stdout), "{args:?}: stdout");
            let fix = |o: &Output, bin: &str| String::from_utf8_lossy(&o.stderr).replace(bin, "ARGV0");
            assert_eq!(fix(&ours, OURS), fix(&nut, NUT), "{args:?}: stderr");
        }
    }
}

#[test]
fn dump_flag_prints_the_table() {
    let sb = Sandbox::new("dflag");
    sb.setup(&corpus("nut-main-data/evolution500.seq"), "");
    let ours = cli(&sb, OURS, &["-a", "t", "-d", "1"]);
    let text = String::from_utf8_lossy(&ours.stdout).into_owned();
    assert!(text.contains("\nups.status: OL CHRG\n"), "{text}");
    assert!(text.contains("\ndevice.model: Pulsar Evolution 500\n"));
    if nut_available() {
        let nut = cli(&sb, NUT, &["-a", "t", "-d", "1"]);
        assert_eq!(text, String::from_utf8_lossy(&nut.stdout));
    }
}

#[test]
fn second_instance_replaces_the_first() {
    let sb = Sandbox::new("dup");
    sb.setup(&corpus("nut-main-data/epdu-managed.dev"), "");
    let first = start_background(&sb);
    let out = sb.command(OURS, &["-a", "t"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Duplicate driver instance detected (PID file "), "{err}");
    wait_gone(first);
    let second: i32 =
        std::fs::read_to_string(sb.state().join("dummy-ups-t.pid")).unwrap().trim().parse().unwrap();
    assert_ne!(first, second);
    let mut s = UnixStream::connect(sb.state().join("dummy-ups-t")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"PING\n").unwrap();
    assert_eq!(read_until(&mut s, "PONG\n"), "PONG\n");
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(second), nix::sys::signal::Signal::SIGTERM);
    wait_gone(second);
}

#[test]
fn repeater_mirrors_a_remote_ups_like_nut() {
    const UPSD: &str = "/lib/nut/upsd";
    assert!(Path::new(UPSD).exists(), "no NUT upsd to repeat from: scripts/install-deps.sh installs nut-server");
    let sb = Sandbox::new("rep");
    sb.setup(&corpus("nut-main-data/epdu-managed.dev"), "");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::write(sb.etc().join("upsd.conf"), format!("LISTEN 127.0.0.1 {port}\n")).unwrap();
    std::fs::write(sb.etc().join("upsd.users"), "").unwrap();
    sb.give_to_nut();
    let _source = sb.start(OURS);
    let mut upsd = sb.command(UPSD, &["-F"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "upsd did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let spec = format!("port=t@127.0.0.1:{port}");
    let run = |bin: &str| {
        let out = sb.command(bin, &["-s", "rep", "-x", &spec, "-d", "1"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{bin}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let ours = run(OURS);
    assert!(ours.contains("\ndriver.parameter.mode: repeater\n"), "{ours}");
    assert!(ours.contains("\noutlet.4.realpower: 28.00\n"));
    if nut_available() {
        assert_eq!(ours, run(NUT));
    }
    let bad = sb.command(OURS, &["-s", "rep", "-x", &format!("port=nosuch@127.0.0.1:{port}"), "-F"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Error: Unknown UPS"));
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(upsd.id() as i32), nix::sys::signal::Signal::SIGTERM);
    let _ = upsd.wait();
}
