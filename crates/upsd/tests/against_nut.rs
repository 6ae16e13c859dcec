//! Black-box tests: our upsd and NUT 2.8.0's upsd, each with NUT's real
//! dummy-ups as driver and the same files, run the same scripted session;
//! the replies must be byte-identical. Plus robustness checks on ours: a
//! client that never reads must not hold up another, and a 1 MB line is
//! survived.
//!
//! Skipped (with a message) when NUT's binaries are not installed.

mod common;

use common::{assert_same, data_dir, normalize, parse_script, read_data, Step};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NUT_UPSD: &str = "/lib/nut/upsd";
const NUT_DUMMY: &str = "/lib/nut/dummy-ups";

fn nut_installed() -> bool {
    if Path::new(NUT_UPSD).exists() && Path::new(NUT_DUMMY).exists() {
        return true;
    }
    eprintln!("NUT 2.8.0 binaries not installed; skipping");
    false
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// One upsd (ours or NUT's) with two dummy-ups drivers in a private dir.
struct Instance {
    dir: PathBuf,
    port: u16,
    upsd: Child,
}

impl Instance {
    fn start(name: &str, upsd_bin: &str) -> Instance {
        let dir = std::env::temp_dir().join(format!("upsd-it-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let etc = dir.join("etc");
        let state = dir.join("state");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::create_dir_all(&state).unwrap();
        for f in ["ups.conf", "upsd.users", "test.dev"] {
            std::fs::copy(data_dir().join(f), etc.join(f)).unwrap();
        }
        let port = free_port();
        std::fs::write(etc.join("upsd.conf"), format!("LISTEN 127.0.0.1 {port}\n")).unwrap();
        let user_args: Vec<&str> = if is_root() { vec!["-u", "nut"] } else { vec![] };
        if is_root() {
            let _ = Command::new("chown").arg("-R").arg("nut:nut").arg(&dir).status();
        }
        let env = |cmd: &mut Command| {
            cmd.env("NUT_CONFPATH", &etc)
                .env("NUT_STATEPATH", &state)
                .env("NUT_ALTPIDPATH", &state)
                .env("NUT_DATAPATH", "/usr/share/nut")
                .env_remove("NUT_DEBUG_LEVEL");
        };
        for ups in ["ups", "other"] {
            let mut cmd = Command::new(NUT_DUMMY);
            cmd.args(["-a", ups]).args(&user_args).stdout(Stdio::null()).stderr(Stdio::null());
            env(&mut cmd);
            let status = cmd.status().expect("dummy-ups runs");
            assert!(status.success(), "dummy-ups -a {ups} failed");
        }
        let mut cmd = Command::new(upsd_bin);
        cmd.arg("-F").args(&user_args).stdout(Stdio::null()).stderr(Stdio::null());
        env(&mut cmd);
        let upsd = cmd.spawn().expect("upsd starts");
        let inst = Instance { dir, port, upsd };
        inst.wait_ready();
        inst
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                // Ready once both drivers are connected and dumped.
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = s.write_all(b"GET VAR other ups.status\nGET VAR ups ups.status\n");
                let mut r = BufReader::new(s);
                let mut a = String::new();
                let mut b = String::new();
                let _ = r.read_line(&mut a);
                let _ = r.read_line(&mut b);
                if a.contains("\"OL\"") && b.contains("\"OL\"") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("upsd on port {} did not become ready", self.port);
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.upsd.kill();
        let _ = self.upsd.wait();
        if let Ok(entries) = std::fs::read_dir(self.dir.join("state")) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "pid") {
                    if let Some(pid) = std::fs::read_to_string(&p).ok().and_then(|t| t.trim().parse::<i32>().ok()) {
                        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
                    }
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

fn read_line(c: &mut Conn, timeout: Duration) -> Option<String> {
    let _ = c.reader.get_ref().set_read_timeout(Some(timeout));
    let mut line = String::new();
    match c.reader.read_line(&mut line) {
        Ok(0) => Some("EOF".to_string()),
        Ok(_) => Some(line.trim_end_matches('\n').to_string()),
        Err(_) => None,
    }
}

/// Run a script over TCP and produce the transcript (see tests/common).
fn run_script(port: u16, script: &str) -> String {
    let mut conns: HashMap<char, Conn> = HashMap::new();
    let mut last: HashMap<char, String> = HashMap::new();
    let mut out = String::new();
    for step in parse_script(script) {
        match step {
            Step::Sleep { conn, secs } => {
                out.push_str(&format!("{conn}: !sleep {secs}\n"));
                std::thread::sleep(Duration::from_secs_f64(secs));
            }
            Step::Close { conn } => {
                out.push_str(&format!("{conn}: !close\n"));
                conns.remove(&conn);
            }
            Step::Request { conn, text } => {
                out.push_str(&format!("{conn}> {text}\n"));
                let c = conns.entry(conn).or_insert_with(|| {
                    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                    Conn { reader: BufReader::new(s.try_clone().unwrap()), writer: s }
                });
                let mut req = text.clone();
                if let Some(id) = last.get(&conn) {
                    req = req.replace("$LAST", id);
                }
                c.writer.write_all(format!("{req}\n").as_bytes()).unwrap();
                let Some(first) = read_line(c, Duration::from_millis(400)) else {
                    out.push_str(&format!("{conn}< (no reply)\n"));
                    continue;
                };
                let mut lines = vec![first.clone()];
                if first.starts_with("BEGIN LIST") {
                    while let Some(l) = read_line(c, Duration::from_secs(2)) {
                        let end = l.starts_with("END LIST") || l == "EOF";
                        lines.push(l);
                        if end {
                            break;
                        }
                    }
                }
                for l in &lines {
                    let (shown, id) = normalize(l);
                    if let Some(id) = id {
                        last.insert(conn, id);
                    }
                    out.push_str(&format!("{conn}< {shown}\n"));
                }
                if text.eq_ignore_ascii_case("LOGOUT") && first == "OK Goodbye" {
                    let l = read_line(c, Duration::from_secs(3)).unwrap_or_else(|| "(still open)".into());
                    out.push_str(&format!("{conn}< {l}\n"));
                }
            }
        }
    }
    out
}

#[test]
fn scripted_session_matches_nut_byte_for_byte() {
    if !nut_installed() {
        return;
    }
    let script = read_data("session.script");
    let ours = Instance::start("ours", env!("CARGO_BIN_EXE_upsd"));
    let nut = Instance::start("nut", NUT_UPSD);
    let (port_ours, port_nut) = (ours.port, nut.port);
    let s1 = script.clone();
    let t = std::thread::spawn(move || run_script(port_nut, &s1));
    let got = run_script(port_ours, &script);
    let want = t.join().expect("nut session");
    assert_same(&want, &got, "ours vs NUT 2.8.0");
    // And both agree with the transcript recorded when the test was written.
    assert_same(&read_data("session.nut-2.8.0.txt"), &want, "NUT vs recorded");
}

#[test]
fn a_client_that_never_reads_does_not_block_others() {
    if !nut_installed() {
        return;
    }
    let ours = Instance::start("slow", env!("CARGO_BIN_EXE_upsd"));
    let port = ours.port;
    let hog = std::thread::spawn(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let req = "LIST VAR ups\n".repeat(1000);
        // About 30 MB of replies requested, none read.
        for _ in 0..30 {
            if s.write_all(req.as_bytes()).is_err() {
                return true; // dropped by the server, as intended
            }
        }
        // Give the server time to notice, then see whether we were dropped.
        std::thread::sleep(Duration::from_secs(1));
        let mut buf = vec![0u8; 1 << 16];
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let mut total = 0usize;
        loop {
            match s.read(&mut buf) {
                Ok(0) => return true,
                Ok(n) => total += n,
                Err(_) => return total < 30 << 20,
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut c = Conn { reader: BufReader::new(s.try_clone().unwrap()), writer: s };
    c.writer.write_all(b"VER\n").unwrap();
    let line = read_line(&mut c, Duration::from_secs(5)).expect("reply while another client hogs");
    assert_eq!(line, "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/");
    assert!(started.elapsed() < Duration::from_secs(3), "reply took {:?}", started.elapsed());
    assert!(hog.join().unwrap(), "the client that never reads should have been dropped");
    c.writer.write_all(b"GET VAR ups ups.status\n").unwrap();
    assert_eq!(read_line(&mut c, Duration::from_secs(5)).as_deref(), Some("VAR ups ups.status \"OL\""));
}

#[test]
fn a_one_megabyte_line_is_survived() {
    if !nut_installed() {
        return;
    }
    let ours = Instance::start("bigline", env!("CARGO_BIN_EXE_upsd"));
    let s = TcpStream::connect(("127.0.0.1", ours.port)).unwrap();
    let mut c = Conn { reader: BufReader::new(s.try_clone().unwrap()), writer: s };
    let mut big = vec![b'a'; 1_000_000];
    big.extend_from_slice(b"\nVER\n");
    c.writer.write_all(&big).unwrap();
    // The word is cut at 512 bytes, which is no command.
    assert_eq!(read_line(&mut c, Duration::from_secs(10)).as_deref(), Some("ERR UNKNOWN-COMMAND"));
    assert_eq!(
        read_line(&mut c, Duration::from_secs(5)).as_deref(),
        Some("Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/")
    );
}
