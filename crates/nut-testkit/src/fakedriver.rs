//! A scripted stand-in for a driver's Unix socket (the driver is the server side).
//!
//! upsd finds a driver at `<STATEPATH>/<driver>-<ups>`; a [`FakeDriver`] listening there can
//! publish things dummy-ups 2.8.0 cannot (enums, ranges), or misbehave on purpose.

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum FakeDriverBehaviour {
    /// Answer `DUMPALL` with these lines (each sent with `\n`), `PING` with `PONG`, echo
    /// `SET var "value"` as `SETINFO`, and answer any `TRACKING <id>` with result 0.
    Scripted { dump: Vec<String> },
    /// On the first connection send these bytes, close, remove the socket and stop listening.
    GarbageThenDie { bytes: Vec<u8> },
}

pub struct FakeDriver {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    received: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

/// Split a socket line into words: `"..."` quoting and backslash escapes (enough for upsd's
/// messages; not a full parseconf implementation).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut in_q, mut have, mut esc) = (false, false, false);
    for ch in line.chars() {
        if esc {
            cur.push(ch);
            esc = false;
            continue;
        }
        match ch {
            '\\' => {
                esc = true;
                have = true;
            }
            '"' => {
                in_q = !in_q;
                have = true;
            }
            c if c.is_whitespace() && !in_q => {
                if have {
                    out.push(std::mem::take(&mut cur));
                    have = false;
                }
            }
            c => {
                cur.push(c);
                have = true;
            }
        }
    }
    if have {
        out.push(cur);
    }
    out
}

fn quote(v: &str) -> String {
    let mut s = String::from("\"");
    for c in v.chars() {
        if matches!(c, '"' | '\\' | '#') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

impl FakeDriver {
    /// Listen at `path` (mode 0666 so a privilege-dropped upsd can connect).
    pub fn start(path: &Path, behaviour: FakeDriverBehaviour) -> FakeDriver {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).unwrap_or_else(|e| panic!("bind {}: {e}", path.display()));
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666));
        listener.set_nonblocking(true).expect("nonblocking listener");
        let stop = Arc::new(AtomicBool::new(false));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (s2, r2, p2) = (stop.clone(), received.clone(), path.to_path_buf());
        let thread = std::thread::spawn(move || serve(listener, behaviour, s2, r2, p2));
        FakeDriver { path: path.to_path_buf(), stop, received, thread: Some(thread) }
    }

    /// Lines received from upsd so far.
    pub fn received(&self) -> Vec<String> {
        self.received.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

fn serve(
    listener: UnixListener,
    behaviour: FakeDriverBehaviour,
    stop: Arc<AtomicBool>,
    received: Arc<Mutex<Vec<String>>>,
    path: PathBuf,
) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((conn, _)) => match &behaviour {
                FakeDriverBehaviour::Scripted { dump } => handle_scripted(conn, dump, &stop, &received),
                FakeDriverBehaviour::GarbageThenDie { bytes } => {
                    let mut conn = conn;
                    let _ = conn.set_write_timeout(Some(Duration::from_secs(2)));
                    let _ = conn.write_all(bytes);
                    drop(conn);
                    let _ = std::fs::remove_file(&path);
                    return;
                }
            },
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn handle_scripted(conn: UnixStream, dump: &[String], stop: &AtomicBool, received: &Mutex<Vec<String>>) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_millis(100)));
    let _ = conn.set_write_timeout(Some(Duration::from_secs(2)));
    let mut writer = match conn.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(conn);
    let mut buf = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => return,
            Ok(_) if !buf.ends_with(b"\n") => continue,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => return,
        }
        let line = String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_string();
        buf.clear();
        if let Ok(mut r) = received.lock() {
            r.push(line.clone());
        }
        let w = words(&line);
        let mut reply = String::new();
        match w.first().map(|s| s.to_ascii_uppercase()).as_deref() {
            Some("DUMPALL") => {
                for l in dump {
                    reply.push_str(l);
                    reply.push('\n');
                }
            }
            Some("PING") => reply.push_str("PONG\n"),
            Some("SET") if w.len() >= 3 => {
                reply.push_str(&format!("SETINFO {} {}\n", w[1], quote(&w[2])));
                if w.len() >= 5 && w[3].eq_ignore_ascii_case("TRACKING") {
                    reply.push_str(&format!("TRACKING {} 0\n", w[4]));
                }
            }
            Some("INSTCMD") => {
                if let Some(pos) = w.iter().position(|x| x.eq_ignore_ascii_case("TRACKING")) {
                    if let Some(id) = w.get(pos + 1) {
                        reply.push_str(&format!("TRACKING {id} 0\n"));
                    }
                }
            }
            _ => {}
        }
        if !reply.is_empty() && writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

impl Drop for FakeDriver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn splits_quoted_words() {
        assert_eq!(words(r#"SET ups.id "a b\"c" TRACKING X"#), vec!["SET", "ups.id", "a b\"c", "TRACKING", "X"]);
        assert_eq!(words(r#"SET x """#), vec!["SET", "x", ""]);
    }
}
