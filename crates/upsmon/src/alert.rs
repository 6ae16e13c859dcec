//! Notifications beyond NOTIFYCMD: `WEBHOOK` (a JSON POST) and `NTFY` (an
//! ntfy topic), as pure data. Everything here is text in, text out; the
//! sockets and the worker thread are in [`crate::alert_worker`].
//!
//! Which events go out: every notification the monitor emits, that is
//! every type whose NOTIFYFLAG is not `IGNORE` (NUT's flag words cannot be
//! extended without breaking NUT's own parser, so there is no separate
//! flag for these channels).

use std::fmt::Write as _;

use crate::notify::NotifyType;

/// One notification, with what the receivers are told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub kind: NotifyType,
    /// The MONITOR system name (`ups@host:port`); `None` for SHUTDOWN and
    /// NOPARENT, which concern this machine rather than one UPS.
    pub ups: Option<String>,
    /// This machine's host name (the one sending).
    pub host: String,
    /// The text NOTIFYCMD gets.
    pub message: String,
    /// The last `ups.status` upsmon read from this UPS, if any.
    pub status: Option<String>,
    /// Seconds since the Unix epoch when the event happened.
    pub unix_time: u64,
}

/// Where an alert goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Webhook(HttpUrl),
    Ntfy(HttpUrl),
}

impl Target {
    /// `WEBHOOK` or `NTFY`, for log lines.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Webhook(_) => "WEBHOOK",
            Target::Ntfy(_) => "NTFY",
        }
    }
    pub fn url(&self) -> &HttpUrl {
        match self {
            Target::Webhook(u) | Target::Ntfy(u) => u,
        }
    }
    /// The complete HTTP/1.1 request for `alert`.
    pub fn request(&self, alert: &Alert) -> Vec<u8> {
        match self {
            Target::Webhook(u) => http_post(
                u,
                &[("Content-Type", "application/json")],
                webhook_json(alert).as_bytes(),
            ),
            Target::Ntfy(u) => {
                let headers = ntfy_headers(alert);
                let refs: Vec<(&str, &str)> =
                    headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                http_post(u, &refs, alert.message.as_bytes())
            }
        }
    }
}

/// The types that warrant ntfy's `high` priority (and `"priority": "high"`
/// in the webhook JSON): power is at risk or the machine is going down.
pub fn is_urgent(kind: NotifyType) -> bool {
    matches!(
        kind,
        NotifyType::OnBatt | NotifyType::LowBatt | NotifyType::Fsd | NotifyType::Shutdown
    )
}

/// The webhook body: one JSON object (documented in upsmon.conf(5)).
pub fn webhook_json(a: &Alert) -> String {
    let value = serde_json::json!({
        "ups": a.ups,
        "host": a.host,
        "event": a.kind.name(),
        "message": a.message,
        "status": a.status,
        "time": rfc3339(a.unix_time),
        "timestamp": a.unix_time,
        "priority": if is_urgent(a.kind) { "high" } else { "default" },
        "source": "upsmon",
    });
    value.to_string()
}

/// ntfy's publishing headers (the body is the message text).
pub fn ntfy_headers(a: &Alert) -> Vec<(&'static str, String)> {
    let title = match &a.ups {
        Some(ups) => format!("{} {} ({})", ups, a.kind.name(), a.host),
        None => format!("{} on {}", a.kind.name(), a.host),
    };
    let tag = match a.kind {
        NotifyType::OnBatt => "battery",
        NotifyType::LowBatt => "warning",
        NotifyType::Fsd | NotifyType::Shutdown | NotifyType::ShutdownHostsync => "rotating_light",
        NotifyType::Online => "electric_plug",
        NotifyType::CommBad | NotifyType::NoComm | NotifyType::NoParent => "x",
        NotifyType::CommOk => "white_check_mark",
        NotifyType::ReplBatt => "wrench",
        _ => "information_source",
    };
    vec![
        ("Title", header_safe(&title)),
        (
            "Priority",
            if is_urgent(a.kind) { "high" } else { "default" }.to_string(),
        ),
        (
            "Tags",
            format!("{tag},ups,{}", a.kind.name().to_ascii_lowercase()),
        ),
        ("Content-Type", "text/plain; charset=utf-8".to_string()),
    ]
}

/// A header value that cannot break the request: printable ASCII only.
fn header_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch.
pub fn rfc3339(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let (year, month, day) = nut_proto::calendar::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// A parsed `http://` or `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// `https://`: TLS, the server's certificate checked against the CA
    /// certificates of the system.
    pub tls: bool,
    /// Host name or address, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
    /// `user:password` from the URL, sent as HTTP Basic authentication.
    pub userinfo: Option<String>,
    /// The URL as written, with any password masked (for log lines).
    pub display: String,
}

/// Why a URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(pub String);

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn invalid(why: impl Into<String>) -> UrlError {
    UrlError(why.into())
}

/// Parse `http[s]://[user:pass@]host[:port][/path][?query]`.
pub fn parse_url(url: &str) -> Result<HttpUrl, UrlError> {
    let scheme = |s: &str| url.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s));
    let (tls, rest) = if scheme("https://") {
        (true, &url["https://".len()..])
    } else if scheme("http://") {
        (false, &url["http://".len()..])
    } else {
        return Err(invalid("expected an http:// or https:// URL"));
    };
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("spaces or control characters in the URL"));
    }
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = path.split('#').next().unwrap_or("/");
    let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => (Some(authority[..i].to_string()), &authority[i + 1..]),
        None => (None, authority),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let Some(end) = v6.find(']') else { return Err(invalid("unclosed [ in the host")) };
        let after = &v6[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(invalid("junk after the ] of the host")),
        };
        (v6[..end].to_string(), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(invalid("no host in the URL"));
    }
    let port = match port {
        None if tls => 443,
        None => 80,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err(invalid(format!("bad port {p:?}"))),
        },
    };
    let scheme = if tls { "https" } else { "http" };
    let display = match &userinfo {
        Some(ui) => {
            let user = ui.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{hostport}{path}")
        }
        None => format!("{scheme}://{hostport}{path}"),
    };
    Ok(HttpUrl { tls, host, port, path, userinfo, display })
}

/// A complete `POST` request with `Connection: close`.
pub fn http_post(u: &HttpUrl, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = String::new();
    let host = if u.host.contains(':') {
        format!("[{}]", u.host)
    } else {
        u.host.clone()
    };
    let _ = write!(head, "POST {} HTTP/1.1\r\nHost: {host}", u.path);
    if u.port != if u.tls { 443 } else { 80 } {
        let _ = write!(head, ":{}", u.port);
    }
    head.push_str("\r\nUser-Agent: upsmon (nut-rs)\r\n");
    if let Some(ui) = &u.userinfo {
        let _ = write!(
            head,
            "Authorization: Basic {}\r\n",
            base64(percent_decode(ui).as_slice())
        );
    }
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    let _ = write!(
        head,
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The status code from the first line of a response (`HTTP/1.x NNN ...`).
pub fn status_code(first_line: &str) -> Option<u16> {
    let mut words = first_line.split_whitespace();
    let proto = words.next()?;
    if !proto.starts_with("HTTP/") {
        return None;
    }
    words
        .next()?
        .parse()
        .ok()
        .filter(|c| (100..1000).contains(c))
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    Delivered(u16),
    /// Worth another try (network trouble, timeout, 5xx, 408, 429).
    Retry(String),
    /// The server refused for good (other 4xx): no more tries.
    Refused(u16),
    /// Cannot work however often it is tried (no CA certificates, a host
    /// name TLS cannot use).
    Failed(String),
}

/// Classify a response status.
pub fn classify(code: u16) -> AttemptResult {
    match code {
        200..=299 => AttemptResult::Delivered(code),
        408 | 429 | 500..=599 => AttemptResult::Retry(format!("HTTP {code}")),
        _ => AttemptResult::Refused(code),
    }
}

/// Tries per alert and target (the first one and the retries).
pub const MAX_ATTEMPTS: u32 = 4;

/// The wait before try number `attempt + 1` (1 s, 2 s, 4 s ...).
pub fn backoff(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_secs(1u64 << attempt.saturating_sub(1).min(6))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(kind: NotifyType) -> Alert {
        Alert {
            kind,
            ups: Some("ups@127.0.0.1:3493".into()),
            host: "nas".into(),
            message: "UPS ups@127.0.0.1:3493 on battery".into(),
            status: Some("OB".into()),
            unix_time: 1_700_000_000,
        }
    }

    #[test]
    fn json_has_the_documented_fields() {
        let v: serde_json::Value =
            serde_json::from_str(&webhook_json(&alert(NotifyType::OnBatt))).unwrap();
        assert_eq!(v["ups"], "ups@127.0.0.1:3493");
        assert_eq!(v["host"], "nas");
        assert_eq!(v["event"], "ONBATT");
        assert_eq!(v["message"], "UPS ups@127.0.0.1:3493 on battery");
        assert_eq!(v["status"], "OB");
        assert_eq!(v["time"], "2023-11-14T22:13:20Z");
        assert_eq!(v["timestamp"], 1_700_000_000u64);
        assert_eq!(v["priority"], "high");
        let mut a = alert(NotifyType::Shutdown);
        a.ups = None;
        a.status = None;
        let v: serde_json::Value = serde_json::from_str(&webhook_json(&a)).unwrap();
        assert!(v["ups"].is_null() && v["status"].is_null());
        let v: serde_json::Value =
            serde_json::from_str(&webhook_json(&alert(NotifyType::Online))).unwrap();
        assert_eq!(v["priority"], "default");
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn ntfy_priority_and_tags() {
        for (k, p) in [
            (NotifyType::OnBatt, "high"),
            (NotifyType::LowBatt, "high"),
            (NotifyType::Fsd, "high"),
            (NotifyType::Shutdown, "high"),
            (NotifyType::Online, "default"),
            (NotifyType::CommBad, "default"),
        ] {
            let h = ntfy_headers(&alert(k));
            assert_eq!(
                h.iter().find(|(n, _)| *n == "Priority").unwrap().1,
                p,
                "{k}"
            );
            assert!(h
                .iter()
                .any(|(n, v)| *n == "Tags" && v.ends_with(&k.name().to_ascii_lowercase())));
        }
        let mut a = alert(NotifyType::OnBatt);
        a.host = "evil\r\nX-Injected: 1".into();
        let title = ntfy_headers(&a)
            .into_iter()
            .find(|(n, _)| *n == "Title")
            .unwrap()
            .1;
        assert!(!title.contains('\r') && !title.contains('\n'), "{title}");
    }

    #[test]
    fn urls() {
        let u = parse_url("http://127.0.0.1:8080/hook?x=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 8080, "/hook?x=1")
        );
        let u = parse_url("http://ntfy.lan").unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/"));
        let u = parse_url("http://[::1]:81/t#frag").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("::1", 81, "/t")
        );
        let u = parse_url("http://bob:s%40cret@h/t").unwrap();
        assert_eq!(u.userinfo.as_deref(), Some("bob:s%40cret"));
        assert_eq!(u.display, "http://bob:***@h/t");
        let u = parse_url("HTTPS://ntfy.sh/nas").unwrap();
        assert!(u.tls && !parse_url("http://h/").unwrap().tls);
        assert_eq!((u.host.as_str(), u.port, u.display.as_str()), ("ntfy.sh", 443, "https://ntfy.sh/nas"));
        let req = String::from_utf8(http_post(&u, &[], b"")).unwrap();
        assert!(req.contains("Host: ntfy.sh\r\n"), "{req}");
        assert!(parse_url("ftp://h").is_err());
        assert!(parse_url("http://h:99999/").is_err());
        assert!(parse_url("http:///x").is_err());
        // never a panic on odd bytes where the scheme should be
        assert!(parse_url("httpé://x").is_err() && parse_url("é").is_err());
    }

    #[test]
    fn requests() {
        let u = parse_url("http://bob:s%40cret@h:8080/t").unwrap();
        let req = String::from_utf8(http_post(&u, &[("X-A", "b")], b"hi")).unwrap();
        assert!(
            req.starts_with("POST /t HTTP/1.1\r\nHost: h:8080\r\n"),
            "{req}"
        );
        // base64("bob:s@cret")
        assert!(
            req.contains("Authorization: Basic Ym9iOnNAY3JldA==\r\n"),
            "{req}"
        );
        assert!(req.contains("X-A: b\r\n") && req.contains("Content-Length: 2\r\n"));
        assert!(req.ends_with("\r\n\r\nhi"));
        let req = String::from_utf8(
            Target::Ntfy(parse_url("http://h/topic").unwrap()).request(&alert(NotifyType::LowBatt)),
        )
        .unwrap();
        assert!(
            req.contains("Priority: high\r\n") && req.ends_with("on battery"),
            "{req}"
        );
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
    }

    #[test]
    fn responses_and_backoff() {
        assert_eq!(status_code("HTTP/1.1 204 No Content"), Some(204));
        assert_eq!(status_code("HTTP/1.0 500"), Some(500));
        assert_eq!(status_code("SSH-2.0-OpenSSH"), None);
        assert_eq!(classify(200), AttemptResult::Delivered(200));
        assert!(matches!(classify(503), AttemptResult::Retry(_)));
        assert!(matches!(classify(429), AttemptResult::Retry(_)));
        assert_eq!(classify(404), AttemptResult::Refused(404));
        assert_eq!(backoff(1).as_secs(), 1);
        assert_eq!(backoff(2).as_secs(), 2);
        assert_eq!(backoff(3).as_secs(), 4);
    }
}
