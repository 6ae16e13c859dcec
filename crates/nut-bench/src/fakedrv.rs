//! Two small timing tools with plain blocking I/O:
//!
//! * [`wait_ready`]: poll the server until `GET VAR` answers with real data
//!   (start-up time);
//! * [`propagate`]: play the driver on the Unix socket the server connects
//!   to, push `SETINFO ups.status`, and time how long until a client's
//!   `GET VAR` shows the new value.

use nut_proto::sock::DriverMsg;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One `GET VAR` on a fresh connection; the answer line without LF.
fn get_once(addr: SocketAddr, ups: &str, var: &str, timeout: Duration) -> io::Result<String> {
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_nodelay(true)?;
    s.write_all(format!("GET VAR {ups} {var}\n").as_bytes())?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line)?;
    Ok(line.trim_end().to_string())
}

fn is_data(line: &str) -> bool {
    line.starts_with("VAR ") && !line.ends_with("\"WAIT\"")
}

/// One `VER` on a fresh connection.
fn ver_once(addr: SocketAddr, timeout: Duration) -> io::Result<String> {
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.write_all(b"VER\n")?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line)?;
    Ok(line.trim_end().to_string())
}

/// Poll until the server has data for `ups` (or, with `ver_only`, answers
/// `VER` at all); the time it took.
pub fn wait_ready(addr: SocketAddr, ups: &str, var: &str, limit: Duration, ver_only: bool) -> Result<Duration, String> {
    let start = Instant::now();
    let mut last = String::from("no answer");
    while start.elapsed() < limit {
        let got = if ver_only {
            ver_once(addr, Duration::from_millis(500)).map(|l| (l.starts_with("Network UPS Tools"), l))
        } else {
            get_once(addr, ups, var, Duration::from_millis(500)).map(|l| (is_data(&l), l))
        };
        match got {
            Ok((true, _)) => return Ok(start.elapsed()),
            Ok((false, line)) => last = line,
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    Err(format!("no data from {addr} for {ups} within {limit:?}; last: {last}"))
}

/// What `propagate` measured.
pub struct Propagation {
    pub samples_ns: Vec<u64>,
    pub timeouts: usize,
    pub gets: u64,
}

fn dump_from_dev(dev: &Path) -> Result<(String, String), String> {
    let text = std::fs::read(dev).map_err(|e| format!("{}: {e}", dev.display()))?;
    let parsed = nut_conf::devfile::parse(&text, dev);
    let mut out = String::new();
    let mut status = "OL".to_string();
    let mut seen = std::collections::BTreeMap::new();
    for l in parsed.value.until_first_timer() {
        if let nut_conf::devfile::Entry::Set { var, value } = &l.entry {
            seen.insert(var.clone(), value.clone());
        }
    }
    seen.insert("driver.name".into(), "dummy-ups".into());
    for (var, value) in &seen {
        if var == "ups.status" {
            status.clone_from(value);
        }
        out.push_str(&DriverMsg::SetInfo { var: var.clone(), value: value.clone() }.render());
    }
    if !seen.contains_key("ups.status") {
        out.push_str(&DriverMsg::SetInfo { var: "ups.status".into(), value: status.clone() }.render());
    }
    out.push_str("DATAOK\nDUMPDONE\n");
    Ok((out, status))
}

fn bind_fresh(path: &Path) -> Result<UnixListener, String> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(format!("{} exists and is not a socket; not touching it", path.display()));
        }
        std::fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    UnixListener::bind(path).map_err(|e| format!("bind {}: {e}", path.display()))
}

fn accept_within(l: &UnixListener, limit: Duration) -> Result<UnixStream, String> {
    l.set_nonblocking(true).map_err(|e| e.to_string())?;
    let start = Instant::now();
    loop {
        match l.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).map_err(|e| e.to_string())?;
                return Ok(s);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if start.elapsed() > limit {
                    return Err(format!("the server did not connect to the driver socket within {limit:?}"));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(format!("accept: {e}")),
        }
    }
}

/// Serve one upsd connection as a driver would: answer DUMPALL and PING.
fn serve(reader: UnixStream, writer: Arc<Mutex<UnixStream>>, dump: String) {
    let mut r = BufReader::new(reader);
    let mut line = String::new();
    loop {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let words = nut_proto::lexer::split_line(&line).unwrap_or_default();
        let reply: Option<&str> = match words.first().map(|w| w.to_ascii_uppercase()) {
            Some(w) if w == "DUMPALL" => Some(&dump),
            Some(w) if w == "PING" => Some("PONG\n"),
            _ => None,
        };
        if let Some(text) = reply {
            let Ok(mut w) = writer.lock() else { return };
            if w.write_all(text.as_bytes()).is_err() {
                return;
            }
        }
    }
}

/// Measure status propagation through the server `rounds` times.
pub fn propagate(
    addr: SocketAddr,
    ups: &str,
    socket: &Path,
    dev: &Path,
    rounds: usize,
    timeout: Duration,
) -> Result<Propagation, String> {
    let (dump, initial) = dump_from_dev(dev)?;
    let listener = bind_fresh(socket)?;
    let result = (|| {
        let conn = accept_within(&listener, Duration::from_secs(30))?;
        let writer = Arc::new(Mutex::new(conn.try_clone().map_err(|e| e.to_string())?));
        let w2 = writer.clone();
        std::thread::spawn(move || serve(conn, w2, dump));
        wait_ready(addr, ups, "ups.status", Duration::from_secs(30), false)?;

        let mut client = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
        client.set_nodelay(true).map_err(|e| e.to_string())?;
        client.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(client.try_clone().map_err(|e| e.to_string())?);
        let request = format!("GET VAR {ups} ups.status\n");
        let mut out = Propagation { samples_ns: Vec::with_capacity(rounds), timeouts: 0, gets: 0 };
        let mut line = String::new();
        for round in 0..rounds {
            let value = if round % 2 == 0 { "OB DISCHRG" } else { initial.as_str() };
            let value = if round % 2 == 1 && value.eq_ignore_ascii_case("OB DISCHRG") { "OL" } else { value };
            let want = format!("VAR {ups} ups.status \"{}\"", nut_proto::lexer::escape(value));
            let msg = DriverMsg::SetInfo { var: "ups.status".into(), value: value.into() }.render();
            let t0 = Instant::now();
            writer
                .lock()
                .map_err(|_| "driver writer poisoned".to_string())?
                .write_all(msg.as_bytes())
                .map_err(|e| format!("driver socket write: {e}"))?;
            loop {
                client.write_all(request.as_bytes()).map_err(|e| format!("client write: {e}"))?;
                line.clear();
                let n = reader.read_line(&mut line).map_err(|e| format!("client read: {e}"))?;
                if n == 0 {
                    return Err("server closed the client connection".into());
                }
                out.gets += 1;
                if line.trim_end() == want {
                    out.samples_ns.push(t0.elapsed().as_nanos() as u64);
                    break;
                }
                if t0.elapsed() > timeout {
                    out.timeouts += 1;
                    break;
                }
            }
            // Let the server settle between rounds (and answer its PINGs).
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = client.write_all(b"LOGOUT\n");
        let mut sink = Vec::new();
        let _ = client.set_read_timeout(Some(Duration::from_millis(200)));
        let _ = client.read_to_end(&mut sink);
        Ok(out)
    })();
    let _ = std::fs::remove_file(socket);
    result
}
