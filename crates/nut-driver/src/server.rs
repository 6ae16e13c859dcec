//! The driver's Unix socket: any number of clients (upsd, upsdrvctl, debug
//! tools), each with its own line splitter and output buffer, served from
//! one mio loop. A client that sends garbage is logged at a limited rate;
//! one that stops reading is dropped once its backlog passes a cap, so
//! neither can stall the others.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mio::net::{UnixListener, UnixStream};
use mio::{Interest, Registry, Token};
use nut_proto::lexer::{Lexer, Step};

/// Most bytes queued for one client before it is considered stuck.
pub const MAX_BACKLOG: usize = 4 * 1024 * 1024;
/// Most bytes read from one client per loop pass (fairness).
pub const READ_BUDGET: usize = 64 * 1024;
/// Most clients at once.
pub const MAX_CLIENTS: usize = 256;
/// Complaints about one client's bad lines logged per window.
const COMPLAINTS_PER_WINDOW: u32 = 3;
const COMPLAINT_WINDOW: Duration = Duration::from_secs(60);

/// First token used for clients; lower ones belong to the event loop.
pub const FIRST_CLIENT: usize = 16;

/// One connected client.
#[derive(Debug)]
pub struct Client {
    stream: UnixStream,
    lexer: Lexer,
    out: Vec<u8>,
    out_pos: usize,
    /// False after `NOBROADCAST`.
    pub broadcast: bool,
    /// Close once the output is flushed (`LOGOUT`).
    pub closing: bool,
    dead: bool,
    wants_write: bool,
    /// More input may be waiting (the read budget ran out).
    pub more_input: bool,
    complaints: u32,
    suppressed: u32,
    window_start: Option<Instant>,
}

impl Client {
    fn new(stream: UnixStream) -> Client {
        Client {
            stream,
            lexer: Lexer::new(),
            out: Vec::new(),
            out_pos: 0,
            broadcast: true,
            closing: false,
            dead: false,
            wants_write: false,
            more_input: false,
            complaints: 0,
            suppressed: 0,
            window_start: None,
        }
    }

    /// True once the client is being dropped (gone, stuck or logged out):
    /// nothing more it sent is worth handling.
    pub fn is_done(&self) -> bool {
        self.dead || self.closing
    }

    fn backlog(&self) -> usize {
        self.out.len() - self.out_pos
    }

    /// Queue bytes for this client.
    pub fn send(&mut self, data: &str) {
        if self.dead {
            return;
        }
        if self.backlog() + data.len() > MAX_BACKLOG {
            log::warn!("Driver socket client is not reading its data; disconnecting it");
            self.dead = true;
            return;
        }
        self.out.extend_from_slice(data.as_bytes());
    }

    fn flush(&mut self) {
        while self.out_pos < self.out.len() {
            match self.stream.write(&self.out[self.out_pos..]) {
                Ok(0) => {
                    self.dead = true;
                    return;
                }
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.dead = true;
                    return;
                }
            }
        }
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
            if self.closing {
                self.dead = true;
            }
        } else if self.out_pos > 64 * 1024 {
            self.out.drain(..self.out_pos);
            self.out_pos = 0;
        }
    }

    /// Log a line this client sent that we could not use, at most a few
    /// times a minute per client (NUT logs every one; a client could
    /// flood the log that way).
    pub fn complain(&mut self, lines: &[String]) {
        let now = Instant::now();
        let fresh = self.window_start.map_or(true, |t| now.duration_since(t) >= COMPLAINT_WINDOW);
        if fresh {
            if self.suppressed > 0 {
                log::warn!("Driver socket: {} more bad lines from one client were not logged", self.suppressed);
            }
            self.window_start = Some(now);
            self.complaints = 0;
            self.suppressed = 0;
        }
        if self.complaints < COMPLAINTS_PER_WINDOW {
            self.complaints += 1;
            for line in lines {
                log::warn!("{line}");
            }
        } else {
            self.suppressed += 1;
        }
    }
}

/// The listening socket and its clients.
#[derive(Debug)]
pub struct SockServer {
    listener: UnixListener,
    path: PathBuf,
    listener_token: Token,
    next_token: usize,
    /// Logged for every new client (NUT's words about the socket mode).
    pub connect_note: Option<String>,
    /// Connected clients by token.
    pub clients: HashMap<Token, Client>,
}

/// Create the socket at `path`: remove a leftover first, then make it
/// owner/group read-write only (and give it to `group` when one is named).
pub fn bind(path: &Path, gid: Option<u32>) -> io::Result<UnixListener> {
    if path.as_os_str().len() >= 108 {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "socket path too long"));
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    // Bind under a umask that leaves no bits for others, so the socket is
    // never reachable by everybody, not even before the chmod below.
    let old_mask = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o117));
    let bound = UnixListener::bind(path);
    nix::sys::stat::umask(old_mask);
    let listener = bound?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    if let Some(gid) = gid {
        if let Err(e) = nix::unistd::chown(path, None, Some(nix::unistd::Gid::from_raw(gid))) {
            log::warn!("Can't chgrp {}: {}", path.display(), e.desc());
        }
    }
    Ok(listener)
}

impl SockServer {
    /// Serve on an already bound listener.
    pub fn new(listener: UnixListener, path: PathBuf, registry: &Registry, token: Token) -> io::Result<SockServer> {
        let mut listener = listener;
        registry.register(&mut listener, token, Interest::READABLE)?;
        Ok(SockServer {
            listener,
            path,
            listener_token: token,
            next_token: FIRST_CLIENT,
            connect_note: None,
            clients: HashMap::new(),
        })
    }

    /// The listener's token.
    pub fn listener_token(&self) -> Token {
        self.listener_token
    }

    /// Accept every pending connection.
    pub fn accept(&mut self, registry: &Registry) {
        loop {
            match self.listener.accept() {
                Ok((mut stream, _)) => {
                    if self.clients.len() >= MAX_CLIENTS {
                        log::warn!("Driver socket: too many clients, refusing a new one");
                        continue;
                    }
                    let token = Token(self.next_token);
                    self.next_token += 1;
                    if registry.register(&mut stream, token, Interest::READABLE).is_ok() {
                        if let Some(note) = &self.connect_note {
                            log::info!("{note}");
                        }
                        self.clients.insert(token, Client::new(stream));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("accept on driver socket failed: {e}");
                    break;
                }
            }
        }
    }

    /// Read what a client sent (up to the read budget) and return the
    /// complete lines, as word lists or lexing errors.
    pub fn read_lines(&mut self, token: Token) -> Vec<Result<Vec<String>, String>> {
        let mut lines = Vec::new();
        let Some(client) = self.clients.get_mut(&token) else { return lines };
        let mut buf = [0u8; 4096];
        let mut budget = READ_BUDGET;
        client.more_input = false;
        loop {
            if client.dead {
                break;
            }
            if budget == 0 {
                client.more_input = true;
                break;
            }
            let want = buf.len().min(budget);
            match client.stream.read(&mut buf[..want]) {
                Ok(0) => {
                    client.dead = true;
                    break;
                }
                Ok(n) => {
                    budget -= n;
                    for &b in &buf[..n] {
                        match client.lexer.push(b) {
                            Step::Pending => {}
                            Step::Line(words) => lines.push(Ok(words)),
                            Step::Error(e) => lines.push(Err(e.to_string())),
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    client.dead = true;
                    break;
                }
            }
        }
        lines
    }

    /// Send `data` to every client that has not asked for silence.
    pub fn broadcast(&mut self, data: &str) {
        for client in self.clients.values_mut() {
            if client.broadcast {
                client.send(data);
            }
        }
    }

    /// Write what can be written, watch for writability where output is
    /// left, and drop clients that went away.
    pub fn flush_all(&mut self, registry: &Registry) {
        let mut gone = Vec::new();
        for (token, client) in self.clients.iter_mut() {
            if !client.dead {
                client.flush();
            }
            if client.dead {
                gone.push(*token);
                continue;
            }
            let wants = client.backlog() > 0;
            if wants != client.wants_write {
                let interest = if wants { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE };
                if registry.reregister(&mut client.stream, *token, interest).is_err() {
                    client.dead = true;
                    gone.push(*token);
                    continue;
                }
                client.wants_write = wants;
            }
        }
        for token in gone {
            if let Some(mut client) = self.clients.remove(&token) {
                let _ = registry.deregister(&mut client.stream);
                nut_daemon::debugx!(3, "driver socket client disconnected");
            }
        }
    }

    /// Tokens of clients whose read budget ran out last time.
    pub fn clients_with_more_input(&self) -> Vec<Token> {
        self.clients.iter().filter(|(_, c)| c.more_input && !c.dead).map(|(t, _)| *t).collect()
    }

    /// Remove the socket file.
    pub fn remove_file(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
