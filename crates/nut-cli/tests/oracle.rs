//! Our upsc/upscmd/upsrw against NUT 2.8.0's, on the same real NUT server.
//!
//! Each test starts Debian's `/lib/nut/dummy-ups` and `/lib/nut/upsd` in
//! a private temp dir on a free loopback port (killed and removed on
//! drop, every wait bounded), runs NUT's tool and ours with the same
//! arguments and compares stdout, stderr and exit status. NUT's clients
//! print `Init SSL without certificate database` (an NSS build detail);
//! that line is removed from NUT's stderr before comparing.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

const NUT_UPSD: &str = "/lib/nut/upsd";
const NUT_DUMMY: &str = "/lib/nut/dummy-ups";
const NSS_NOISE: &str = "Init SSL without certificate database";

static SEQ: AtomicUsize = AtomicUsize::new(0);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("addr").port()
}

/// A NUT upsd + dummy-ups pair in a temp dir.
struct Nut {
    dir: PathBuf,
    port: u16,
    children: Vec<Child>,
}

impl Nut {
    fn start() -> Nut {
        for path in [NUT_UPSD, NUT_DUMMY, "/usr/bin/upsc", "/usr/bin/upscmd", "/usr/bin/upsrw"] {
            assert!(Path::new(path).exists(), "{path} missing: install Debian's nut-server and nut-client");
        }
        let dir = std::env::temp_dir().join(format!(
            "nut-cli-oracle-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        let conf = dir.join("conf");
        let state = dir.join("state");
        fs::create_dir_all(&conf).expect("conf dir");
        fs::create_dir_all(&state).expect("state dir");
        // NUT drops to its own user when started as root: let it in.
        for d in [&dir, &conf, &state] {
            fs::set_permissions(d, fs::Permissions::from_mode(0o777)).expect("chmod");
        }
        let port = free_port();
        let files = [
            ("ups.conf", "[ups]\n\tdriver = dummy-ups\n\tport = x.dev\n\tdesc = \"nut-cli test UPS\"\n".to_string()),
            ("upsd.conf", format!("LISTEN 127.0.0.1 {port}\n")),
            ("upsd.users", "[admin]\n\tpassword = pw\n\tactions = SET\n\tinstcmds = ALL\n".to_string()),
            (
                "x.dev",
                "battery.charge: 100\nbattery.runtime: 1800\ninput.voltage: 230.0\nups.id: myid\nups.status: OL\nups.serial: \"ABC 123\"\n"
                    .to_string(),
            ),
        ];
        for (name, text) in files {
            let path = conf.join(name);
            fs::write(&path, text).expect("write config");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        let mut nut = Nut { dir, port, children: Vec::new() };
        nut.spawn(NUT_DUMMY, &["-a", "ups", "-F"]);
        let socket = state.join("dummy-ups-ups");
        wait_for(|| socket.exists(), "dummy-ups socket");
        nut.spawn(NUT_UPSD, &["-F"]);
        wait_for(|| nut.ready(), "upsd serving the driver's data");
        nut
    }

    fn env(&self, cmd: &mut Command) {
        cmd.env("NUT_CONFPATH", self.dir.join("conf"))
            .env("NUT_STATEPATH", self.dir.join("state"))
            .env("NUT_ALTPIDPATH", self.dir.join("state"));
    }

    fn spawn(&mut self, program: &str, args: &[&str]) {
        let mut cmd = Command::new(program);
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        self.env(&mut cmd);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("start {program}: {e}"));
        self.children.push(child);
    }

    fn ready(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        // ups.id comes with the driver's dump, after upsd's initial WAIT.
        if s.write_all(b"GET VAR ups ups.id\n").is_err() {
            return false;
        }
        let mut line = String::new();
        let ok = BufReader::new(&s).read_line(&mut line).is_ok() && line.starts_with("VAR ups ups.id");
        let _ = s.write_all(b"LOGOUT\n");
        ok
    }

    fn ups(&self) -> String {
        format!("ups@127.0.0.1:{}", self.port)
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Nut {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn wait_for(mut ready: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if ready() {
            return;
        }
        sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

/// Run `program` as `tool` (same argv[0] for both), stdin empty, bounded.
/// With `detach`, it runs in a new session through setsid(1), so that a
/// password prompt cannot reach a terminal the tests were started from.
fn run(program: &str, tool: &str, args: &[&str], detach: bool) -> Outcome {
    let out_path = std::env::temp_dir().join(format!("nut-cli-out-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::SeqCst)));
    let err_path = out_path.with_extension("err");
    let mut cmd = if detach {
        let mut c = Command::new("setsid");
        c.arg("-w").arg(program);
        c
    } else {
        let mut c = Command::new(program);
        c.arg0(tool);
        c
    };
    let mut child = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).expect("stdout file"))
        .stderr(fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{tool} {args:?} did not finish in 30 s");
        }
        sleep(Duration::from_millis(20));
    };
    let stdout = fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = fs::read_to_string(&err_path).unwrap_or_default();
    let _ = fs::remove_file(&out_path);
    let _ = fs::remove_file(&err_path);
    Outcome { stdout, stderr, code: status.code() }
}

fn ours(tool: &str) -> &'static str {
    match tool {
        "upsc" => env!("CARGO_BIN_EXE_upsc"),
        "upscmd" => env!("CARGO_BIN_EXE_upscmd"),
        "upsrw" => env!("CARGO_BIN_EXE_upsrw"),
        other => panic!("unknown tool {other}"),
    }
}

/// Run NUT's tool, then ours, and require the same result. Returns it.
fn same(tool: &str, args: &[&str]) -> Outcome {
    compare(tool, args, false)
}

/// [`same`] for cases that prompt: no controlling terminal, empty stdin.
fn same_detached(tool: &str, args: &[&str]) -> Outcome {
    compare(tool, args, true)
}

fn compare(tool: &str, args: &[&str], detach: bool) -> Outcome {
    let mut theirs = run(&format!("/usr/bin/{tool}"), tool, args, detach);
    theirs.stderr = theirs.stderr.split_inclusive('\n').filter(|l| l.trim_end_matches('\n') != NSS_NOISE).collect();
    let raw = run(ours(tool), tool, args, detach);
    assert_eq!(raw, theirs, "{tool} {args:?}: ours (left) differs from NUT (right)");
    raw
}

#[test]
fn upsc_matches_nut() {
    let nut = Nut::start();
    let ups = nut.ups();
    let host = nut.host();
    let all = same("upsc", &[&ups]);
    assert!(all.stdout.contains("ups.status: OL\n"), "{all:?}");
    assert_eq!(same("upsc", &[&ups, "ups.status"]).stdout, "OL\n");
    same("upsc", &[&ups, "battery.charge", "ignored"]);
    assert_eq!(same("upsc", &[&ups, "bogus.var"]).code, Some(1));
    same("upsc", &[&ups, "bogus"]);
    let unknown = format!("nosuch@{host}");
    assert_eq!(same("upsc", &[&unknown]).stderr, "Error: Unknown UPS\n");
    same("upsc", &["-c", &unknown]);
    assert_eq!(same("upsc", &["-l", &host]).stdout, "ups\n");
    assert_eq!(same("upsc", &["-L", &host]).stdout, "ups: nut-cli test UPS\n");
    same("upsc", &["-L", "-l", &host]);
    same("upsc", &["-c", &ups]);
    same("upsc", &["-c", "-l", &ups]);
    same("upsc", &[&ups, "-l"]);
    same("upsc", &["--", &ups, "ups.status"]);
    same("upsc", &[&format!("{ups}x"), "ups.status"]);
}

#[test]
fn upsc_errors_match_nut_without_a_server() {
    let closed = format!("127.0.0.1:{}", free_port());
    assert_eq!(same("upsc", &[]).code, Some(1));
    same("upsc", &["-c"]);
    same("upsc", &[""]);
    same("upsc", &["ups@"]);
    same("upsc", &["ups@127.0.0.1:0"]);
    same("upsc", &["ups@127.0.0.1:99999"]);
    same("upsc", &["ups@[::1"]);
    same("upsc", &["-l", ""]);
    same("upsc", &["-l", "127.0.0.1:abc"]);
    let refused = same("upsc", &[&format!("ups@{closed}")]);
    assert_eq!(refused.stderr, "Error: Connection failure: Connection refused\n");
    same("upsc", &["-l", &closed]);
    same("upsc", &["ups@nonexistent.invalid"]);
    same("upscmd", &["-l", &format!("ups@{closed}")]);
    same("upscmd", &["-u", "a", "-p", "b", &format!("ups@{closed}"), "load.off"]);
    same("upscmd", &["-l", "ups@"]);
    same("upscmd", &["-t", "abc", &format!("ups@{closed}"), "load.off"]);
    same("upscmd", &["-t", "99999999999", "x", "y"]);
    same("upsrw", &[&format!("ups@{closed}")]);
    same("upsrw", &["ups@"]);
    same("upsrw", &["-V"]);
}

#[test]
fn upscmd_matches_nut() {
    let nut = Nut::start();
    let ups = nut.ups();
    let list = same("upscmd", &["-l", &ups]);
    assert_eq!(list.stdout, "Instant commands supported on UPS [ups]:\n\nload.off - Turn off the load immediately\n");
    same("upscmd", &["-l", &format!("nosuch@{}", nut.host())]);
    let ok = same("upscmd", &["-u", "admin", "-p", "pw", &ups, "load.off"]);
    assert_eq!((ok.stderr.as_str(), ok.code), ("OK\n", Some(0)));
    same("upscmd", &["-u", "admin", "-p", "pw", &ups, "load.off", "5"]);
    let denied = same("upscmd", &["-u", "admin", "-p", "wrong", &ups, "load.off"]);
    assert_eq!(denied.stderr, "Unexpected response from upsd: ERR ACCESS-DENIED\n");
    same("upscmd", &["-u", "nobody", "-p", "pw", &ups, "load.off"]);
    same("upscmd", &["-u", "admin", "-p", "pw", &ups, "load.on"]);
    same("upscmd", &["-u", "admin", "-p", "pw", &ups, "loadoff"]);
    same("upscmd", &["-u", "admin", "-p", "pw", &format!("nosuch@{}", nut.host()), "load.off"]);
    let tracked = same("upscmd", &["-u", "admin", "-p", "pw", "-w", &ups, "load.off"]);
    assert_eq!((tracked.stderr.as_str(), tracked.code), ("ERR UNKNOWN\n", Some(0)));
    same("upscmd", &["-u", "admin", "-p", "pw", "-w", "-t", "0", &ups, "load.off"]);
    // No credentials and nothing on stdin.
    same_detached("upscmd", &["-p", "pw", &ups, "load.off"]);
    same_detached("upscmd", &["-u", "admin", &ups, "load.off"]);
}

#[test]
fn upsrw_matches_nut() {
    let nut = Nut::start();
    let ups = nut.ups();
    let list = same("upsrw", &[&ups]);
    assert!(list.stdout.contains("[ups.id]\nUPS system identifier\nType: STRING\nMaximum length: 16\nValue: myid\n\n"));
    same("upsrw", &["-l", &ups]);
    same("upsrw", &[&format!("nosuch@{}", nut.host())]);
    let set = same("upsrw", &["-s", "ups.id=foo", "-u", "admin", "-p", "pw", "-w", &ups]);
    assert_eq!((set.stderr.as_str(), set.code), ("SUCCESS\n", Some(0)));
    same("upsrw", &[&ups]);
    let ro = same("upsrw", &["-s", "driver.name=foo", "-u", "admin", "-p", "pw", &ups]);
    assert_eq!(ro.stderr, "Unexpected response from upsd: ERR READONLY\n");
    let long = same("upsrw", &["-s", "ups.id=01234567890123456789", "-u", "admin", "-p", "pw", &ups]);
    assert_eq!(long.stderr, "Unexpected response from upsd: ERR TOO-LONG\n");
    same("upsrw", &["-s", "ups.id=bar", "-u", "admin", "-p", "wrong", &ups]);
    same("upsrw", &["-s", "upsid=x", "-u", "admin", "-p", "pw", &ups]);
    same("upsrw", &["-s", "ups.id=myid", "-u", "admin", "-p", "pw", &ups]);
    same_detached("upsrw", &["-s", "xy=1", "-u", "admin", &ups]);
    same_detached("upsrw", &["-s", "xy", &ups]);
}
