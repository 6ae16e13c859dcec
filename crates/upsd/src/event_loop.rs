//! The single-threaded mio loop: listeners, client connections, driver
//! sockets and signals. It reads, feeds [`Server`], and performs the
//! [`Action`]s it gets back. Every socket is non-blocking with its own
//! output buffer, so a slow peer never holds up anyone else.

use crate::server::{Action, ClientId, Level, Server};
use mio::net::{TcpListener, TcpStream, UnixStream};
use mio::{Events, Interest, Poll, Token};
use nut_proto::lexer::{Lexer, Step};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// A client whose unsent output grows past this is dropped.
pub const CLIENT_OUTPUT_CAP: usize = 1 << 20;
/// Same for a driver that stops reading.
pub const DRIVER_OUTPUT_CAP: usize = 1 << 20;
/// Seconds between "Can't connect to UPS" messages for one UPS.
pub const CONNECT_LOG_EVERY: Duration = Duration::from_secs(300);
/// How often the periodic pass (reconnects, pings, timeouts) runs.
pub const PASS_EVERY: Duration = Duration::from_secs(2);

const SIGNAL_TOKEN: Token = Token(usize::MAX - 1);
const FIRST_DYNAMIC: usize = 1024;

/// What the loop should do after a signal.
pub enum Control {
    Reload,
    Exit(i32),
}

/// Reload hook: returns the new configuration for the server, or logs why
/// the old one is kept.
pub trait Reloader {
    fn reload(&mut self, server: &mut Server, now: Instant) -> Vec<Action>;
}

struct OutBuf {
    data: Vec<u8>,
    sent: usize,
}

impl OutBuf {
    fn new() -> OutBuf {
        OutBuf { data: Vec::new(), sent: 0 }
    }
    fn pending(&self) -> usize {
        self.data.len() - self.sent
    }
    fn push(&mut self, bytes: &[u8]) {
        if self.sent > 0 && self.sent == self.data.len() {
            self.data.clear();
            self.sent = 0;
        }
        self.data.extend_from_slice(bytes);
    }
    /// Write as much as the socket takes. Err means the peer is gone.
    fn flush<W: Write>(&mut self, w: &mut W) -> io::Result<()> {
        while self.sent < self.data.len() {
            match w.write(&self.data[self.sent..]) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0")),
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.sent == self.data.len() {
            self.data.clear();
            self.sent = 0;
        } else if self.sent > 64 * 1024 {
            self.data.drain(..self.sent);
            self.sent = 0;
        }
        Ok(())
    }
}

struct ClientConn {
    stream: TcpStream,
    addr: String,
    lexer: Lexer,
    out: OutBuf,
    close_when_flushed: bool,
}

struct DriverConn {
    ups: String,
    stream: UnixStream,
    lexer: Lexer,
    out: OutBuf,
}

/// Everything the loop owns.
pub struct EventLoop {
    poll: Poll,
    listeners: Vec<TcpListener>,
    clients: HashMap<Token, ClientConn>,
    drivers: HashMap<Token, DriverConn>,
    driver_token: HashMap<String, Token>,
    connect_log: HashMap<String, Instant>,
    next_token: usize,
    signals: Option<nut_daemon::signals::Signals>,
    pub server: Server,
    /// Most connections polled (listeners + drivers + clients).
    pub maxconn: usize,
    /// Client address filter (upsd.conf ALLOW_FROM).
    pub allow: Box<dyn Fn(IpAddr) -> bool>,
}

fn ip_text(addr: &SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        IpAddr::V4(v4) => v4.to_string(),
    }
}

fn log_action(level: Level, text: &str) {
    match level {
        Level::Error => log::error!("{text}"),
        Level::Warn => log::warn!("{text}"),
        Level::Info => log::info!("{text}"),
        Level::Debug(n) => nut_daemon::debugx!(n, "{text}"),
    }
}

/// Bind one listening socket (IPv6 ones are V6ONLY, as NUT does).
pub fn bind_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    use nix::sys::socket::{bind, listen, setsockopt, socket, sockopt, AddressFamily, Backlog, SockFlag, SockType, SockaddrStorage};
    use std::os::fd::AsRawFd;
    let family = if addr.is_ipv6() { AddressFamily::Inet6 } else { AddressFamily::Inet };
    let fd = socket(family, SockType::Stream, SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC, None)?;
    setsockopt(&fd, sockopt::ReuseAddr, &true)?;
    if addr.is_ipv6() {
        setsockopt(&fd, sockopt::Ipv6V6Only, &true)?;
    }
    bind(fd.as_raw_fd(), &SockaddrStorage::from(addr))?;
    // NUT listens with a backlog of 16, so a burst of connects (every
    // upsmon after a network blip, a scanner) waits for SYN retransmits of
    // 1 s and more. The kernel's limit costs nothing and no client sees it.
    listen(&fd, Backlog::MAXCONN)?;
    Ok(TcpListener::from_std(std::net::TcpListener::from(fd)))
}

impl EventLoop {
    pub fn new(server: Server, listeners: Vec<TcpListener>) -> io::Result<EventLoop> {
        let poll = Poll::new()?;
        let mut listeners = listeners;
        for (i, l) in listeners.iter_mut().enumerate() {
            poll.registry().register(l, Token(i), Interest::READABLE)?;
        }
        let mut signals = nut_daemon::signals::daemon_signals().ok();
        if let Some(s) = signals.as_mut() {
            poll.registry().register(s, SIGNAL_TOKEN, Interest::READABLE)?;
        }
        Ok(EventLoop {
            poll,
            listeners,
            clients: HashMap::new(),
            drivers: HashMap::new(),
            driver_token: HashMap::new(),
            connect_log: HashMap::new(),
            next_token: FIRST_DYNAMIC,
            signals,
            server,
            maxconn: usize::MAX,
            allow: Box::new(|_| true),
        })
    }

    fn token(&mut self) -> Token {
        let t = Token(self.next_token);
        self.next_token += 1;
        if self.next_token >= usize::MAX - 16 {
            self.next_token = FIRST_DYNAMIC;
        }
        t
    }

    fn conn_count(&self) -> usize {
        self.listeners.len() + self.clients.len() + self.drivers.len()
    }

    /// Run until a stop signal; returns the exit status.
    pub fn run(&mut self, reloader: &mut dyn Reloader) -> i32 {
        let mut events = Events::with_capacity(256);
        let mut next_pass = Instant::now();
        loop {
            let now = Instant::now();
            if now >= next_pass {
                self.pass(now);
                next_pass = now + PASS_EVERY;
            }
            let timeout = next_pass.saturating_duration_since(Instant::now());
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                log::error!("mainloop: {e}");
                continue;
            }
            for ev in events.iter() {
                let token = ev.token();
                if token == SIGNAL_TOKEN {
                    if let Some(ctl) = self.signals_pending() {
                        match ctl {
                            Control::Exit(sig) => {
                                log::info!("Signal {sig}: exiting");
                                return 0;
                            }
                            Control::Reload => {
                                log::info!("SIGHUP: reloading configuration");
                                let actions = reloader.reload(&mut self.server, Instant::now());
                                self.perform(actions);
                                self.pass(Instant::now());
                            }
                        }
                    }
                } else if token.0 < self.listeners.len() {
                    self.accept(token.0);
                } else if self.clients.contains_key(&token) {
                    if ev.is_writable() {
                        self.flush_client(token);
                    }
                    if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                        self.read_client(token, ev.is_read_closed() || ev.is_error());
                    }
                } else if self.drivers.contains_key(&token) {
                    if ev.is_writable() {
                        self.flush_driver(token);
                    }
                    if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                        self.read_driver(token);
                    }
                }
            }
        }
    }

    fn signals_pending(&mut self) -> Option<Control> {
        let signals = self.signals.as_mut()?;
        let mut ctl = None;
        for sig in signals.pending() {
            match sig {
                nut_daemon::signals::SIGHUP => {
                    if ctl.is_none() {
                        ctl = Some(Control::Reload);
                    }
                }
                nut_daemon::signals::SIGTERM | nut_daemon::signals::SIGINT | nut_daemon::signals::SIGQUIT => {
                    ctl = Some(Control::Exit(sig));
                }
                _ => {}
            }
        }
        ctl
    }

    /// The periodic pass: reconnect drivers, then let the server time out
    /// clients, ping drivers and purge tracking.
    pub fn pass(&mut self, now: Instant) {
        self.connect_drivers(now);
        let actions = self.server.tick(now);
        self.perform(actions);
    }

    fn connect_drivers(&mut self, now: Instant) {
        let wanted: Vec<(String, String)> = self
            .server
            .ups_list()
            .iter()
            .filter(|u| !self.driver_token.contains_key(&u.config.name))
            .map(|u| (u.config.name.clone(), u.config.socket_name()))
            .collect();
        for (ups, path) in wanted {
            if self.conn_count() >= self.maxconn {
                break;
            }
            match std::os::unix::net::UnixStream::connect(&path).and_then(|s| {
                s.set_nonblocking(true)?;
                Ok(s)
            }) {
                Ok(std_stream) => {
                    let mut stream = UnixStream::from_std(std_stream);
                    let token = self.token();
                    if let Err(e) =
                        self.poll.registry().register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
                    {
                        log::error!("Can't watch driver socket of UPS [{ups}]: {e}");
                        continue;
                    }
                    self.connect_log.remove(&ups);
                    self.driver_token.insert(ups.clone(), token);
                    self.drivers.insert(token, DriverConn { ups: ups.clone(), stream, lexer: Lexer::new(), out: OutBuf::new() });
                    let actions = self.server.driver_connected(&ups, now);
                    self.perform(actions);
                }
                Err(e) => {
                    let due = self.connect_log.get(&ups).map_or(true, |t| now.duration_since(*t) >= CONNECT_LOG_EVERY);
                    if due {
                        self.connect_log.insert(ups.clone(), now);
                        log::error!("Can't connect to UPS [{ups}] ({path}): {}", crate::strerror(&e));
                    }
                }
            }
        }
    }

    fn accept(&mut self, index: usize) {
        loop {
            let (mut stream, peer) = match self.listeners[index].accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("accept: {e}");
                    return;
                }
            };
            if !(self.allow)(peer.ip()) {
                log::warn!("Rejecting connection from {}: not in ALLOW_FROM", ip_text(&peer));
                continue;
            }
            if self.conn_count() >= self.maxconn {
                log::warn!("Rejecting connection from {}: MAXCONN ({}) reached", ip_text(&peer), self.maxconn);
                continue;
            }
            let _ = stream.set_nodelay(true);
            let token = self.token();
            if let Err(e) = self.poll.registry().register(&mut stream, token, Interest::READABLE | Interest::WRITABLE) {
                log::warn!("register client: {e}");
                continue;
            }
            let addr = ip_text(&peer);
            self.clients.insert(
                token,
                ClientConn { stream, addr: addr.clone(), lexer: Lexer::new(), out: OutBuf::new(), close_when_flushed: false },
            );
            let actions = self.server.client_connected(token.0 as ClientId, &addr, Instant::now());
            self.perform(actions);
        }
    }

    /// Read and answer what a client sent. A read shorter than the buffer
    /// emptied the socket, and new data raises a new edge, so we stop there
    /// instead of paying one more read for EAGAIN on every request; when the
    /// peer has closed (`until_eof`) we read on to see the end.
    fn read_client(&mut self, token: Token, until_eof: bool) {
        let mut buf = [0u8; 16384];
        loop {
            let Some(conn) = self.clients.get_mut(&token) else { return };
            let n = match conn.stream.read(&mut buf) {
                Ok(0) => {
                    self.drop_client(token);
                    return;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.drop_client(token);
                    return;
                }
            };
            let mut lines = Vec::new();
            for &b in &buf[..n] {
                match conn.lexer.push(b) {
                    Step::Pending => {}
                    Step::Line(words) => lines.push(Some(words)),
                    Step::Error(_) => {
                        // As NUT does, the rest of this read is dropped
                        // with the malformed line, and nothing is answered.
                        lines.push(None);
                        break;
                    }
                }
            }
            for line in lines {
                let now = Instant::now();
                let id = token.0 as ClientId;
                let actions = match line {
                    Some(words) => self.server.handle_client_line(id, &words, now),
                    None => self.server.client_bad_line(id, now),
                };
                self.perform(actions);
                if !self.clients.contains_key(&token) {
                    return;
                }
            }
            if n < buf.len() && !until_eof {
                return;
            }
        }
    }

    fn read_driver(&mut self, token: Token) {
        let mut buf = [0u8; 16384];
        loop {
            let Some(conn) = self.drivers.get_mut(&token) else { return };
            let n = match conn.stream.read(&mut buf) {
                Ok(0) => {
                    self.drop_driver(token);
                    return;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.drop_driver(token);
                    return;
                }
            };
            let ups = conn.ups.clone();
            let mut lines = Vec::new();
            for &b in &buf[..n] {
                match conn.lexer.push(b) {
                    Step::Pending => {}
                    Step::Line(words) => lines.push(Ok(words)),
                    Step::Error(e) => lines.push(Err(e)),
                }
            }
            let now = Instant::now();
            for line in lines {
                let actions = match line {
                    Ok(words) => self.server.handle_driver_line(&ups, &words, now),
                    Err(e) => self.server.driver_bad_line(&ups, &e.to_string(), now),
                };
                self.perform(actions);
            }
        }
    }

    fn flush_client(&mut self, token: Token) {
        let Some(conn) = self.clients.get_mut(&token) else { return };
        if conn.out.flush(&mut conn.stream).is_err() {
            self.drop_client(token);
            return;
        }
        if conn.close_when_flushed && conn.out.pending() == 0 {
            self.drop_client(token);
        }
    }

    fn flush_driver(&mut self, token: Token) {
        let Some(conn) = self.drivers.get_mut(&token) else { return };
        if conn.out.flush(&mut conn.stream).is_err() {
            self.drop_driver(token);
        }
    }

    fn drop_client(&mut self, token: Token) {
        if let Some(mut conn) = self.clients.remove(&token) {
            let _ = self.poll.registry().deregister(&mut conn.stream);
            let actions = self.server.client_gone(token.0 as ClientId);
            self.perform(actions);
        }
    }

    fn drop_driver(&mut self, token: Token) {
        if let Some(mut conn) = self.drivers.remove(&token) {
            let _ = self.poll.registry().deregister(&mut conn.stream);
            self.driver_token.remove(&conn.ups);
            let actions = self.server.driver_disconnected(&conn.ups);
            self.perform(actions);
        }
    }

    /// Carry out what the server asked for.
    pub fn perform(&mut self, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Log { level, text } => log_action(level, &text),
                Action::Send { client, data } => {
                    let token = Token(client as usize);
                    let Some(conn) = self.clients.get_mut(&token) else { continue };
                    conn.out.push(data.as_bytes());
                    if conn.out.flush(&mut conn.stream).is_err() {
                        self.drop_client(token);
                        continue;
                    }
                    if conn.out.pending() > CLIENT_OUTPUT_CAP {
                        log::warn!(
                            "Client {} is not reading its replies ({} bytes queued): disconnecting",
                            conn.addr,
                            conn.out.pending()
                        );
                        self.drop_client(token);
                    }
                }
                Action::Close { client } => {
                    let token = Token(client as usize);
                    let Some(conn) = self.clients.get_mut(&token) else { continue };
                    conn.close_when_flushed = true;
                    if conn.out.pending() == 0 {
                        self.drop_client(token);
                    }
                }
                Action::SendDriver { ups, data } => {
                    let Some(&token) = self.driver_token.get(&ups) else { continue };
                    let Some(conn) = self.drivers.get_mut(&token) else { continue };
                    conn.out.push(data.as_bytes());
                    if conn.out.flush(&mut conn.stream).is_err() {
                        self.drop_driver(token);
                        continue;
                    }
                    if conn.out.pending() > DRIVER_OUTPUT_CAP {
                        log::warn!("Driver of UPS [{ups}] is not reading: dropping the connection");
                        self.drop_driver(token);
                    }
                }
                Action::DropDriver { ups } => {
                    if let Some(&token) = self.driver_token.get(&ups) {
                        self.drop_driver(token);
                    }
                    self.connect_log.remove(&ups);
                }
            }
        }
    }
}
