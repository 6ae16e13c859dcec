//! Parsing one HTTP/1.x request head from the bytes a connection has
//! received so far, for upsd's `HTTP_LISTEN` status page and metrics.
//! Pure: bytes in, a verdict out; never panics.
//!
//! Only what the status page and `/metrics` need is supported: requests
//! without a body. Anything else gets a 4xx/5xx answer and the connection
//! is closed, so a confused or hostile peer cannot make us buffer more than
//! [`MAX_HEAD`] bytes.

/// Largest request head (request line and headers) we accept, in bytes.
pub const MAX_HEAD: usize = 8192;
/// Most header lines in one request.
pub const MAX_HEADERS: usize = 64;

/// The method, as far as we care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    /// Any other syntactically valid method; answered with 405.
    Other(String),
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// The path, percent-decoded, without the query.
    pub path: String,
    /// The raw query string (after `?`), if any.
    pub query: Option<String>,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor: u8,
    /// Header names in lower case, values trimmed, in order.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether the connection stays open after the answer: HTTP/1.1
    /// unless `Connection: close`, HTTP/1.0 only with `keep-alive`.
    pub fn keep_alive(&self) -> bool {
        let tokens = |want: &str| {
            self.headers
                .iter()
                .filter(|(n, _)| n == "connection")
                .any(|(_, v)| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(want)))
        };
        if self.minor >= 1 {
            !tokens("close")
        } else {
            tokens("keep-alive")
        }
    }

    /// A query parameter's raw value (`since` in `?since=123`).
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query.as_deref()?.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == key).then_some(v)
        })
    }
}

/// Why a request is refused; each maps to a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// Malformed request line or header: 400.
    BadRequest(&'static str),
    /// Head larger than [`MAX_HEAD`] or more than [`MAX_HEADERS`] lines: 431.
    HeadTooLarge,
    /// A request with a body (we take none): 413.
    BodyNotAccepted,
    /// Not HTTP/1.0 or 1.1: 505.
    Version,
}

impl Reject {
    pub fn status(self) -> u16 {
        match self {
            Reject::BadRequest(_) => 400,
            Reject::HeadTooLarge => 431,
            Reject::BodyNotAccepted => 413,
            Reject::Version => 505,
        }
    }

    /// A short reason for the body of the error answer and the debug log.
    pub fn reason(self) -> &'static str {
        match self {
            Reject::BadRequest(why) => why,
            Reject::HeadTooLarge => "request head too large",
            Reject::BodyNotAccepted => "request bodies are not accepted",
            Reject::Version => "only HTTP/1.0 and HTTP/1.1 are supported",
        }
    }
}

/// What the bytes received so far amount to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parse {
    /// No complete head yet (and nothing wrong so far): read more.
    Incomplete,
    /// A request, and how many bytes of the input its head used.
    Done(Request, usize),
    /// Refuse and close.
    Bad(Reject),
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Where the head ends: the index just past the blank line. Lines may end
/// in CRLF or a bare LF (RFC 9112 lets servers accept the latter).
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        let next = nl + 1;
        if buf.get(next) == Some(&b'\n') {
            return Some(next + 1);
        }
        if buf.get(next) == Some(&b'\r') && buf.get(next + 1) == Some(&b'\n') {
            return Some(next + 2);
        }
        i = next;
    }
    None
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decode a path; None when an escape is broken or the result is
/// not UTF-8 or contains a control character.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = hex(*bytes.get(i + 1)?)?;
            let lo = hex(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    (!text.chars().any(char::is_control)).then_some(text)
}

fn parse_request_line(line: &str) -> Result<(Method, String, Option<String>, u8), Reject> {
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Reject::BadRequest("malformed request line"));
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(Reject::BadRequest("malformed method"));
    }
    let minor = match version {
        "HTTP/1.1" => 1,
        "HTTP/1.0" => 0,
        v if v.starts_with("HTTP/") && v.len() == 8 => return Err(Reject::Version),
        _ => return Err(Reject::BadRequest("malformed HTTP version")),
    };
    if !target.starts_with('/') || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Reject::BadRequest("request target must be an absolute path"));
    }
    let (raw_path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (target, None),
    };
    let raw_path = raw_path.split('#').next().unwrap_or(raw_path);
    let path = percent_decode(raw_path).ok_or(Reject::BadRequest("bad percent-encoding in path"))?;
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        other => Method::Other(other.to_string()),
    };
    Ok((method, path, query, minor))
}

/// Parse the head at the start of `buf`.
pub fn parse(buf: &[u8]) -> Parse {
    // RFC 9112 2.2: ignore empty lines before the request line.
    let skip = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    let Some(len) = head_end(&buf[skip..]) else {
        return if buf.len() > MAX_HEAD { Parse::Bad(Reject::HeadTooLarge) } else { Parse::Incomplete };
    };
    if len > MAX_HEAD {
        return Parse::Bad(Reject::HeadTooLarge);
    }
    let head = &buf[skip..skip + len];
    let Ok(head) = std::str::from_utf8(head) else {
        return Parse::Bad(Reject::BadRequest("request head is not valid text"));
    };
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next().unwrap_or("");
    let (method, path, query, minor) = match parse_request_line(first) {
        Ok(x) => x,
        Err(r) => return Parse::Bad(r),
    };
    let mut headers = Vec::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        if headers.len() >= MAX_HEADERS {
            return Parse::Bad(Reject::HeadTooLarge);
        }
        if line.starts_with([' ', '\t']) {
            return Parse::Bad(Reject::BadRequest("folded header lines are not accepted"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Parse::Bad(Reject::BadRequest("header line without a colon"));
        };
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Parse::Bad(Reject::BadRequest("malformed header name"));
        }
        if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Parse::Bad(Reject::BadRequest("control character in a header value"));
        }
        headers.push((name.to_ascii_lowercase(), value.trim_matches([' ', '\t']).to_string()));
    }
    let req = Request { method, path, query, minor, headers };
    if req.header("transfer-encoding").is_some() {
        return Parse::Bad(Reject::BodyNotAccepted);
    }
    for (_, v) in req.headers.iter().filter(|(n, _)| n == "content-length") {
        match v.parse::<u64>() {
            Ok(0) => {}
            Ok(_) => return Parse::Bad(Reject::BodyNotAccepted),
            Err(_) => return Parse::Bad(Reject::BadRequest("malformed Content-Length")),
        }
    }
    if req.minor == 1 && req.headers.iter().filter(|(n, _)| n == "host").count() != 1 {
        return Parse::Bad(Reject::BadRequest("HTTP/1.1 requests need exactly one Host header"));
    }
    Parse::Done(req, skip + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(bytes: &[u8]) -> (Request, usize) {
        match parse(bytes) {
            Parse::Done(r, n) => (r, n),
            other => panic!("expected a request from {:?}, got {other:?}", String::from_utf8_lossy(bytes)),
        }
    }

    fn bad(bytes: &[u8]) -> u16 {
        match parse(bytes) {
            Parse::Bad(r) => r.status(),
            other => panic!("expected a rejection of {:?}, got {other:?}", String::from_utf8_lossy(bytes)),
        }
    }

    #[test]
    fn simple_get() {
        let raw = b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n";
        let (r, n) = done(raw);
        assert_eq!(n, raw.len());
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.path, "/metrics");
        assert_eq!(r.query, None);
        assert_eq!(r.minor, 1);
        assert_eq!(r.header("accept"), Some("text/plain"));
        assert!(r.keep_alive());
    }

    #[test]
    fn incomplete_until_blank_line() {
        let raw = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        for cut in 0..raw.len() {
            assert_eq!(parse(&raw[..cut]), Parse::Incomplete, "cut at {cut}");
        }
        assert!(matches!(parse(raw), Parse::Done(_, 27)));
    }

    #[test]
    fn pipelined_requests_are_taken_one_at_a_time() {
        let raw = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\n\r\n";
        let (r, n) = done(raw);
        assert_eq!(r.path, "/a");
        let (r2, n2) = done(&raw[n..]);
        assert_eq!((r2.method, r2.path.as_str()), (Method::Head, "/b"));
        assert_eq!(n + n2, raw.len());
    }

    #[test]
    fn bare_lf_and_leading_blank_lines() {
        let (r, n) = done(b"\r\nGET /x?since=5&a=b HTTP/1.0\nHost: y\n\nrest");
        assert_eq!(r.path, "/x");
        assert_eq!(r.query_param("since"), Some("5"));
        assert_eq!(r.query_param("a"), Some("b"));
        assert_eq!(r.query_param("c"), None);
        assert_eq!(n, 2 + 28 + 8 + 1);
        assert!(!r.keep_alive());
    }

    #[test]
    fn keep_alive_rules() {
        let (r, _) = done(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n");
        assert!(!r.keep_alive());
        let (r, _) = done(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assert!(r.keep_alive());
    }

    #[test]
    fn percent_decoding() {
        let (r, _) = done(b"GET /api/ups/my%2Dups HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(r.path, "/api/ups/my-ups");
        assert_eq!(bad(b"GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
        assert_eq!(bad(b"GET /a%0a HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
        assert_eq!(bad(b"GET /a%ff HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    }

    #[test]
    fn other_methods_parse_for_a_405() {
        let (r, _) = done(b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(r.method, Method::Other("DELETE".into()));
    }

    #[test]
    fn garbage_is_a_400() {
        assert_eq!(bad(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n"), 400);
        assert_eq!(bad(b"LIST UPS\n\n"), 400);
        assert_eq!(bad(b"GET /\r\n\r\n"), 400);
        assert_eq!(bad(b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
        assert_eq!(bad(b"GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
        assert_eq!(bad(b"GET / HTTP/1.1\r\nHost x\r\n\r\n"), 400);
        assert_eq!(bad(b"GET / HTTP/1.1\r\nHo st: x\r\n\r\n"), 400);
        assert_eq!(bad(b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"), 400);
        assert_eq!(bad(b"GET / HTTP/1.1\r\nHost: a\x01b\r\n\r\n"), 400);
        assert_eq!(bad(b"GET / HTTP/1.1\r\n\r\n"), 400, "HTTP/1.1 without Host");
        assert_eq!(bad(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
        assert_eq!(bad(b"G\xc3\xa9T / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    }

    #[test]
    fn versions_and_bodies() {
        assert_eq!(bad(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
        assert_eq!(bad(b"GET / HTTX/1.1\r\nHost: x\r\n\r\n"), 400);
        assert_eq!(bad(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"), 413);
        assert_eq!(bad(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"), 413);
        assert_eq!(bad(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"), 400);
        let (r, _) = done(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(r.path, "/");
    }

    #[test]
    fn head_size_is_capped() {
        let mut big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_HEAD));
        // Still no blank line: refused as soon as the cap is passed.
        assert_eq!(bad(&big), 431);
        assert_eq!(parse(&big[..MAX_HEAD]), Parse::Incomplete);
        big.extend_from_slice(b"\r\n\r\n");
        assert_eq!(bad(&big), 431);
        let mut many = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
        for i in 0..MAX_HEADERS {
            many.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(bad(&many), 431);
    }
}
