//! A blocking client of the NUT network protocol (what upsd speaks on TCP
//! 3493): used by upsc, upscmd and upsrw, and later by upsmon and the
//! dummy-ups repeater.
//!
//! * [`Client::connect`] resolves a host name (IPv4, IPv6 or name), tries
//!   each address with a connect timeout (10 s, or `NUT_DEFAULT_CONNECT_TIMEOUT`)
//!   and sets read and write timeouts on the socket.
//! * Reply lines are read into a bounded buffer: a server that sends a
//!   megabyte without a newline gets [`ClientError::LineTooLong`], not our memory.
//! * Typed calls ([`Client::get_var`], [`Client::list_vars`], ...) send the
//!   request with arguments quoted only when needed, check the reply's echo
//!   of the request, and turn `ERR <CODE>` into [`ClientError::Server`].
//! * [`Client::request`] and [`Client::request_list`] are the raw forms.
//!
//! Errors display as NUT's client library words them (`Connection failure:
//! Connection refused`, `Unknown UPS`, ...).
#![forbid(unsafe_code)]

pub mod error;
pub mod spec;
pub mod tls;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

pub use error::{ClientError, Result};
pub use tls::{TlsClientConfig, TlsOptions};
pub use nut_proto::upsspec::{UpsSpec, DEFAULT_PORT};
pub use nut_proto::ErrCode;
use nut_proto::lexer::{quote, quote_if_needed, Lexer, Step};

/// Connect timeout used when nothing else is configured.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Read/write timeout used when nothing else is configured.
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest reply line accepted by default (upsd's own replies stay under 512 bytes).
pub const DEFAULT_MAX_LINE: usize = 64 * 1024;
/// Environment variable overriding [`DEFAULT_CONNECT_TIMEOUT`], in seconds.
pub const CONNECT_TIMEOUT_ENV: &str = "NUT_DEFAULT_CONNECT_TIMEOUT";

/// Parse a timeout in seconds as `NUT_DEFAULT_CONNECT_TIMEOUT` holds it
/// (a non-negative number, fractions allowed; 0 means "wait as long as
/// the system does"). None for anything else.
pub fn parse_timeout_secs(text: &str) -> Option<Duration> {
    let secs: f64 = text.trim().parse().ok()?;
    if !secs.is_finite() || !(0.0..=1.0e9).contains(&secs) {
        return None;
    }
    Some(Duration::from_secs_f64(secs))
}

/// The connect timeout from the environment, else [`DEFAULT_CONNECT_TIMEOUT`].
pub fn default_connect_timeout() -> Duration {
    std::env::var(CONNECT_TIMEOUT_ENV)
        .ok()
        .and_then(|v| parse_timeout_secs(&v))
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT)
}

/// How to connect and how long to wait.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Per address; zero means no timeout of our own.
    pub connect_timeout: Duration,
    /// Read and write timeout on the connected socket; None blocks forever.
    pub io_timeout: Option<Duration>,
    /// Longest reply line accepted.
    pub max_line: usize,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: default_connect_timeout(),
            io_timeout: Some(DEFAULT_IO_TIMEOUT),
            max_line: DEFAULT_MAX_LINE,
        }
    }
}

/// Split a reply line into words with the shared lexer.
pub fn split_reply(line: &[u8]) -> Result<Vec<String>> {
    let mut lexer = Lexer::new();
    for &b in line {
        match lexer.push(b) {
            Step::Pending => {}
            Step::Line(words) => return Ok(words),
            Step::Error(e) => return Err(ClientError::Parse(e.to_string())),
        }
    }
    Ok(lexer.finish().unwrap_or_default())
}

/// What `GET TYPE` said about a variable: its words after `TYPE <ups> <var>`
/// (`RW`, `ENUM`, `RANGE`, `STRING:<n>`, `NUMBER`), in the server's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarType {
    pub words: Vec<String>,
}

impl VarType {
    fn has(&self, word: &str) -> bool {
        self.words.iter().any(|w| w.eq_ignore_ascii_case(word))
    }
    pub fn is_rw(&self) -> bool {
        self.has("RW")
    }
    pub fn is_enum(&self) -> bool {
        self.has("ENUM")
    }
    pub fn is_range(&self) -> bool {
        self.has("RANGE")
    }
    pub fn is_number(&self) -> bool {
        self.has("NUMBER")
    }
    /// `Some(n)` for `STRING:<n>` (n = 0 if the number is unreadable).
    pub fn string_max(&self) -> Option<usize> {
        self.words.iter().find_map(|w| {
            let (head, tail) = w.split_at_checked(7)?;
            head.eq_ignore_ascii_case("STRING:").then(|| tail.parse().unwrap_or(0))
        })
    }
}

/// The answer to `GET TRACKING <id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackingStatus {
    Pending,
    Success,
    /// `ERR UNKNOWN`, `ERR INVALID-ARGUMENT`, `ERR FAILED`, ...: the command
    /// reached the driver and the driver refused or failed it.
    Failed { code: Option<ErrCode>, line: String },
    /// Anything else the server said.
    Other(String),
}

impl TrackingStatus {
    fn from_line(line: &str) -> TrackingStatus {
        if line == "PENDING" {
            TrackingStatus::Pending
        } else if line == "SUCCESS" {
            TrackingStatus::Success
        } else if let Some(code) = nut_proto::errcode::parse_err_line(line) {
            TrackingStatus::Failed { code, line: line.to_string() }
        } else {
            TrackingStatus::Other(line.to_string())
        }
    }

    /// The line as the server sent it (what upscmd prints).
    pub fn line(&self) -> &str {
        match self {
            TrackingStatus::Pending => "PENDING",
            TrackingStatus::Success => "SUCCESS",
            TrackingStatus::Failed { line, .. } | TrackingStatus::Other(line) => line,
        }
    }
}

/// Which word the server granted for [`Client::primary`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// `OK PRIMARY-GRANTED`
    Primary,
    /// `OK MASTER-GRANTED` (older servers, after PRIMARY was refused)
    Master,
}

/// How a STARTTLS attempt ended when the connection is still usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartTls {
    /// The server answered `ERR ...`: the session goes on in plain text.
    Refused { code: Option<ErrCode>, line: String },
    /// The handshake succeeded: everything from now on is encrypted.
    Established { version: String, cipher: String },
}

/// The socket, in plain text or wrapped in TLS after STARTTLS.
#[derive(Debug)]
enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(t) => &t.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(t) => t.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(t) => t.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(t) => t.flush(),
        }
    }
}

/// One connection to upsd.
#[derive(Debug)]
pub struct Client {
    stream: Stream,
    host: String,
    port: u16,
    buf: Vec<u8>,
    start: usize,
    max_line: usize,
    broken: bool,
}

fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|_| ClientError::NoSuchHost)?
        .collect();
    if addrs.is_empty() {
        return Err(ClientError::NoSuchHost);
    }
    Ok(addrs)
}

fn words_match(got: &[String], want: &[&str]) -> bool {
    got.len() >= want.len() && got.iter().zip(want).all(|(g, w)| g.eq_ignore_ascii_case(w))
}

impl Client {
    /// Connect with [`ConnectOptions::default`].
    pub fn connect(host: &str, port: u16) -> Result<Client> {
        Client::connect_with(host, port, &ConnectOptions::default())
    }

    /// Connect to the server a [`UpsSpec`] names.
    pub fn connect_spec(spec: &UpsSpec) -> Result<Client> {
        Client::connect(&spec.host, spec.port)
    }

    /// Resolve `host` and try each address in turn; the last failure is
    /// reported if none answers.
    pub fn connect_with(host: &str, port: u16, opts: &ConnectOptions) -> Result<Client> {
        let mut last = None;
        for addr in resolve(host, port)? {
            let attempt = if opts.connect_timeout.is_zero() {
                TcpStream::connect(addr)
            } else {
                TcpStream::connect_timeout(&addr, opts.connect_timeout)
            };
            match attempt {
                Ok(stream) => {
                    let mut client = Client {
                        stream: Stream::Plain(stream),
                        host: host.to_string(),
                        port,
                        buf: Vec::new(),
                        start: 0,
                        max_line: opts.max_line.max(16),
                        broken: false,
                    };
                    client.set_io_timeout(opts.io_timeout).map_err(ClientError::Connect)?;
                    let _ = client.stream.tcp().set_nodelay(true);
                    return Ok(client);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(ClientError::Connect(
            last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AddrNotAvailable)),
        ))
    }

    /// Change the read and write timeout (None: block forever).
    pub fn set_io_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let t = timeout.filter(|d| !d.is_zero());
        self.stream.tcp().set_read_timeout(t)?;
        self.stream.tcp().set_write_timeout(t)
    }

    /// The host name as given to connect.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address actually connected to.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.tcp().peer_addr()
    }

    // ---- raw lines ------------------------------------------------------

    /// Send one request line (a newline is added).
    pub fn send_line(&mut self, line: &str) -> Result<()> {
        if self.broken {
            return Err(ClientError::Disconnected);
        }
        let mut out = Vec::with_capacity(line.len() + 1);
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
        self.stream.write_all(&out).and_then(|_| self.stream.flush()).map_err(|e| {
            self.broken = true;
            if let Some(text) = tls_error_text(&e) {
                return ClientError::Tls(text);
            }
            ClientError::Write(e)
        })
    }

    /// Read one reply line as bytes, without its newline (or a CR before it).
    pub fn read_line_bytes(&mut self) -> Result<Vec<u8>> {
        if self.broken {
            return Err(ClientError::Disconnected);
        }
        loop {
            if let Some(pos) = self.buf[self.start..].iter().position(|&b| b == b'\n') {
                let end = self.start + pos;
                let mut line = self.buf[self.start..end].to_vec();
                self.start = end + 1;
                if self.start == self.buf.len() {
                    self.buf.clear();
                    self.start = 0;
                }
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.buf.len() - self.start >= self.max_line {
                self.broken = true;
                return Err(ClientError::LineTooLong { limit: self.max_line });
            }
            if self.start > 0 {
                self.buf.drain(..self.start);
                self.start = 0;
            }
            let mut chunk = [0u8; 4096];
            let want = chunk.len().min(self.max_line - self.buf.len());
            match self.stream.read(&mut chunk[..want]) {
                Ok(0) => {
                    self.broken = true;
                    return Err(ClientError::Disconnected);
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.broken = true;
                    if let Some(text) = tls_error_text(&e) {
                        return Err(ClientError::Tls(text));
                    }
                    if e.kind() == io::ErrorKind::UnexpectedEof {
                        return Err(ClientError::Disconnected);
                    }
                    return Err(ClientError::Read(e));
                }
            }
        }
    }

    /// Read one reply line as text (bytes that are not UTF-8 are replaced).
    pub fn read_line(&mut self) -> Result<String> {
        let bytes = self.read_line_bytes()?;
        Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// Send `line` and return the first reply line exactly as received,
    /// `ERR ...` included (nothing is interpreted).
    pub fn request(&mut self, line: &str) -> Result<String> {
        self.send_line(line)?;
        self.read_line()
    }

    /// Send `line`, read the reply, and turn `ERR ...` into an error.
    fn request_checked(&mut self, line: &str) -> Result<String> {
        let reply = self.request(line)?;
        match ClientError::from_err_line(&reply) {
            Some(err) => Err(err),
            None => Ok(reply),
        }
    }

    /// Send a request that must be answered with a line starting `OK`.
    fn request_ok(&mut self, line: &str) -> Result<String> {
        let reply = self.request_checked(line)?;
        if reply == "OK" || reply.starts_with("OK ") {
            Ok(reply)
        } else {
            Err(ClientError::InvalidResponse(reply))
        }
    }

    /// Build a request from words, quoting those that need it.
    fn build(words: &[&str]) -> String {
        words.iter().map(|w| quote_if_needed(w)).collect::<Vec<_>>().join(" ")
    }

    /// Send a GET-style query and return the reply's words after the echo
    /// of `expect` (e.g. `["VAR", ups, var]`), at least `extra` of them.
    fn get_words(&mut self, query: &[&str], expect: &[&str], extra: usize) -> Result<Vec<String>> {
        let reply = self.request_checked(&Client::build(query))?;
        let words = split_reply(reply.as_bytes())?;
        if !words_match(&words, expect) || words.len() < expect.len() + extra {
            return Err(ClientError::Protocol(reply));
        }
        Ok(words[expect.len()..].to_vec())
    }

    /// `LIST <args>`: the item lines' words (each starting with the echo
    /// of `item_echo`), after checking `BEGIN LIST`/`END LIST`.
    pub fn list_words(&mut self, args: &[&str], item_echo: &[&str], extra: usize) -> Result<Vec<Vec<String>>> {
        let mut query = vec!["LIST"];
        query.extend_from_slice(args);
        let begin = self.request_checked(&Client::build(&query))?;
        let words = split_reply(begin.as_bytes())?;
        let mut want_begin = vec!["BEGIN", "LIST"];
        want_begin.extend_from_slice(args);
        if !words_match(&words, &want_begin) || words.len() != want_begin.len() {
            return Err(ClientError::Protocol(begin));
        }
        let mut items = Vec::new();
        loop {
            let line = self.read_line()?;
            if let Some(err) = ClientError::from_err_line(&line) {
                return Err(err);
            }
            let words = split_reply(line.as_bytes())?;
            if words.first().map(String::as_str) == Some("END") {
                let mut want_end = vec!["END", "LIST"];
                want_end.extend_from_slice(args);
                if words_match(&words, &want_end) && words.len() == want_end.len() {
                    return Ok(items);
                }
                return Err(ClientError::Protocol(line));
            }
            if !words_match(&words, item_echo) || words.len() < item_echo.len() + extra {
                return Err(ClientError::Protocol(line));
            }
            items.push(words[item_echo.len()..].to_vec());
        }
    }

    /// Raw `LIST`: send `line` (e.g. `LIST VAR ups`) and return every line
    /// between `BEGIN LIST ...` and `END LIST ...` exactly as received.
    pub fn request_list(&mut self, line: &str) -> Result<Vec<String>> {
        let query = split_reply(line.as_bytes())?;
        let begin = self.request_checked(line)?;
        let words = split_reply(begin.as_bytes())?;
        let ok = words.len() == query.len() + 1
            && words[0] == "BEGIN"
            && words[1..].iter().zip(&query).all(|(a, b)| a.eq_ignore_ascii_case(b));
        if !ok {
            return Err(ClientError::Protocol(begin));
        }
        let mut items = Vec::new();
        loop {
            let line = self.read_line()?;
            if let Some(err) = ClientError::from_err_line(&line) {
                return Err(err);
            }
            let words = split_reply(line.as_bytes())?;
            if words.first().map(String::as_str) == Some("END")
                && words.len() == query.len() + 1
                && words[1..].iter().zip(&query).all(|(a, b)| a.eq_ignore_ascii_case(b))
            {
                return Ok(items);
            }
            items.push(line);
        }
    }

    // ---- GET --------------------------------------------------------------

    /// `GET VAR`: the value.
    pub fn get_var(&mut self, ups: &str, var: &str) -> Result<String> {
        let mut w = self.get_words(&["GET", "VAR", ups, var], &["VAR", ups, var], 1)?;
        Ok(w.swap_remove(0))
    }

    /// `GET TYPE`: the type words.
    pub fn get_type(&mut self, ups: &str, var: &str) -> Result<VarType> {
        let words = self.get_words(&["GET", "TYPE", ups, var], &["TYPE", ups, var], 0)?;
        Ok(VarType { words })
    }

    /// `GET DESC`: the variable's description.
    pub fn get_desc(&mut self, ups: &str, var: &str) -> Result<String> {
        let mut w = self.get_words(&["GET", "DESC", ups, var], &["DESC", ups, var], 1)?;
        Ok(w.swap_remove(0))
    }

    /// `GET CMDDESC`: the instant command's description.
    pub fn get_cmddesc(&mut self, ups: &str, cmd: &str) -> Result<String> {
        let mut w = self.get_words(&["GET", "CMDDESC", ups, cmd], &["CMDDESC", ups, cmd], 1)?;
        Ok(w.swap_remove(0))
    }

    /// `GET UPSDESC`: the description from ups.conf.
    pub fn get_upsdesc(&mut self, ups: &str) -> Result<String> {
        let mut w = self.get_words(&["GET", "UPSDESC", ups], &["UPSDESC", ups], 1)?;
        Ok(w.swap_remove(0))
    }

    /// `GET NUMLOGINS`: how many clients did LOGIN on the UPS.
    pub fn get_numlogins(&mut self, ups: &str) -> Result<u32> {
        let w = self.get_words(&["GET", "NUMLOGINS", ups], &["NUMLOGINS", ups], 1)?;
        w[0].parse().map_err(|_| ClientError::Protocol(format!("NUMLOGINS {ups} {}", w[0])))
    }

    /// `GET TRACKING`: whether tracking is on for this connection.
    pub fn tracking_enabled(&mut self) -> Result<bool> {
        let reply = self.request_checked("GET TRACKING")?;
        match reply.as_str() {
            "ON" => Ok(true),
            "OFF" => Ok(false),
            _ => Err(ClientError::InvalidResponse(reply)),
        }
    }

    /// `GET TRACKING <id>`: the state of a tracked SET or INSTCMD. A
    /// driver-side failure is a normal answer here, not an `Err`; errors
    /// about the query itself (`FEATURE-NOT-CONFIGURED`) are `Err`.
    pub fn get_tracking(&mut self, id: &str) -> Result<TrackingStatus> {
        let reply = self.request(&Client::build(&["GET", "TRACKING", id]))?;
        if let Some(Some(ErrCode::FeatureNotConfigured | ErrCode::UnknownCommand)) =
            nut_proto::errcode::parse_err_line(&reply)
        {
            return Err(ClientError::from_err_line(&reply).unwrap_or(ClientError::InvalidResponse(reply)));
        }
        Ok(TrackingStatus::from_line(&reply))
    }

    /// `VER`: the server's version banner.
    pub fn ver(&mut self) -> Result<String> {
        self.request_checked("VER")
    }

    /// `NETVER`: the protocol version (`1.3`).
    pub fn netver(&mut self) -> Result<String> {
        self.request_checked("NETVER")
    }

    // ---- LIST -------------------------------------------------------------

    /// `LIST UPS`: (name, description) in server order.
    pub fn list_ups(&mut self) -> Result<Vec<(String, String)>> {
        Ok(self.list_words(&["UPS"], &["UPS"], 2)?.into_iter().map(pair).collect())
    }

    /// `LIST VAR`: (variable, value) in server order.
    pub fn list_vars(&mut self, ups: &str) -> Result<Vec<(String, String)>> {
        Ok(self.list_words(&["VAR", ups], &["VAR", ups], 2)?.into_iter().map(pair).collect())
    }

    /// `LIST RW`: writable (variable, value).
    pub fn list_rw(&mut self, ups: &str) -> Result<Vec<(String, String)>> {
        Ok(self.list_words(&["RW", ups], &["RW", ups], 2)?.into_iter().map(pair).collect())
    }

    /// `LIST CMD`: instant command names.
    pub fn list_cmd(&mut self, ups: &str) -> Result<Vec<String>> {
        Ok(self.list_words(&["CMD", ups], &["CMD", ups], 1)?.into_iter().map(first).collect())
    }

    /// `LIST ENUM`: the accepted values of a variable.
    pub fn list_enum(&mut self, ups: &str, var: &str) -> Result<Vec<String>> {
        Ok(self.list_words(&["ENUM", ups, var], &["ENUM", ups, var], 1)?.into_iter().map(first).collect())
    }

    /// `LIST RANGE`: the accepted (min, max) ranges of a variable, as sent.
    pub fn list_range(&mut self, ups: &str, var: &str) -> Result<Vec<(String, String)>> {
        Ok(self.list_words(&["RANGE", ups, var], &["RANGE", ups, var], 2)?.into_iter().map(pair).collect())
    }

    /// `LIST CLIENT`: addresses of the clients logged in to the UPS.
    pub fn list_client(&mut self, ups: &str) -> Result<Vec<String>> {
        Ok(self.list_words(&["CLIENT", ups], &["CLIENT", ups], 1)?.into_iter().map(first).collect())
    }

    // ---- session ----------------------------------------------------------

    /// `USERNAME <name>`.
    pub fn username(&mut self, name: &str) -> Result<()> {
        self.request_ok(&Client::build(&["USERNAME", name])).map(drop)
    }

    /// `PASSWORD <password>`.
    pub fn password(&mut self, password: &str) -> Result<()> {
        self.request_ok(&Client::build(&["PASSWORD", password])).map(drop)
    }

    /// `LOGIN <ups>` (counts this connection in NUMLOGINS).
    pub fn login(&mut self, ups: &str) -> Result<()> {
        self.request_ok(&Client::build(&["LOGIN", ups])).map(drop)
    }

    /// `PRIMARY <ups>`, falling back to `MASTER <ups>` if the server
    /// refuses PRIMARY (servers before 2.8.0 only know MASTER).
    pub fn primary(&mut self, ups: &str) -> Result<Grant> {
        match self.request_checked(&Client::build(&["PRIMARY", ups])) {
            Ok(reply) if reply == "OK PRIMARY-GRANTED" || reply == "OK" => return Ok(Grant::Primary),
            Ok(reply) => return Err(ClientError::InvalidResponse(reply)),
            Err(e) if e.is_fatal() => return Err(e),
            Err(_) => {}
        }
        let reply = self.request_checked(&Client::build(&["MASTER", ups]))?;
        if reply == "OK MASTER-GRANTED" || reply == "OK" {
            Ok(Grant::Master)
        } else {
            Err(ClientError::InvalidResponse(reply))
        }
    }

    /// `FSD <ups>`: set the forced-shutdown flag.
    pub fn fsd(&mut self, ups: &str) -> Result<()> {
        let reply = self.request_checked(&Client::build(&["FSD", ups]))?;
        if reply == "OK FSD-SET" || reply == "OK" {
            Ok(())
        } else {
            Err(ClientError::InvalidResponse(reply))
        }
    }

    /// `SET VAR <ups> <var> "<value>"`. Returns the tracking id when
    /// tracking is on (`OK TRACKING <id>`).
    pub fn set_var(&mut self, ups: &str, var: &str, value: &str) -> Result<Option<String>> {
        let line = format!("SET VAR {} {} {}", quote_if_needed(ups), quote_if_needed(var), quote(value));
        let reply = self.request_ok(&line)?;
        Ok(tracking_id(&reply))
    }

    /// `INSTCMD <ups> <cmd> [<param>]`. Returns the tracking id when
    /// tracking is on.
    pub fn instcmd(&mut self, ups: &str, cmd: &str, param: Option<&str>) -> Result<Option<String>> {
        let mut words = vec!["INSTCMD", ups, cmd];
        words.extend(param);
        let reply = self.request_ok(&Client::build(&words))?;
        Ok(tracking_id(&reply))
    }

    /// `SET TRACKING ON|OFF` for this connection.
    pub fn set_tracking(&mut self, on: bool) -> Result<()> {
        self.request_ok(if on { "SET TRACKING ON" } else { "SET TRACKING OFF" }).map(drop)
    }

    /// Ask for TLS. A refusal (`ERR ...`) leaves the session in plain text
    /// and is returned as `Ok(Refused)`. After `OK STARTTLS` the handshake
    /// runs at once; if it fails the connection is unusable and
    /// [`ClientError::Tls`] says why (a certificate that does not verify,
    /// a server that does not speak TLS...).
    pub fn starttls(&mut self, tls: &TlsClientConfig) -> Result<StartTls> {
        if matches!(self.stream, Stream::Tls(_)) {
            return Err(ClientError::Tls("this connection is already encrypted".to_string()));
        }
        let reply = self.request("STARTTLS")?;
        if let Some(code) = nut_proto::errcode::parse_err_line(&reply) {
            return Ok(StartTls::Refused { code, line: reply });
        }
        if !reply.starts_with("OK STARTTLS") {
            // Anything but the agreement means "no TLS here", as in NUT.
            return Ok(StartTls::Refused { code: None, line: reply });
        }
        if self.start < self.buf.len() {
            // Bytes after OK STARTTLS before our ClientHello: not a server
            // we can trust to start TLS properly.
            self.broken = true;
            return Err(ClientError::Tls("the server sent data before the TLS handshake".to_string()));
        }
        self.buf.clear();
        self.start = 0;
        let name = tls.name_for(&self.host).map_err(|e| {
            self.broken = true;
            ClientError::Tls(e)
        })?;
        let conn = rustls::ClientConnection::new(tls.config.clone(), name).map_err(|e| {
            self.broken = true;
            ClientError::Tls(e.to_string())
        })?;
        let placeholder = Stream::Plain(self.stream.tcp().try_clone().map_err(|e| {
            self.broken = true;
            ClientError::Tls(e.to_string())
        })?);
        let Stream::Plain(sock) = std::mem::replace(&mut self.stream, placeholder) else {
            unreachable!("checked above");
        };
        let mut tls_stream = rustls::StreamOwned::new(conn, sock);
        while tls_stream.conn.is_handshaking() {
            if let Err(e) = tls_stream.conn.complete_io(&mut tls_stream.sock) {
                self.broken = true;
                let text = tls_error_text(&e).unwrap_or_else(|| match e.kind() {
                    io::ErrorKind::UnexpectedEof => "the server closed the connection during the handshake".to_string(),
                    _ => error::io_error_text(&e),
                });
                let _ = tls_stream.sock.shutdown(std::net::Shutdown::Both);
                return Err(ClientError::Tls(text));
            }
        }
        let version = tls_stream
            .conn
            .protocol_version()
            .map(|v| format!("{v:?}"))
            .unwrap_or_default();
        let cipher = tls_stream
            .conn
            .negotiated_cipher_suite()
            .map(|c| format!("{:?}", c.suite()))
            .unwrap_or_default();
        self.stream = Stream::Tls(Box::new(tls_stream));
        Ok(StartTls::Established { version, cipher })
    }

    /// True once STARTTLS succeeded on this connection.
    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    /// `LOGOUT`, waiting for the server's goodbye.
    pub fn logout(&mut self) -> Result<()> {
        let reply = self.request_checked("LOGOUT")?;
        if reply.starts_with("OK") || reply.starts_with("Goodbye") {
            Ok(())
        } else {
            Err(ClientError::InvalidResponse(reply))
        }
    }

    /// Say `LOGOUT` without waiting for an answer and close (what NUT's
    /// tools do on exit). Errors are ignored: the connection is going away.
    pub fn disconnect(mut self) {
        if !self.broken {
            let _ = self.send_line("LOGOUT");
        }
        if let Stream::Tls(t) = &mut self.stream {
            t.conn.send_close_notify();
            let _ = t.flush();
        }
        let _ = self.stream.tcp().shutdown(std::net::Shutdown::Both);
    }
}

/// The TLS failure inside an I/O error from rustls, in words.
fn tls_error_text(e: &io::Error) -> Option<String> {
    let inner = e.get_ref()?;
    let tls = inner.downcast_ref::<rustls::Error>()?;
    Some(describe_tls_error(tls))
}

/// rustls' errors, worded for someone reading a log.
pub fn describe_tls_error(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(why) => format!("server certificate rejected: {why:?}"),
        rustls::Error::AlertReceived(alert) => format!("the server refused the handshake ({alert:?})"),
        other => other.to_string(),
    }
}

fn pair(mut words: Vec<String>) -> (String, String) {
    let second = words.swap_remove(1);
    let first = words.swap_remove(0);
    (first, second)
}

fn first(mut words: Vec<String>) -> String {
    words.swap_remove(0)
}

/// The id in `OK TRACKING <id>`, if any.
pub fn tracking_id(reply: &str) -> Option<String> {
    let mut words = reply.split_ascii_whitespace();
    if words.next() == Some("OK") && words.next() == Some("TRACKING") {
        words.next().map(str::to_string)
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
