//! Robustness of upsd and of the driver socket against hostile or careless peers.
//!
//! Written for OUR upsd (`*_ours`); each check also runs against NUT 2.8.0 (`*_nut`) where NUT
//! copes, which proves the check itself. After each abuse another client must still get correct
//! answers promptly, and upsd's resident memory must stay bounded.
//!
//! The `*_ours` tests fail until our upsd (and dummy-ups) are built: run
//! `cargo build --workspace --bins`.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use nut_testkit::{FakeDriver, FakeDriverBehaviour, Impl, LineClient, ProcId, Program, Sandbox};

const RSS_LIMIT_KB: u64 = 64 * 1024;
const PROMPT: Duration = Duration::from_secs(3);

struct Rig {
    sb: Sandbox,
    upsd: ProcId,
    _fake: FakeDriver,
    _bad: Option<FakeDriver>,
    imp: Impl,
}

fn dump() -> Vec<String> {
    ["SETINFO ups.status \"OL\"", "SETINFO driver.name \"fake\"", "SETINFO battery.charge \"100\"", "SETFLAGS battery.charge RW", "ADDCMD load.off", "DATAOK", "DUMPDONE"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// upsd of `imp` serving UPS `ups` (scripted fake driver); optionally `real` (dummy-ups of
/// `imp`) and `bad` (a fake driver that sends `garbage` and dies).
fn rig(imp: Impl, with_real: bool, garbage: Option<Vec<u8>>) -> Rig {
    imp.path(Program::Upsd);
    let mut sb = Sandbox::new();
    let mut conf = String::from("[ups]\n\tdriver = dummy-ups\n\tport = ups.dev\n");
    if with_real {
        imp.path(Program::DummyUps);
        conf.push_str("[real]\n\tdriver = dummy-ups\n\tport = real.dev\n\tmode = dummy-once\n");
        sb.write_etc("real.dev", "ups.status: OL\nbattery.charge: 77\n");
    }
    if garbage.is_some() {
        conf.push_str("[bad]\n\tdriver = dummy-ups\n\tport = bad.dev\n");
    }
    sb.write_ups_conf(&conf);
    sb.write_upsd_conf("");
    sb.write_upsd_users("[admin]\n\tpassword = mypass\n\tactions = SET\n");
    let fake = FakeDriver::start(&sb.driver_socket("dummy-ups", "ups"), FakeDriverBehaviour::Scripted { dump: dump() });
    if with_real {
        sb.start_dummy(imp, "real");
    }
    let bad = garbage.map(|bytes| FakeDriver::start(&sb.driver_socket("dummy-ups", "bad"), FakeDriverBehaviour::GarbageThenDie { bytes }));
    let upsd = match sb.try_start_upsd(imp, &["-F"]) {
        Ok(id) => id,
        Err(e) => panic!("{imp} upsd did not start: {e}"),
    };
    sb.wait_ups_ready("ups", Some(upsd)).unwrap_or_else(|e| panic!("{e}"));
    if with_real {
        sb.wait_ups_ready("real", Some(upsd)).unwrap_or_else(|e| panic!("{e}"));
    }
    Rig { sb, upsd, _fake: fake, _bad: bad, imp }
}

impl Rig {
    /// A fresh client gets correct answers within PROMPT; upsd is alive and its RSS bounded.
    fn assert_healthy(&mut self, after: &str) {
        let started = Instant::now();
        let port = self.sb.port();
        let res = (|| -> std::io::Result<(String, String)> {
            let mut c = LineClient::connect_with(port, PROMPT)?;
            let v = c.request("GET VAR ups ups.status")?;
            let l = c.request("LIST CMD ups")?;
            Ok((v, l))
        })();
        let took = started.elapsed();
        if let Some(st) = self.sb.exited(self.upsd) {
            panic!("{} upsd died after {after} ({st})\n{}", self.imp, self.sb.logs());
        }
        match res {
            Ok((v, l)) => {
                assert_eq!(v, "VAR ups ups.status \"OL\"\n", "{} upsd after {after}: wrong answer", self.imp);
                assert_eq!(l, "BEGIN LIST CMD ups\nCMD ups load.off\nEND LIST CMD ups\n", "{} upsd after {after}", self.imp);
            }
            Err(e) => panic!("{} upsd after {after}: a new client got no answer within {PROMPT:?}: {e}\n{}", self.imp, self.sb.logs()),
        }
        assert!(took < PROMPT, "{} upsd after {after}: answers took {took:?}", self.imp);
        let rss = vm_rss_kb(self.sb.pid(self.upsd));
        assert!(rss < RSS_LIMIT_KB, "{} upsd after {after}: VmRSS {rss} kB >= {RSS_LIMIT_KB} kB", self.imp);
    }
}

fn vm_rss_kb(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Deterministic pseudo-random bytes (xorshift).
fn noise(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

fn connect_raw(port: u16) -> TcpStream {
    let s = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)).expect("connect to upsd");
    s.set_write_timeout(Some(Duration::from_secs(2))).expect("timeout");
    s.set_read_timeout(Some(Duration::from_secs(2))).expect("timeout");
    s
}

/// Write as much of `data` as the peer takes within `limit`; errors (peer closed) are fine.
fn write_bounded(s: &mut TcpStream, data: &[u8], limit: Duration) {
    let deadline = Instant::now() + limit;
    for chunk in data.chunks(16 * 1024) {
        if Instant::now() >= deadline || s.write_all(chunk).is_err() {
            return;
        }
    }
}

fn long_line(imp: Impl) {
    let mut r = rig(imp, false, None);
    let mut s = connect_raw(r.sb.port());
    write_bounded(&mut s, &vec![b'A'; 1 << 20], Duration::from_secs(10));
    r.assert_healthy("a 1 MB line without newline (connection still open)");
    drop(s);
    r.assert_healthy("a 1 MB line without newline (connection closed)");
}

fn binary_garbage(imp: Impl) {
    let mut r = rig(imp, false, None);
    let mut s = connect_raw(r.sb.port());
    write_bounded(&mut s, &noise(64 * 1024, 0x9E37_79B9_7F4A_7C15), Duration::from_secs(10));
    r.assert_healthy("64 KB of binary garbage (connection still open)");
    drop(s);
    r.assert_healthy("64 KB of binary garbage (connection closed)");
}

/// Raise our RLIMIT_NOFILE (children inherit it) so 2000 sockets fit on both sides.
fn raise_nofile(want: u64) {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    if soft >= want {
        return;
    }
    let new_hard = hard.max(want);
    if setrlimit(Resource::RLIMIT_NOFILE, want, new_hard).is_err() {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).expect("setrlimit");
    }
}

fn idle_connections(imp: Impl) {
    raise_nofile(8192);
    let mut r = rig(imp, false, None);
    let port = r.sb.port();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut conns = Vec::with_capacity(2000);
    for i in 0..2000 {
        assert!(Instant::now() < deadline, "opening 2000 connections took too long (at {i})");
        match TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)) {
            Ok(s) => conns.push(s),
            Err(e) => panic!("{imp} upsd: connection {i} of 2000 failed: {e}"),
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    r.assert_healthy("2000 idle connections (still open)");
    drop(conns);
    std::thread::sleep(Duration::from_millis(500));
    r.assert_healthy("2000 idle connections (closed)");
}

fn list_var_flood(imp: Impl) {
    let mut r = rig(imp, false, None);
    let port = r.sb.port();
    let s = connect_raw(port);
    let mut w = s.try_clone().expect("clone");
    // Writer thread: 100k requests, never reading a reply; bounded by write timeouts/deadline.
    let writer = std::thread::spawn(move || {
        let req = b"LIST VAR ups\n".repeat(1000);
        let deadline = Instant::now() + Duration::from_secs(20);
        for _ in 0..100 {
            if Instant::now() >= deadline || w.write_all(&req).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_secs(2));
    r.assert_healthy("100k LIST VAR from a client that never reads (still connected)");
    let _ = writer.join();
    r.assert_healthy("100k LIST VAR from a client that never reads (writer done)");
    drop(s);
    std::thread::sleep(Duration::from_millis(300));
    r.assert_healthy("100k LIST VAR from a client that never reads (closed)");
}

fn driver_garbage_then_die(imp: Impl) {
    let mut garbage = noise(8 * 1024, 42);
    garbage.extend_from_slice(
        b"\nSETINFO\nSETINFO a\nADDENUM nosuch.var \"x\"\nDELINFO nosuch\nSETFLAGS ups.status BOGUS\nADDRANGE x y z\n\
          SETAUX ups.status -5\nTRACKING nonsense\nDATASTALE\nDUMPDONE\n\"unterminated\n",
    );
    garbage.resize(garbage.len() + 100_000, b'W');
    let mut r = rig(imp, false, Some(garbage));
    std::thread::sleep(Duration::from_secs(1));
    r.assert_healthy("a driver socket that sent nonsense and died");
    let mut c = LineClient::connect(r.sb.port()).expect("connect");
    let bad = c.request("GET VAR bad ups.status").expect("reply");
    assert!(
        bad == "ERR DRIVER-NOT-CONNECTED\n" || bad == "ERR DATA-STALE\n",
        "{imp} upsd: after the bad driver died, GET VAR bad ups.status gave {bad:?}"
    );
}

fn garbage_into_driver_socket(imp: Impl) {
    let mut r = rig(imp, true, None);
    let path = r.sb.driver_socket("dummy-ups", "real");
    {
        let mut s = std::os::unix::net::UnixStream::connect(&path).expect("connect to driver socket");
        s.set_write_timeout(Some(Duration::from_secs(2))).ok();
        let mut g = noise(64 * 1024, 7);
        g.extend_from_slice(b"\nSET\nSET ups.status\nINSTCMD\nDUMPALL extra args\nPING PING\n");
        let _ = s.write_all(&g);
        let _ = s.write_all(&vec![b'x'; 1 << 20]);
    }
    std::thread::sleep(Duration::from_millis(500));
    r.assert_healthy("garbage written into dummy-ups' socket");
    let mut c = LineClient::connect(r.sb.port()).expect("connect");
    let v = c.request("GET VAR real battery.charge").expect("reply");
    assert_eq!(v, "VAR real battery.charge \"77\"\n", "{imp} dummy-ups after garbage on its socket");
}

macro_rules! both {
    ($check:ident, $ours:ident, $nut:ident) => {
        #[test]
        fn $ours() {
            $check(Impl::Ours);
        }
        #[test]
        fn $nut() {
            $check(Impl::Nut);
        }
    };
}

both!(long_line, long_line_ours, long_line_nut);
both!(binary_garbage, binary_garbage_ours, binary_garbage_nut);
// NUT 2.8.0 itself does not survive these two (run them with `--ignored` to see): its upsd
// had accepted only ~600 of 2000 connections after 30 s, and while a client floods it without
// reading, another client got no answer within 3 s. Ours must do better.
#[test]
fn idle_connections_ours() {
    idle_connections(Impl::Ours);
}
#[test]
#[ignore = "NUT 2.8.0 upsd: only ~600 of 2000 connections accepted in 30 s"]
fn idle_connections_nut() {
    idle_connections(Impl::Nut);
}
#[test]
fn list_var_flood_ours() {
    list_var_flood(Impl::Ours);
}
#[test]
#[ignore = "NUT 2.8.0 upsd stops answering others while a client floods without reading"]
fn list_var_flood_nut() {
    list_var_flood(Impl::Nut);
}
both!(driver_garbage_then_die, driver_garbage_then_die_ours, driver_garbage_then_die_nut);
both!(garbage_into_driver_socket, garbage_into_driver_socket_ours, garbage_into_driver_socket_nut);
