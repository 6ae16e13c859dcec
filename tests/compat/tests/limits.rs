//! upsd's caps and what it logs when one is hit (project issue #6, "Limits and faults"):
//! MAXCONN and the per-address cap refuse at once with a rate-limited log line, a flood from
//! one address leaves room for others, a client that reads slowly gets every reply while
//! upsd stops reading its requests, and bad bytes are logged once per line, rate-limited.
//!
//! Second source addresses come from the loopback range (127.0.0.2, 127.0.0.3).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nut_testkit::{FakeDriver, FakeDriverBehaviour, Impl, LineClient, ProcId, Sandbox};

fn dump() -> Vec<String> {
    ["SETINFO ups.status \"OL\"", "SETINFO driver.name \"fake\"", "SETINFO battery.charge \"100\"", "DATAOK", "DUMPDONE"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Our (or NUT's) upsd with `extra` in upsd.conf, serving UPS `ups` from a fake driver.
fn start(imp: Impl, extra: &str) -> (Sandbox, ProcId, FakeDriver) {
    let mut sb = Sandbox::new();
    sb.write_ups_conf("[ups]\n\tdriver = dummy-ups\n\tport = ups.dev\n");
    sb.write_upsd_conf(extra);
    sb.write_upsd_users("[admin]\n\tpassword = Zq7-upsd-test\n");
    let fake = FakeDriver::start(&sb.driver_socket("dummy-ups", "ups"), FakeDriverBehaviour::Scripted { dump: dump() });
    let upsd = sb.try_start_upsd(imp, &["-F"]).unwrap_or_else(|e| panic!("{imp} upsd did not start: {e}"));
    sb.wait_ups_ready("ups", Some(upsd)).unwrap_or_else(|e| panic!("{e}"));
    (sb, upsd, fake)
}

/// Everything upsd wrote to stderr and stdout so far (not cut short).
fn full_log(sb: &Sandbox, label: &str) -> String {
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

/// A TCP connection to 127.0.0.1:`port` from source address `src`.
fn connect_from(src: Ipv4Addr, port: u16) -> std::io::Result<TcpStream> {
    use nix::sys::socket::{bind, connect, socket, AddressFamily, SockFlag, SockType, SockaddrIn};
    let fd: OwnedFd = socket(AddressFamily::Inet, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)?;
    bind(fd.as_raw_fd(), &SockaddrIn::from(SocketAddrV4::new(src, 0)))?;
    connect(fd.as_raw_fd(), &SockaddrIn::from(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)))?;
    let s = TcpStream::from(fd);
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    s.set_write_timeout(Some(Duration::from_secs(3)))?;
    Ok(s)
}

/// True when the server closed `s` at once (EOF or reset within `wait`) without answering.
fn refused(s: &mut TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).expect("timeout");
    let _ = s.write_all(b"VER\n");
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
    }
}

/// Asks for ups.status and expects the right answer.
fn answers(s: &mut TcpStream) -> bool {
    let mut line = String::new();
    s.write_all(b"GET VAR ups ups.status\n").is_ok()
        && BufReader::new(&mut *s).read_line(&mut line).is_ok()
        && line == "VAR ups ups.status \"OL\"\n"
}

fn count(log: &str, needle: &str) -> usize {
    log.lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn per_address_cap_refuses_at_once_and_leaves_room_for_others() {
    let (sb, upsd, _fake) = start(Impl::Ours, "MAXCONN 100\nMAXCONN_PER_ADDR 5\n");
    let port = sb.port();
    let mut held = Vec::new();
    for i in 0..5 {
        let mut s = connect_from(Ipv4Addr::new(127, 0, 0, 2), port).expect("connect");
        assert!(answers(&mut s), "connection {i} from 127.0.0.2 got no answer");
        held.push(s);
    }
    // Twenty more from the flooding address: each is closed at once.
    let started = Instant::now();
    for i in 0..20 {
        let mut s = connect_from(Ipv4Addr::new(127, 0, 0, 2), port).expect("connect");
        assert!(refused(&mut s, Duration::from_secs(2)), "connection {} from 127.0.0.2 past the cap was not closed", i + 6);
    }
    assert!(started.elapsed() < Duration::from_secs(20), "refusals were not immediate");
    // Another address is served.
    let mut other = connect_from(Ipv4Addr::new(127, 0, 0, 3), port).expect("connect from 127.0.0.3");
    assert!(answers(&mut other), "127.0.0.3 got no answer while 127.0.0.2 was at its cap\n{}", sb.logs());
    // One line per refusal at most, rate-limited to a burst.
    let log = full_log(&sb, "upsd-ours");
    let lines = count(&log, "Rejecting connection from 127.0.0.2: it already has 5 connections (MAXCONN_PER_ADDR)");
    assert!((1..=5).contains(&lines), "expected 1..=5 refusal lines, got {lines}:\n{log}");
    // Freeing one slot lets that address in again.
    drop(held.pop());
    std::thread::sleep(Duration::from_millis(300));
    let mut again = connect_from(Ipv4Addr::new(127, 0, 0, 2), port).expect("connect");
    assert!(answers(&mut again), "127.0.0.2 not served after one of its connections closed");
    let _ = upsd;
}

/// MAXCONN counts drivers and clients (not listeners), as NUT 2.8.0 does: with MAXCONN 6 and
/// one driver, five clients. Ours closes the next one at once with a log line; NUT leaves it
/// waiting unanswered (`maxconn_under_nut_leaves_the_client_hanging`).
fn maxconn_first_five(imp: Impl) -> (Sandbox, FakeDriver, Vec<TcpStream>) {
    let (sb, _upsd, fake) = start(imp, "MAXCONN 6\n");
    // The readiness check's connections must be gone.
    std::thread::sleep(Duration::from_millis(300));
    let port = sb.port();
    let mut held = Vec::new();
    for i in 0..5 {
        let mut s = connect_from(Ipv4Addr::new(127, 0, 0, 1 + (i % 2)), port).expect("connect");
        assert!(answers(&mut s), "{imp} upsd: client {i} under MAXCONN got no answer\n{}", sb.logs());
        held.push(s);
    }
    (sb, fake, held)
}

#[test]
fn maxconn_refuses_at_once_with_a_log_line() {
    let (sb, _fake, held) = maxconn_first_five(Impl::Ours);
    let port = sb.port();
    for i in 0..10 {
        let mut s = connect_from(Ipv4Addr::new(127, 0, 0, 3), port).expect("connect");
        assert!(refused(&mut s, Duration::from_secs(2)), "client {} past MAXCONN was left hanging", i + 6);
    }
    let log = full_log(&sb, "upsd-ours");
    let lines = count(&log, "Rejecting connection from 127.0.0.3: MAXCONN (6) reached");
    assert!((1..=5).contains(&lines), "expected 1..=5 MAXCONN lines, got {lines}:\n{log}");
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let mut c = LineClient::connect(port).expect("connect");
    assert_eq!(c.request("GET VAR ups ups.status").expect("reply"), "VAR ups ups.status \"OL\"\n");
}

/// A client that sends many requests before reading any reply: upsd stops reading its
/// requests while the replies pile up, serves others meanwhile, and loses none.
#[test]
fn slow_reader_gets_every_reply_and_does_not_block_others() {
    let (sb, upsd, _fake) = start(Impl::Ours, "");
    let port = sb.port();
    const N: usize = 20_000;
    let s = connect_from(Ipv4Addr::LOCALHOST, port).expect("connect");
    let mut w = s.try_clone().expect("clone");
    let writer = std::thread::spawn(move || {
        let req = b"LIST VAR ups\n".repeat(1000);
        for _ in 0..N / 1000 {
            w.write_all(&req).expect("upsd must keep the slow client connected");
        }
    });
    std::thread::sleep(Duration::from_secs(1));
    let mut other = LineClient::connect_with(port, Duration::from_secs(3)).expect("connect");
    assert_eq!(other.request("GET VAR ups battery.charge").expect("reply"), "VAR ups battery.charge \"100\"\n");
    let rss = std::fs::read_to_string(format!("/proc/{}/status", sb.pid(upsd))).unwrap_or_default();
    let rss_kb: u64 = rss.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0);
    assert!(rss_kb > 0 && rss_kb < 32 * 1024, "upsd VmRSS {rss_kb} kB while a client does not read");
    // Now read everything: N complete lists, in order.
    let mut r = BufReader::new(s);
    r.get_mut().set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut ends = 0;
    let mut line = String::new();
    while ends < N {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) => panic!("upsd closed the slow reader after {ends} of {N} lists\n{}", sb.logs()),
            Ok(_) => {
                if line == "END LIST VAR ups\n" {
                    ends += 1;
                }
            }
            Err(e) => panic!("slow reader: {e} after {ends} of {N} lists\n{}", sb.logs()),
        }
    }
    writer.join().expect("writer");
    let log = full_log(&sb, "upsd-ours");
    assert_eq!(count(&log, "not reading"), 0, "the slow reader was treated as dead:\n{log}");
}

/// NUT logs one line per bad byte; ours one per offending line, and at most a burst of
/// them per window, however many lines come.
#[test]
fn bad_bytes_are_logged_once_per_line_and_rate_limited() {
    let (sb, _upsd, _fake) = start(Impl::Ours, "");
    let mut c = LineClient::connect(sb.port()).expect("connect");
    // One line with 3 control bytes: still answered (the bytes are dropped), one log line.
    assert_eq!(c.request("GET VAR ups \x01ups.\x02status\x03").expect("reply"), "VAR ups ups.status \"OL\"\n");
    std::thread::sleep(Duration::from_millis(200));
    let log = full_log(&sb, "upsd-ours");
    assert_eq!(count(&log, "Bad request from 127.0.0.1: 3 control or non-ASCII bytes dropped"), 1, "{log}");
    // 200 more such lines: a handful of log lines, and a note of how many were held back later.
    let mut flood = Vec::new();
    for _ in 0..200 {
        flood.extend_from_slice(b"VER\x07\x08\n");
    }
    c.send_raw(&flood).expect("send");
    for _ in 0..200 {
        c.read_line().expect("VER answered");
    }
    let log = full_log(&sb, "upsd-ours");
    let n = count(&log, "Bad request from 127.0.0.1");
    assert!(n <= 5, "{n} log lines for 201 bad lines:\n{log}");
    // A 1 MB line, once the window is over: one line about it, however long it gets.
    std::thread::sleep(Duration::from_millis(10_500));
    let mut raw = TcpStream::connect(("127.0.0.1", sb.port())).expect("connect");
    raw.set_write_timeout(Some(Duration::from_secs(5))).expect("timeout");
    for _ in 0..64 {
        raw.write_all(&[b'A'; 16 * 1024]).expect("write");
    }
    raw.write_all(b"\n").expect("write");
    std::thread::sleep(Duration::from_millis(300));
    let log = full_log(&sb, "upsd-ours");
    assert_eq!(count(&log, "line cut to 32 words of 512 bytes"), 1, "{log}");
    assert!(log.contains("similar messages suppressed)"), "held-back lines were not counted:\n{log}");
}

/// ALLOW_FROM (our extension): other addresses are closed at once, logged at most a burst of
/// lines however many try.
#[test]
fn allow_from_refuses_other_addresses_rate_limited() {
    let (sb, _upsd, _fake) = start(Impl::Ours, "ALLOW_FROM 127.0.0.1 127.0.0.2/32\n");
    let port = sb.port();
    let mut ok = connect_from(Ipv4Addr::new(127, 0, 0, 2), port).expect("connect");
    assert!(answers(&mut ok), "127.0.0.2 is allowed");
    for i in 0..20 {
        let mut s = connect_from(Ipv4Addr::new(127, 0, 0, 3), port).expect("connect");
        assert!(refused(&mut s, Duration::from_secs(2)), "connection {i} from 127.0.0.3 was served");
    }
    let log = full_log(&sb, "upsd-ours");
    let lines = count(&log, "Rejecting connection from 127.0.0.3: not in ALLOW_FROM");
    assert!((1..=5).contains(&lines), "expected 1..=5 lines, got {lines}:\n{log}");
}

/// What ours improves on, pinned: NUT 2.8.0's upsd logs one line per bad byte.
#[test]
fn bad_bytes_under_nut_are_logged_per_byte() {
    let (sb, _upsd, _fake) = start(Impl::Nut, "");
    let mut c = LineClient::connect(sb.port()).expect("connect");
    assert_eq!(c.request("GET VAR ups \x01ups.\x02status\x03").expect("reply"), "VAR ups ups.status \"OL\"\n");
    std::thread::sleep(Duration::from_millis(300));
    let log = full_log(&sb, "upsd-nut");
    assert_eq!(count(&log, "discarding invalid character"), 3, "{log}");
}

/// Pinned: NUT 2.8.0's upsd accepts the same five, and past MAXCONN neither answers nor
/// closes a new client.
#[test]
fn maxconn_under_nut_leaves_the_client_hanging() {
    let (sb, _fake, _held) = maxconn_first_five(Impl::Nut);
    let mut extra = connect_from(Ipv4Addr::new(127, 0, 0, 3), sb.port()).expect("connect (the kernel accepts into the backlog)");
    extra.set_read_timeout(Some(Duration::from_secs(2))).expect("timeout");
    let _ = extra.write_all(b"VER\n");
    let mut buf = [0u8; 64];
    match extra.read(&mut buf) {
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
        other => panic!("NUT 2.8.0 past MAXCONN no longer hangs: {other:?}"),
    }
}
