//! The single-threaded mio loop: listeners, client connections, driver
//! sockets and signals. It reads, feeds [`Server`], and performs the
//! [`Action`]s it gets back. Every socket is non-blocking with its own
//! output buffer, so a slow peer never holds up anyone else.

use crate::limits::{self, AddrCounts, RateLog, Refusal};
use crate::server::{Action, ClientId, Level, Server};
use crate::tls::ClientStream;
use mio::net::{TcpListener, UnixStream};
use mio::{Events, Interest, Poll, Token};
use nut_proto::lexer::{Lexer, Step};
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

pub use crate::limits::CLIENT_OUTPUT_CAP;
/// Same for a driver that stops reading.
pub const DRIVER_OUTPUT_CAP: usize = 1 << 20;
/// Seconds between "Can't connect to UPS" messages for one UPS.
pub const CONNECT_LOG_EVERY: Duration = Duration::from_secs(300);
/// While a UPS's driver is not connected, how often to try again (NUT's
/// upsd tries on each pass of its loop, about every 2 s). Otherwise the
/// loop sleeps until the server's next deadline.
pub const RECONNECT_EVERY: Duration = Duration::from_secs(2);

const SIGNAL_TOKEN: Token = Token(usize::MAX - 1);
/// Bytes asked for per read from a client.
const READ_CHUNK: usize = 16384;
const FIRST_DYNAMIC: usize = 1024;
/// Smallest peak of clients worth handing memory back after.
const TRIM_PEAK_MIN: usize = 64;
/// Largest reply buffer kept between requests.
const REPLY_BUF_KEEP: usize = 16384;

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

/// Hashes a [`Token`] (a number this loop hands out, so nobody outside can
/// pick keys to collide) with one multiplication instead of SipHash, which
/// showed in profiles of `GET VAR` under load.
#[derive(Default)]
pub(crate) struct TokenHasher(u64);

impl Hasher for TokenHasher {
    fn finish(&self) -> u64 {
        // Fibonacci hashing: spreads consecutive tokens over the high bits
        // that the table uses to pick and tag buckets.
        self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = n as u64;
    }
}

/// A map keyed by connection token.
pub(crate) type TokenMap<V> = HashMap<Token, V, BuildHasherDefault<TokenHasher>>;

/// A request line as the lexer gave it: its words, or why it was dropped.
type RequestLine = Result<Vec<String>, String>;

/// What became of one request line handed to [`EventLoop::answer_line`].
enum LineOutcome {
    /// Answered; go on with the next line.
    Answered,
    /// The client has too many unread replies: the line (given back) and
    /// those after it wait until it reads.
    Paused(RequestLine),
    /// The client is gone, closing, or switched to TLS: drop the rest.
    Stop,
}

pub(crate) struct OutBuf {
    data: Vec<u8>,
    sent: usize,
}

impl OutBuf {
    pub(crate) fn new() -> OutBuf {
        OutBuf { data: Vec::new(), sent: 0 }
    }
    pub(crate) fn pending(&self) -> usize {
        self.data.len() - self.sent
    }
    /// Hand over what is still unsent (for STARTTLS: it must go out before
    /// the first TLS record).
    fn take_unsent(&mut self) -> Vec<u8> {
        let rest = self.data.split_off(self.sent);
        self.data.clear();
        self.sent = 0;
        rest
    }
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        if self.sent > 0 && self.sent == self.data.len() {
            self.data.clear();
            self.sent = 0;
        }
        self.data.extend_from_slice(bytes);
    }
    /// Send `bytes` after whatever is queued. With nothing queued they are
    /// written straight from the caller's buffer and only what the socket
    /// does not take is copied here, so an idle connection holds no
    /// output buffer at all. Err means the peer is gone.
    pub(crate) fn send<W: Write>(&mut self, bytes: &[u8], w: &mut W) -> io::Result<()> {
        if self.pending() > 0 {
            self.push(bytes);
            return self.flush(w);
        }
        // A TLS stream may hold records from earlier writes.
        match w.flush() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            _ => {}
        }
        let mut done = 0;
        while done < bytes.len() {
            match w.write(&bytes[done..]) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0")),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if done < bytes.len() {
            self.data.clear();
            self.sent = 0;
            self.data.extend_from_slice(&bytes[done..]);
        }
        Ok(())
    }
    /// Write as much as the socket takes. Err means the peer is gone.
    pub(crate) fn flush<W: Write>(&mut self, w: &mut W) -> io::Result<()> {
        // A TLS stream may hold records from earlier writes.
        match w.flush() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            _ => {}
        }
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
            // Everything went out: give the memory back (the buffer only
            // fills when a peer is slow, see `send`).
            self.data = Vec::new();
            self.sent = 0;
        } else if self.sent > 64 * 1024 {
            self.data.drain(..self.sent);
            self.sent = 0;
        }
        Ok(())
    }
}

struct ClientConn {
    stream: ClientStream,
    addr: String,
    lexer: Lexer,
    out: OutBuf,
    close_when_flushed: bool,
    /// Lines read but not yet handled: reading pauses while the client has
    /// more than [`limits::OUTPUT_PAUSE`] bytes of replies unread.
    /// Empty (and unallocated) unless the client was paused.
    backlog: VecDeque<RequestLine>,
    paused: bool,
    /// The line in progress was already reported as too long.
    long_line_logged: bool,
}

struct DriverConn {
    ups: String,
    stream: UnixStream,
    lexer: Lexer,
    out: OutBuf,
}

/// What the HTTP side may see and count of the loop, borrowed field by
/// field so that `self.http` stays free to be called with it.
macro_rules! http_ctx {
    ($lp:expr) => {
        crate::http::Ctx {
            total: $lp.conn_count(),
            registry: $lp.poll.registry(),
            server: &$lp.server,
            allow: &*$lp.allow,
            maxconn: $lp.maxconn,
            per_addr: &mut $lp.per_addr,
            per_address: $lp.per_address,
            refuse_log: &mut $lp.refuse_log,
        }
    };
}

/// Everything the loop owns.
pub struct EventLoop {
    poll: Poll,
    listeners: Vec<TcpListener>,
    /// Boxed so that the table's spare slots cost a pointer, not a whole
    /// connection (it counts in the memory per idle client).
    clients: TokenMap<Box<ClientConn>>,
    /// Reused for every client read (see `read_client`).
    read_buf: Vec<u8>,
    /// Most clients since memory was last handed back (see `after_peak`).
    client_peak: usize,
    /// Reused for the lines of each client read.
    line_buf: Vec<RequestLine>,
    /// Reused for each reply.
    reply_buf: String,
    drivers: TokenMap<DriverConn>,
    driver_token: HashMap<String, Token>,
    connect_log: HashMap<String, Instant>,
    next_token: usize,
    signals: Option<nut_daemon::signals::Signals>,
    pub server: Server,
    /// Most connections polled (listeners + drivers + clients).
    pub maxconn: usize,
    /// Client address filter (upsd.conf ALLOW_FROM).
    pub allow: Box<dyn Fn(IpAddr) -> bool>,
    /// Most client connections from one address (MAXCONN_PER_ADDR).
    pub per_address: usize,
    per_addr: AddrCounts,
    refuse_log: RateLog,
    bad_input_log: RateLog,
    /// Clients told to close, cut when they have not read their last
    /// replies by the deadline.
    closing: Vec<(Token, Instant)>,
    /// When the last pass tried to connect to the drivers.
    last_connect_try: Instant,
    /// HTTP_LISTEN sockets and their connections.
    pub http: crate::http::Http,
    /// STARTTLS context (upsd.conf CERTFILE); see [`crate::tls`].
    pub tls: crate::tls::TlsServerConfig,
}

pub(crate) fn ip_text(addr: &SocketAddr) -> String {
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
            clients: TokenMap::default(),
            drivers: TokenMap::default(),
            driver_token: HashMap::new(),
            connect_log: HashMap::new(),
            next_token: FIRST_DYNAMIC,
            read_buf: Vec::new(),
            client_peak: 0,
            line_buf: Vec::new(),
            reply_buf: String::new(),
            signals,
            server,
            maxconn: usize::MAX,
            allow: Box::new(|_| true),
            per_address: usize::MAX,
            per_addr: AddrCounts::default(),
            refuse_log: RateLog::new(limits::REFUSE_LOG_EVERY),
            bad_input_log: RateLog::new(limits::BAD_INPUT_LOG_EVERY),
            closing: Vec::new(),
            last_connect_try: Instant::now(),
            http: crate::http::Http::default(),
            tls: None,
        })
    }

    /// Serve the status page and metrics on these (HTTP_LISTEN) sockets.
    pub fn add_http_listeners(&mut self, listeners: Vec<TcpListener>) -> io::Result<()> {
        self.http.add_listeners(listeners, self.poll.registry())
    }

    fn token(&mut self) -> Token {
        let t = Token(self.next_token);
        self.next_token += 1;
        if self.next_token >= usize::MAX - 16 {
            self.next_token = FIRST_DYNAMIC;
        }
        t
    }

    /// What MAXCONN limits: driver and client connections. As in NUT
    /// 2.8.0, whose upsd stops polling its listeners once drivers and
    /// clients fill MAXCONN, the listeners themselves do not count.
    fn conn_count(&self) -> usize {
        self.clients.len() + self.drivers.len() + self.http.count()
    }

    /// Run until a stop signal; returns the exit status.
    pub fn run(&mut self, reloader: &mut dyn Reloader) -> i32 {
        let mut events = Events::with_capacity(256);
        let mut next_pass = Instant::now();
        loop {
            let now = Instant::now();
            if now >= next_pass {
                self.pass(now);
            }
            next_pass = self.next_deadline(now);
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
                } else if crate::http::Http::owns(token) {
                    let mut ctx = http_ctx!(self);
                    self.http.event(token, ev, &mut ctx);
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
                        self.read_driver(token, ev.is_read_closed() || ev.is_error());
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
    /// clients, ping drivers and purge tracking, and cut closing clients
    /// that did not read their last replies in time.
    pub fn pass(&mut self, now: Instant) {
        self.last_connect_try = now;
        self.connect_drivers(now);
        let actions = self.server.tick(now);
        self.perform(actions);
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.closing).into_iter().partition(|(_, t)| *t <= now);
        self.closing = waiting;
        for (token, _) in due {
            if let Some(conn) = self.clients.get(&token) {
                log::warn!("Client {} did not read its last {} bytes of replies: disconnecting", conn.addr, conn.out.pending());
                self.drop_client(token);
            }
        }
        let mut ctx = http_ctx!(self);
        self.http.tick(now, &mut ctx);
    }

    /// When the next pass is due: the server's next deadline, a closing
    /// client's grace period, or a driver reconnect attempt.
    fn next_deadline(&self, now: Instant) -> Instant {
        let reconnect =
            (self.driver_token.len() < self.server.ups_list().len()).then_some(self.last_connect_try + RECONNECT_EVERY);
        let closing = self.closing.iter().map(|(_, t)| *t).min();
        // With nothing pending at all, still look round once a minute.
        let fallback = now + Duration::from_secs(60);
        [self.server.next_deadline(), reconnect, closing, self.http.next_deadline()]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(fallback)
            .min(fallback)
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
                let line = self.refuse_log.line(Instant::now(), || format!("Rejecting connection from {}: not in ALLOW_FROM", ip_text(&peer)));
                if let Some(line) = line {
                    log::warn!("{line}");
                }
                continue;
            }
            let addr = ip_text(&peer);
            if let Err(why) = limits::admit(self.conn_count(), self.maxconn, self.per_addr.get(&addr), self.per_address) {
                // Dropping the accepted stream closes it at once: the
                // client sees EOF instead of waiting in the backlog.
                let line = self.refuse_log.line(Instant::now(), || match why {
                    Refusal::MaxConn(n) => format!("Rejecting connection from {addr}: MAXCONN ({n}) reached"),
                    Refusal::PerAddress(n) => {
                        format!("Rejecting connection from {addr}: it already has {n} connections (MAXCONN_PER_ADDR)")
                    }
                });
                if let Some(line) = line {
                    log::warn!("{line}");
                }
                continue;
            }
            let _ = stream.set_nodelay(true);
            let token = self.token();
            if let Err(e) = self.poll.registry().register(&mut stream, token, Interest::READABLE | Interest::WRITABLE) {
                log::warn!("register client: {e}");
                continue;
            }
            self.per_addr.add(&addr);
            self.client_peak = self.client_peak.max(self.clients.len() + 1);
            self.clients.insert(
                token,
                Box::new(ClientConn {
                    stream: ClientStream::plain(stream),
                    addr: addr.clone(),
                    lexer: Lexer::new(),
                    out: OutBuf::new(),
                    close_when_flushed: false,
                    backlog: VecDeque::new(),
                    paused: false,
                    long_line_logged: false,
                }),
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
        self.with_read_buf(|lp, buf| lp.read_client_into(token, until_eof, buf));
    }

    /// Lend the loop's one read buffer to `read`. One buffer serves every
    /// read: zeroing 16 KiB per request showed in profiles under load.
    fn with_read_buf(&mut self, read: impl FnOnce(&mut Self, &mut [u8])) {
        let mut buf = std::mem::take(&mut self.read_buf);
        buf.resize(READ_CHUNK, 0);
        read(self, &mut buf);
        self.read_buf = buf;
    }

    fn read_client_into(&mut self, token: Token, until_eof: bool, buf: &mut [u8]) {
        let mut drained = false;
        loop {
            if !self.handle_backlog(token) || drained {
                return;
            }
            let Some(conn) = self.clients.get_mut(&token) else { return };
            let n = match conn.stream.read(buf) {
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
            // (rustls may hold socket bytes back: read TLS until EAGAIN)
            drained = n < buf.len() && !until_eof && !conn.stream.is_tls();
            let mut lines = std::mem::take(&mut self.line_buf);
            let mut reports = Vec::new();
            for &b in &buf[..n] {
                let step = conn.lexer.push(b);
                let ended = match step {
                    Step::Pending => continue,
                    Step::Line(words) => {
                        lines.push(Ok(words));
                        None
                    }
                    Step::Error(e) => {
                        // As NUT does, the rest of this read is dropped
                        // with the malformed line, and nothing is answered.
                        lines.push(Err(e.to_string()));
                        Some(e.to_string())
                    }
                };
                let mut flaws = conn.lexer.last_line_flaws();
                if std::mem::take(&mut conn.long_line_logged) {
                    flaws.truncated = false;
                }
                reports.extend(limits::bad_line_text(&conn.addr, flaws, ended.as_deref()));
                if ended.is_some() {
                    break;
                }
            }
            let partial = conn.lexer.line_flaws();
            if partial.truncated && !conn.long_line_logged {
                conn.long_line_logged = true;
                let flaws = nut_proto::lexer::LineFlaws { bad_bytes: 0, truncated: true };
                reports.extend(limits::bad_line_text(&conn.addr, flaws, None));
            }
            let now = Instant::now();
            for text in reports {
                if let Some(line) = self.bad_input_log.line(now, || text) {
                    log::warn!("{line}");
                }
            }
            let mut fresh = lines.drain(..);
            while let Some(line) = fresh.next() {
                match self.answer_line(token, line, now) {
                    LineOutcome::Answered => {}
                    LineOutcome::Paused(line) => {
                        if let Some(conn) = self.clients.get_mut(&token) {
                            conn.backlog.push_back(line);
                            conn.backlog.extend(fresh.by_ref());
                        }
                        break;
                    }
                    LineOutcome::Stop => break,
                }
            }
            drop(fresh);
            self.line_buf = lines;
        }
    }

    /// Answer the lines a paused client left queued, until it pauses
    /// again. False when reading must stop (paused or gone).
    fn handle_backlog(&mut self, token: Token) -> bool {
        loop {
            let Some(conn) = self.clients.get_mut(&token) else { return false };
            if conn.out.pending() > limits::OUTPUT_PAUSE {
                self.pause(token);
                return false;
            }
            conn.paused = false;
            let Some(line) = conn.backlog.pop_front() else {
                if conn.backlog.capacity() > 0 {
                    conn.backlog = VecDeque::new();
                }
                return true;
            };
            match self.answer_line(token, line, Instant::now()) {
                LineOutcome::Answered => {}
                LineOutcome::Paused(line) => {
                    if let Some(conn) = self.clients.get_mut(&token) {
                        conn.backlog.push_front(line);
                    }
                    return false;
                }
                LineOutcome::Stop => return false,
            }
        }
    }

    /// Mark a client paused: it has more than [`limits::OUTPUT_PAUSE`]
    /// bytes of replies unread.
    fn pause(&mut self, token: Token) {
        if let Some(conn) = self.clients.get_mut(&token) {
            if !conn.paused {
                conn.paused = true;
                nut_daemon::debugx!(2, "Client {} is not reading its replies: pausing its requests", conn.addr);
            }
        }
    }

    /// Answer one request line of a client, unless its unread replies
    /// are past the pause mark.
    fn answer_line(&mut self, token: Token, line: RequestLine, now: Instant) -> LineOutcome {
        let Some(conn) = self.clients.get_mut(&token) else { return LineOutcome::Stop };
        if conn.close_when_flushed {
            return LineOutcome::Stop;
        }
        if conn.out.pending() > limits::OUTPUT_PAUSE {
            self.pause(token);
            return LineOutcome::Paused(line);
        }
        conn.paused = false;
        let was_tls = conn.stream.is_tls();
        let id = token.0 as ClientId;
        let mut reply = std::mem::take(&mut self.reply_buf);
        reply.clear();
        let actions = match line {
            Ok(words) => self.server.answer_client_line(id, &words, now, &mut reply),
            Err(_) => self.server.client_bad_line(id, now),
        };
        if !reply.is_empty() {
            self.send_to_client(token, reply.as_bytes());
        }
        // A LIST reply can be large; keep only a modest buffer between requests.
        if reply.capacity() <= REPLY_BUF_KEEP {
            self.reply_buf = reply;
        }
        self.perform(actions);
        let Some(conn) = self.clients.get_mut(&token) else { return LineOutcome::Stop };
        if !was_tls && conn.stream.is_tls() {
            // Plain text that followed STARTTLS in the same read must not
            // count as said inside the TLS session.
            conn.backlog.clear();
            conn.lexer = Lexer::new();
            return LineOutcome::Stop;
        }
        if conn.close_when_flushed {
            return LineOutcome::Stop;
        }
        LineOutcome::Answered
    }

    /// Queue or write bytes for a client; drops it when it is gone or has
    /// left more than [`CLIENT_OUTPUT_CAP`] bytes unread.
    fn send_to_client(&mut self, token: Token, data: &[u8]) {
        let Some(conn) = self.clients.get_mut(&token) else { return };
        if conn.out.send(data, &mut conn.stream).is_err() {
            self.drop_client(token);
            return;
        }
        if conn.out.pending() > CLIENT_OUTPUT_CAP {
            log::warn!("Client {} is not reading its replies ({} bytes queued): disconnecting", conn.addr, conn.out.pending());
            self.drop_client(token);
        }
    }

    /// Read and apply what a driver sent; like [`EventLoop::read_client`],
    /// a short read ends it unless the driver has closed (`until_eof`).
    fn read_driver(&mut self, token: Token, until_eof: bool) {
        self.with_read_buf(|lp, buf| lp.read_driver_into(token, until_eof, buf));
    }

    fn read_driver_into(&mut self, token: Token, until_eof: bool, buf: &mut [u8]) {
        loop {
            let Some(conn) = self.drivers.get_mut(&token) else { return };
            let n = match conn.stream.read(buf) {
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
            let drained = n < buf.len() && !until_eof;
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
            if drained {
                return;
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
            return;
        }
        if conn.paused && conn.out.pending() <= limits::OUTPUT_PAUSE {
            // Edge-triggered: requests that arrived while paused are read
            // now, as no new readable event will come for them.
            self.read_client(token, false);
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
            conn.stream.close_notify();
            let _ = self.poll.registry().deregister(&mut conn.stream);
            self.per_addr.remove(&conn.addr);
            let actions = self.server.client_gone(token.0 as ClientId);
            self.perform(actions);
            drop(conn);
            self.after_peak();
        }
    }

    /// Once three quarters of the clients of a peak (of at least
    /// [`TRIM_PEAK_MIN`]) are gone, shrink the client table and hand the
    /// freed heap pages back, so RSS falls back after a load instead of
    /// staying at its high-water mark.
    fn after_peak(&mut self) {
        let now = self.clients.len();
        if self.client_peak < TRIM_PEAK_MIN || now * 4 > self.client_peak {
            return;
        }
        self.client_peak = now;
        self.clients.shrink_to(now * 2);
        self.line_buf = Vec::new();
        nut_daemon::memory::give_back_free_pages();
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
                Action::Send { client, data } => self.send_to_client(Token(client as usize), data.as_bytes()),
                Action::Close { client } => {
                    let token = Token(client as usize);
                    let Some(conn) = self.clients.get_mut(&token) else { continue };
                    if conn.close_when_flushed {
                        continue;
                    }
                    conn.close_when_flushed = true;
                    conn.backlog.clear();
                    if conn.out.pending() == 0 {
                        self.drop_client(token);
                    } else {
                        self.closing.push((token, Instant::now() + limits::CLOSE_GRACE));
                    }
                }
                Action::SendDriver { ups, data } => {
                    let Some(&token) = self.driver_token.get(&ups) else { continue };
                    let Some(conn) = self.drivers.get_mut(&token) else { continue };
                    if conn.out.send(data.as_bytes(), &mut conn.stream).is_err() {
                        self.drop_driver(token);
                        continue;
                    }
                    if conn.out.pending() > DRIVER_OUTPUT_CAP {
                        log::warn!("Driver of UPS [{ups}] is not reading: dropping the connection");
                        self.drop_driver(token);
                    }
                }
                Action::StartTls { client } => {
                    let token = Token(client as usize);
                    let Some(conn) = self.clients.get_mut(&token) else { continue };
                    let started = match &self.tls {
                        Some(config) => conn.stream.start_tls(config, &conn.addr, conn.out.take_unsent()),
                        None => Err(io::Error::other("no TLS context")),
                    };
                    if let Err(e) = started {
                        log::warn!("Can't start TLS with client {}: {e}", conn.addr);
                        self.drop_client(token);
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
