//! The optional HTTP listener (`HTTP_LISTEN` in upsd.conf): a status page,
//! Prometheus metrics and a small JSON API, served from upsd's one mio
//! loop like the NUT clients.
//!
//! * [`nut_proto::http`]: parsing a request head (pure, bounded);
//! * [`view`]: the borrowed snapshot of a UPS the renderers work on;
//! * [`metrics`], [`json`], [`history`]: the answers;
//! * [`route`]: request → response (pure);
//! * [`Http`]: the sockets.
//!
//! Connections are HTTP/1.1 with keep-alive, no request bodies, answers
//! with a Content-Length. They count against MAXCONN and MAXCONN_PER_ADDR,
//! obey ALLOW_FROM, and are closed after [`IDLE`] without a complete
//! request.

pub mod history;
pub mod json;
pub mod metrics;
pub mod view;

use crate::event_loop::OutBuf;
use crate::limits::{self, AddrCounts, RateLog, Refusal};
use crate::server::Server;
use history::History;
use mio::event::Event;
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};
use nut_proto::http::{self as request, Method, Parse, Request};
use std::collections::HashMap;
use std::io::{self, Read};
use std::net::{IpAddr, Shutdown};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use view::UpsView;

/// An HTTP connection without a complete request for this long is closed.
pub const IDLE: Duration = Duration::from_secs(15);
/// The status page, embedded at build time.
pub const STATUS_PAGE: &str = include_str!("http/status.html");

/// Tokens from here up belong to HTTP listeners and connections. The main
/// loop numbers its own sockets upwards from 1024 and would need 2^63
/// connections to get here.
const BASE: usize = usize::MAX / 2;
const LISTENER_SLOTS: usize = 1024;
const LAST_TOKEN: usize = usize::MAX - 16;

/// An answer before it is written out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
    /// Close the connection after this answer.
    pub close: bool,
}

impl Response {
    fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response { status, content_type, body: body.into(), headers: Vec::new(), close: false }
    }

    fn json(status: u16, body: String) -> Response {
        Response::new(status, "application/json", body)
    }

    /// A plain-text error answer; errors close the connection.
    pub fn error(status: u16, why: &str) -> Response {
        let mut r = Response::new(status, "text/plain; charset=utf-8", format!("{} {}: {why}\n", status, reason(status)));
        r.close = status != 404 && status != 405;
        r
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    }
}

/// What the page may load: nothing but itself and its own API.
const PAGE_POLICY: &str =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Answer one request. `upses` is every configured UPS in ups.conf order.
pub fn route(req: &Request, upses: &[UpsView<'_>], history: &History) -> Response {
    if let Method::Other(_) = req.method {
        let mut r = Response::error(405, "only GET and HEAD are served");
        r.headers.push(("Allow", "GET, HEAD".to_string()));
        return r;
    }
    let path = req.path.as_str();
    match path {
        "/" | "/index.html" => {
            let mut r = Response::new(200, "text/html; charset=utf-8", STATUS_PAGE);
            r.headers.push(("Content-Security-Policy", PAGE_POLICY.to_string()));
            r
        }
        "/metrics" => {
            let format = metrics::Format::from_accept(req.header("accept"));
            Response::new(200, format.content_type(), metrics::render(upses, format))
        }
        "/api/ups" | "/api/ups/" => Response::json(200, json::all_ups(upses)),
        "/api/list" => Response::json(200, json::list(upses)),
        "/api/history" => {
            let since = match req.query_param("since").map(str::parse::<u64>) {
                None => 0,
                Some(Ok(t)) => t,
                Some(Err(_)) => return Response::error(400, "since= takes seconds since the epoch"),
            };
            let names: Vec<&str> = upses.iter().map(|u| u.name).collect();
            Response::json(200, history.to_json(&names, since))
        }
        _ => match path.strip_prefix("/api/ups/") {
            Some(name) => match upses.iter().find(|u| u.name.eq_ignore_ascii_case(name)) {
                Some(u) => Response::json(200, json::one_ups(u)),
                None => Response::json(404, json::unknown_ups()),
            },
            None => Response::error(404, "try / for the status page, /metrics, /api/ups or /api/history"),
        },
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` for a time in seconds since the epoch.
pub fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = secs / 86400;
    let rem = secs % 86400;
    let (year, month, day) = nut_proto::calendar::civil_from_days(days as i64);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The bytes of an answer (`head_only` for HEAD: headers without body).
pub fn serialize(resp: &Response, head_only: bool, date: &str) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nDate: {date}\r\nServer: upsd\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
        resp.status,
        reason(resp.status),
        resp.content_type,
        resp.body.len()
    );
    for (k, v) in &resp.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(if resp.close { "Connection: close\r\n\r\n" } else { "Connection: keep-alive\r\n\r\n" });
    let mut out = head.into_bytes();
    if !head_only {
        out.extend_from_slice(&resp.body);
    }
    out
}

struct Conn {
    stream: TcpStream,
    addr: String,
    inbuf: Vec<u8>,
    out: OutBuf,
    close_when_flushed: bool,
    /// The peer has shut down its sending side.
    eof: bool,
    last_active: Instant,
}

/// What the loop lends the HTTP side: its registry, the server's state,
/// and the caps HTTP connections share with NUT clients.
pub struct Ctx<'a> {
    pub registry: &'a Registry,
    pub server: &'a Server,
    /// ALLOW_FROM.
    pub allow: &'a dyn Fn(IpAddr) -> bool,
    /// Connections polled now, all kinds (for MAXCONN).
    pub total: usize,
    pub maxconn: usize,
    /// Connections per address, NUT clients and HTTP together.
    pub per_addr: &'a mut AddrCounts,
    pub per_address: usize,
    pub refuse_log: &'a mut RateLog,
}

/// HTTP listeners, their connections and the history ring.
#[derive(Default)]
pub struct Http {
    listeners: Vec<TcpListener>,
    conns: HashMap<Token, Conn>,
    next: usize,
    history: History,
    next_sample: Option<Instant>,
}

fn views(server: &Server) -> Vec<UpsView<'_>> {
    server.ups_list().iter().map(|u| UpsView::of(u, server.descriptions())).collect()
}

impl Http {
    /// Take over bound listeners and watch them.
    pub fn add_listeners(&mut self, listeners: Vec<TcpListener>, registry: &Registry) -> io::Result<()> {
        for mut l in listeners {
            if self.listeners.len() >= LISTENER_SLOTS {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "too many HTTP_LISTEN addresses"));
            }
            registry.register(&mut l, Token(BASE + self.listeners.len()), Interest::READABLE)?;
            self.listeners.push(l);
        }
        Ok(())
    }

    /// Whether a token is ours.
    pub fn owns(token: Token) -> bool {
        token.0 >= BASE && token.0 <= LAST_TOKEN
    }

    /// Connections, for MAXCONN (listeners do not count, as in NUT).
    pub fn count(&self) -> usize {
        self.conns.len()
    }

    fn token(&mut self) -> Token {
        loop {
            if self.next < BASE + LISTENER_SLOTS || self.next >= LAST_TOKEN {
                self.next = BASE + LISTENER_SLOTS;
            }
            let t = Token(self.next);
            self.next += 1;
            if !self.conns.contains_key(&t) {
                return t;
            }
        }
    }

    /// A readiness event for one of our tokens.
    pub fn event(&mut self, token: Token, ev: &Event, ctx: &mut Ctx<'_>) {
        if token.0 < BASE + LISTENER_SLOTS {
            self.accept(token.0 - BASE, ctx);
            return;
        }
        if ev.is_writable() {
            self.flush(token, ctx);
        }
        // Also after a write: a connection paused for its unread answers
        // resumes once they have gone out.
        self.read(token, ctx);
    }

    fn accept(&mut self, index: usize, ctx: &mut Ctx<'_>) {
        loop {
            let Some(listener) = self.listeners.get(index) else { return };
            let (mut stream, peer) = match listener.accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("HTTP accept: {e}");
                    return;
                }
            };
            let addr = crate::event_loop::ip_text(&peer);
            if !(ctx.allow)(peer.ip()) {
                log::warn!("Rejecting HTTP connection from {addr}: not in ALLOW_FROM");
                continue;
            }
            if let Err(why) = limits::admit(ctx.total, ctx.maxconn, ctx.per_addr.get(&addr), ctx.per_address) {
                let line = ctx.refuse_log.line(Instant::now(), || match why {
                    Refusal::MaxConn(n) => format!("Rejecting HTTP connection from {addr}: MAXCONN ({n}) reached"),
                    Refusal::PerAddress(n) => {
                        format!("Rejecting HTTP connection from {addr}: it already has {n} connections (MAXCONN_PER_ADDR)")
                    }
                });
                if let Some(line) = line {
                    log::warn!("{line}");
                }
                continue;
            }
            let _ = stream.set_nodelay(true);
            let token = self.token();
            if let Err(e) = ctx.registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE) {
                log::warn!("register HTTP client: {e}");
                continue;
            }
            ctx.total += 1;
            ctx.per_addr.add(&addr);
            nut_daemon::debugx!(2, "HTTP connection from {addr}");
            let conn = Conn {
                stream,
                addr,
                inbuf: Vec::new(),
                out: OutBuf::new(),
                close_when_flushed: false,
                eof: false,
                last_active: Instant::now(),
            };
            self.conns.insert(token, conn);
        }
    }

    /// Answer what is buffered, then read and answer until the socket is
    /// empty, the peer leaves, or its unread answers pass
    /// [`limits::OUTPUT_PAUSE`] (reading stops until they are written, so
    /// a peer that pipelines requests without reading holds one answer
    /// and 64 KiB at most).
    fn read(&mut self, token: Token, ctx: &mut Ctx<'_>) {
        let mut buf = [0u8; 4096];
        loop {
            let drained = self.answer_and_flush(token, ctx);
            let Some(c) = self.conns.get_mut(&token) else { return };
            if c.eof || c.close_when_flushed || c.out.pending() > limits::OUTPUT_PAUSE {
                return;
            }
            if !drained {
                // Paused, but the socket took the answers: go on with the
                // requests already buffered before reading more.
                continue;
            }
            match c.stream.read(&mut buf) {
                // The peer is done sending: answer what it asked, then close.
                Ok(0) => c.eof = true,
                Ok(n) => c.inbuf.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.close(token, ctx);
                    return;
                }
            }
        }
    }

    /// Answer what can be answered now and start writing; a peer that has
    /// stopped sending is closed once nothing it asked for is left.
    fn answer_and_flush(&mut self, token: Token, ctx: &mut Ctx<'_>) -> bool {
        let drained = self.answer(token, ctx);
        if let Some(c) = self.conns.get_mut(&token) {
            if drained && c.eof {
                c.close_when_flushed = true;
            }
        }
        self.flush(token, ctx);
        drained
    }

    /// Answer the complete requests in the input buffer while the unsent
    /// answers stay under [`limits::OUTPUT_PAUSE`]. True when no complete
    /// request is left (false: paused, or closing).
    fn answer(&mut self, token: Token, ctx: &Ctx<'_>) -> bool {
        let Some(c) = self.conns.get_mut(&token) else { return true };
        let mut views_cache: Option<Vec<UpsView<'_>>> = None;
        let date = http_date(unix_now());
        while c.out.pending() <= limits::OUTPUT_PAUSE && !c.close_when_flushed {
            let (resp, head_only) = match request::parse(&c.inbuf) {
                Parse::Incomplete => return true,
                Parse::Bad(why) => {
                    nut_daemon::debugx!(1, "HTTP {}: refused ({})", c.addr, why.reason());
                    c.inbuf.clear();
                    (Response::error(why.status(), why.reason()), false)
                }
                Parse::Done(req, used) => {
                    c.inbuf.drain(..used);
                    let upses = views_cache.get_or_insert_with(|| views(ctx.server));
                    let mut resp = route(&req, upses, &self.history);
                    resp.close |= !req.keep_alive();
                    nut_daemon::debugx!(2, "HTTP {}: {:?} {} -> {}", c.addr, req.method, req.path, resp.status);
                    (resp, req.method == Method::Head)
                }
            };
            c.out.push(&serialize(&resp, head_only, &date));
            c.last_active = Instant::now();
            if resp.close {
                c.close_when_flushed = true;
                c.inbuf.clear();
            }
        }
        false
    }

    fn flush(&mut self, token: Token, ctx: &mut Ctx<'_>) {
        let Some(c) = self.conns.get_mut(&token) else { return };
        let before = c.out.pending();
        if c.out.flush(&mut c.stream).is_err() {
            self.close(token, ctx);
            return;
        }
        if c.out.pending() < before {
            c.last_active = Instant::now();
        }
        if c.close_when_flushed && c.out.pending() == 0 {
            self.close(token, ctx);
        }
    }

    fn close(&mut self, token: Token, ctx: &mut Ctx<'_>) {
        if let Some(mut c) = self.conns.remove(&token) {
            let _ = c.stream.shutdown(Shutdown::Write);
            let _ = ctx.registry.deregister(&mut c.stream);
            ctx.per_addr.remove(&c.addr);
            ctx.total = ctx.total.saturating_sub(1);
            nut_daemon::debugx!(2, "HTTP {}: closed", c.addr);
        }
    }

    /// The periodic pass: take a history sample when one is due, close
    /// connections idle for longer than [`IDLE`].
    pub fn tick(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if self.listeners.is_empty() {
            return;
        }
        if self.next_sample.is_none_or(|t| now >= t) {
            self.history.record(&views(ctx.server), unix_now());
            self.next_sample = Some(now + history::SAMPLE_EVERY);
        }
        let idle: Vec<Token> =
            self.conns.iter().filter(|(_, c)| now.saturating_duration_since(c.last_active) >= IDLE).map(|(t, _)| *t).collect();
        for t in idle {
            if let Some(c) = self.conns.get(&t) {
                nut_daemon::debugx!(2, "HTTP {}: idle, closing", c.addr);
            }
            self.close(t, ctx);
        }
    }

    /// When [`Http::tick`] has something to do: the next sample or the
    /// first idle connection to close.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.listeners.is_empty() {
            return None;
        }
        let idle = self.conns.values().map(|c| c.last_active + IDLE).min();
        [self.next_sample, idle].into_iter().flatten().min()
    }
}

#[cfg(test)]
mod tests {
    use super::view::VarView;
    use super::*;
    use std::borrow::Cow;

    fn req(raw: &str) -> Request {
        match request::parse(raw.as_bytes()) {
            Parse::Done(r, _) => r,
            other => panic!("{other:?}"),
        }
    }

    fn upses() -> Vec<UpsView<'static>> {
        let vars: &'static [(&str, &str)] = &[("battery.charge", "87"), ("ups.status", "OB DISCHRG")];
        vec![UpsView {
            name: "myups",
            desc: Some("Rack"),
            unavailable: None,
            vars: vars.iter().map(|(n, v)| VarView { name: n, value: Cow::Borrowed(*v), string: false }).collect(),
            descs: None,
        }]
    }

    #[test]
    fn routes() {
        let h = History::default();
        let u = upses();
        let get = |path: &str| route(&req(&format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")), &u, &h);
        let page = get("/");
        assert_eq!((page.status, page.content_type), (200, "text/html; charset=utf-8"));
        assert!(page.headers.iter().any(|(k, v)| *k == "Content-Security-Policy" && v.contains("default-src 'none'")));
        let m = get("/metrics");
        assert_eq!(m.content_type, metrics::PROMETHEUS_TYPE);
        assert!(String::from_utf8_lossy(&m.body).contains("nut_battery_charge{ups=\"myups\"} 87\n"));
        let om = route(
            &req("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n"),
            &u,
            &h,
        );
        assert_eq!(om.content_type, metrics::OPENMETRICS_TYPE);
        assert_eq!(get("/api/ups/MYUPS").body, json::one_ups(&u[0]).into_bytes());
        assert_eq!(get("/api/ups").status, 200);
        let unknown = get("/api/ups/nope");
        assert_eq!((unknown.status, unknown.body.as_slice()), (404, &b"{\"error\": \"Unknown UPS\"}\n"[..]));
        assert_eq!(get("/api/history?since=12").status, 200);
        assert_eq!(get("/api/history?since=x").status, 400);
        assert_eq!(get("/nothing").status, 404);
        assert!(!get("/nothing").close, "a 404 keeps the connection");
        let post = route(&req("POST / HTTP/1.1\r\nHost: x\r\n\r\n"), &u, &h);
        assert_eq!(post.status, 405);
        assert!(post.headers.contains(&("Allow", "GET, HEAD".to_string())));
    }

    #[test]
    fn serialized_answers() {
        let r = Response::new(200, "text/plain", "hi");
        let bytes = serialize(&r, false, "Thu, 01 Jan 1970 00:00:00 GMT");
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(text.starts_with("HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n"), "{text}");
        assert!(text.contains("\r\nContent-Length: 2\r\n") && text.contains("\r\nConnection: keep-alive\r\n\r\nhi"));
        let head = String::from_utf8(serialize(&Response::error(400, "x"), true, "d")).expect("utf-8");
        assert!(head.ends_with("Connection: close\r\n\r\n"), "HEAD has no body: {head}");
    }

    #[test]
    fn dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(http_date(1_798_761_599), "Thu, 31 Dec 2026 23:59:59 GMT");
    }

    #[test]
    fn status_page_is_self_contained() {
        for needle in ["http://", "https://", "src=\"//", "<link", "@import"] {
            assert!(!STATUS_PAGE.contains(needle), "the page must not load {needle} resources");
        }
        for needle in ["/api/ups", "/api/history", "On line power", "On battery", "Low battery"] {
            assert!(STATUS_PAGE.contains(needle), "the page should mention {needle}");
        }
    }
}
