//! Delivering [`Alert`]s off the decision path: a bounded queue and one
//! worker thread that speaks HTTP/1.1, over TLS (rustls, as the rest of
//! the workspace) for https:// URLs.
//!
//! The monitoring loop only ever pushes onto the queue (a mutex held for a
//! few instructions); it never waits for a network. When the queue is
//! full the oldest entry is dropped with a log line. Each attempt has a
//! deadline ([`ATTEMPT_TIMEOUT`]) covering connect, send and the status
//! line; failed attempts are retried with backoff ([`alert::backoff`]) up
//! to [`alert::MAX_ATTEMPTS`] tries, without holding up other entries.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::alert::{self, Alert, AttemptResult, Target};

/// Bound for one attempt: connect, send the request, read the status line.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Entries (one alert for one target) the queue holds at most.
pub const QUEUE_CAPACITY: usize = 64;

#[derive(Debug)]
struct Job {
    target: Arc<Target>,
    alert: Arc<Alert>,
    /// Attempts made so far.
    attempts: u32,
    not_before: Instant,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    /// An attempt is under way (for [`Alerts::drain`]).
    busy: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // a panic in the worker must not take the monitor with it
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The sending side, owned by the monitoring loop.
pub struct Alerts {
    targets: Vec<Arc<Target>>,
    shared: Arc<Shared>,
}

/// Turn the WEBHOOK and NTFY URLs into targets. Bad ones were refused at
/// configuration load; any left are logged and skipped.
pub fn targets(webhooks: &[String], ntfy: &[String]) -> Vec<Target> {
    let mut out = Vec::new();
    for (kind, urls) in [("WEBHOOK", webhooks), ("NTFY", ntfy)] {
        for url in urls {
            match alert::parse_url(url) {
                Ok(u) if kind == "WEBHOOK" => out.push(Target::Webhook(u)),
                Ok(u) => out.push(Target::Ntfy(u)),
                Err(e) => log::error!("{kind} {url}: {e}; not used"),
            }
        }
    }
    out
}

impl Alerts {
    /// Start the worker thread. `None` when there is nowhere to send.
    pub fn start(targets: Vec<Target>) -> Option<Alerts> {
        if targets.is_empty() {
            return None;
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        });
        let worker = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("upsmon-alerts".into())
            .spawn(move || work(&worker));
        if let Err(e) = spawned {
            log::error!("Can't start the WEBHOOK/NTFY sender: {e}");
            return None;
        }
        for t in &targets {
            log::info!("Sending notifications to {} {}", t.kind(), t.url().display);
        }
        if targets.iter().any(|t| t.url().tls) {
            if let Err(e) = tls_config() {
                log::error!("https:// notifications will fail: {e}");
            }
        }
        Some(Alerts {
            targets: targets.into_iter().map(Arc::new).collect(),
            shared,
        })
    }

    /// Replace the targets (after a reload); queued entries keep theirs.
    pub fn set_targets(&mut self, targets: Vec<Target>) {
        self.targets = targets.into_iter().map(Arc::new).collect();
    }

    pub fn has_targets(&self) -> bool {
        !self.targets.is_empty()
    }

    /// Queue `alert` for every target. Never blocks on the network.
    pub fn send(&self, alert: Alert) {
        let alert = Arc::new(alert);
        let now = Instant::now();
        let mut st = self.shared.lock();
        for t in &self.targets {
            if st.queue.len() >= QUEUE_CAPACITY {
                if let Some(old) = st.queue.pop_front() {
                    log::warn!(
                        "Notification queue full: dropped {} {} for {} {}",
                        old.alert.kind.name(),
                        old.alert.ups.as_deref().unwrap_or(""),
                        old.target.kind(),
                        old.target.url().display
                    );
                }
            }
            st.queue.push_back(Job {
                target: Arc::clone(t),
                alert: Arc::clone(&alert),
                attempts: 0,
                not_before: now,
            });
        }
        drop(st);
        self.shared.wake.notify_one();
    }

    /// Wait until nothing is queued or in flight, or until `limit` has
    /// passed. Used on the way out, after SHUTDOWNCMD has been started.
    pub fn drain(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let mut st = self.shared.lock();
        while !st.queue.is_empty() || st.busy {
            let now = Instant::now();
            if now >= deadline {
                log::info!(
                    "Exiting with {} notification(s) not delivered",
                    st.queue.len() + usize::from(st.busy)
                );
                return;
            }
            st = match self
                .shared
                .wake
                .wait_timeout(st, (deadline - now).min(Duration::from_millis(100)))
            {
                Ok((g, _)) => g,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

/// Index of the first job due now, else how long until the earliest one.
fn next_due(queue: &VecDeque<Job>, now: Instant) -> Result<usize, Option<Duration>> {
    if let Some(i) = queue.iter().position(|j| j.not_before <= now) {
        return Ok(i);
    }
    Err(queue.iter().map(|j| j.not_before - now).min())
}

fn work(shared: &Shared) {
    // the TLS context, made at the first https:// attempt
    let mut tls: Option<Result<Arc<rustls::ClientConfig>, String>> = None;
    let mut st = shared.lock();
    loop {
        let now = Instant::now();
        match next_due(&st.queue, now) {
            Ok(i) => {
                let Some(mut job) = st.queue.remove(i) else {
                    continue;
                };
                st.busy = true;
                drop(st);
                job.attempts += 1;
                if job.target.url().tls && tls.is_none() {
                    tls = Some(tls_config());
                }
                let result = attempt(&job.target, &job.alert, tls.as_ref());
                let what = format!(
                    "{} {} to {} {}",
                    job.alert.kind.name(),
                    job.alert.ups.as_deref().unwrap_or("(this host)"),
                    job.target.kind(),
                    job.target.url().display
                );
                st = shared.lock();
                st.busy = false;
                match result {
                    AttemptResult::Delivered(code) => {
                        nut_daemon::debugx!(1, "Notification {what} delivered (HTTP {code})");
                    }
                    AttemptResult::Failed(why) => {
                        log::error!("Notification {what} failed: {why}; not retrying");
                    }
                    AttemptResult::Refused(code) => {
                        log::error!("Notification {what} refused with HTTP {code}; not retrying");
                    }
                    AttemptResult::Retry(why) if job.attempts < alert::MAX_ATTEMPTS => {
                        let wait = alert::backoff(job.attempts);
                        log::warn!(
                            "Notification {what} failed (attempt {} of {}): {why}; retrying in {} s",
                            job.attempts,
                            alert::MAX_ATTEMPTS,
                            wait.as_secs()
                        );
                        job.not_before = Instant::now() + wait;
                        st.queue.push_back(job);
                    }
                    AttemptResult::Retry(why) => {
                        log::error!(
                            "Notification {what} failed (attempt {} of {}): {why}; giving up",
                            job.attempts,
                            alert::MAX_ATTEMPTS
                        );
                    }
                }
                shared.wake.notify_all();
            }
            Err(wait) => {
                let wait = wait.unwrap_or(Duration::from_secs(3600));
                st = match shared.wake.wait_timeout(st, wait) {
                    Ok((g, _)) => g,
                    Err(poisoned) => poisoned.into_inner().0,
                };
            }
        }
    }
}

/// Where the CA certificates for https:// are looked for, after
/// `$SSL_CERT_FILE`: Debian's bundle (package ca-certificates), then
/// Fedora's and the BSDs'.
pub const CA_BUNDLES: &[&str] =
    &["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

/// The CA bundle in use: `$SSL_CERT_FILE`, else the first of [`CA_BUNDLES`]
/// that exists.
pub fn ca_bundle() -> Result<std::path::PathBuf, String> {
    if let Some(f) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
        return Ok(f.into());
    }
    CA_BUNDLES.iter().map(std::path::PathBuf::from).find(|p| p.is_file()).ok_or_else(|| {
        format!(
            "no CA certificates found (looked for {}; install ca-certificates or set SSL_CERT_FILE)",
            CA_BUNDLES.join(", ")
        )
    })
}

/// A client TLS context that checks servers against [`ca_bundle`].
pub fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    let bundle = ca_bundle()?;
    let certs = nut_client::tls::load_ca_path(&bundle)?;
    let mut roots = rustls::RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!("{}: no usable CA certificate", bundle.display()));
    }
    let config = rustls::ClientConfig::builder_with_provider(nut_client::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// One try: connect, (for https:// the TLS handshake,) send, read the
/// status line, all within [`ATTEMPT_TIMEOUT`].
fn attempt(target: &Target, a: &Alert, tls: Option<&Result<Arc<rustls::ClientConfig>, String>>) -> AttemptResult {
    let deadline = Instant::now() + ATTEMPT_TIMEOUT;
    let url = target.url();
    let tls = match (url.tls, tls) {
        (false, _) => None,
        (true, Some(Ok(config))) => Some(Arc::clone(config)),
        (true, Some(Err(e))) => return AttemptResult::Failed(e.clone()),
        (true, None) => return AttemptResult::Failed("no TLS context".into()),
    };
    let addrs = match (url.host.as_str(), url.port).to_socket_addrs() {
        Ok(a) => a.collect::<Vec<_>>(),
        Err(e) => return AttemptResult::Retry(format!("can't resolve {}: {e}", url.host)),
    };
    let mut last = format!("no address for {}", url.host);
    let mut stream = None;
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            last = "timed out connecting".into();
            break;
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = format!("connect to {addr}: {e}"),
        }
    }
    let Some(stream) = stream else { return AttemptResult::Retry(last) };
    // one deadline for the whole exchange, handshake included
    let left = Some(deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1)));
    let _ = stream.set_write_timeout(left);
    let _ = stream.set_read_timeout(left);
    let request = target.request(a);
    match tls {
        None => exchange(stream, &request),
        Some(config) => {
            let name = match rustls::pki_types::ServerName::try_from(url.host.clone()) {
                Ok(n) => n,
                Err(_) => return AttemptResult::Failed(format!("{:?} is not a valid host name for TLS", url.host)),
            };
            match rustls::ClientConnection::new(config, name) {
                Ok(conn) => exchange(rustls::StreamOwned::new(conn, stream), &request),
                Err(e) => AttemptResult::Failed(format!("TLS setup failed: {e}")),
            }
        }
    }
}

/// Send `request` and read the status line of the answer.
fn exchange<S: Read + Write>(mut s: S, request: &[u8]) -> AttemptResult {
    if let Err(e) = s.write_all(request).and_then(|_| s.flush()) {
        return AttemptResult::Retry(format!("sending: {}", io_text(&e)));
    }
    // the status line is all we need; cap what we are willing to read
    let mut first = String::new();
    let mut reader = BufReader::new((&mut s).take(8192));
    match reader.read_line(&mut first) {
        Ok(0) => AttemptResult::Retry("connection closed without an answer".into()),
        Ok(_) => match alert::status_code(&first) {
            Some(code) => alert::classify(code),
            None => AttemptResult::Retry(format!("not an HTTP answer: {:?}", first.trim_end())),
        },
        Err(e) => AttemptResult::Retry(format!("waiting for the answer: {}", io_text(&e))),
    }
}

fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs())
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::NotifyType;
    use std::net::TcpListener;

    fn alert(kind: NotifyType) -> Alert {
        Alert {
            kind,
            ups: Some("u@h".into()),
            host: "me".into(),
            message: "m".into(),
            status: None,
            unix_time: 0,
        }
    }

    #[test]
    fn due_order() {
        let now = Instant::now();
        let t = Arc::new(Target::Webhook(alert::parse_url("http://h/").unwrap()));
        let a = Arc::new(alert(NotifyType::OnBatt));
        let job = |secs: u64| Job {
            target: t.clone(),
            alert: a.clone(),
            attempts: 0,
            not_before: now + Duration::from_secs(secs),
        };
        let q: VecDeque<Job> = [job(5), job(0), job(0)].into();
        assert_eq!(next_due(&q, now).unwrap(), 1);
        let q: VecDeque<Job> = [job(5), job(3)].into();
        assert_eq!(next_due(&q, now).unwrap_err(), Some(Duration::from_secs(3)));
        assert_eq!(next_due(&VecDeque::new(), now).unwrap_err(), None);
    }

    /// A server that answers each connection with `code` and hands the
    /// requests back.
    fn server(codes: &'static [u16]) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", l.local_addr().unwrap());
        let h = std::thread::spawn(move || {
            let mut got = Vec::new();
            for code in codes {
                let (mut s, _) = l.accept().unwrap();
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut buf = vec![0u8; 4096];
                let mut req = Vec::new();
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    req.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&req);
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len: usize = text
                            .lines()
                            .find_map(|l| l.strip_prefix("Content-Length: "))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if req.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                let _ = write!(s, "HTTP/1.1 {code} X\r\nContent-Length: 0\r\n\r\n");
                got.push(String::from_utf8_lossy(&req).into_owned());
            }
            got
        });
        (url, h)
    }

    #[test]
    fn delivers_in_order_and_drains() {
        let (url, h) = server(&[200, 200]);
        let alerts = Alerts::start(targets(&[url], &[])).unwrap();
        alerts.send(alert(NotifyType::OnBatt));
        alerts.send(alert(NotifyType::Online));
        alerts.drain(Duration::from_secs(20));
        let got = h.join().unwrap();
        assert!(got[0].contains("\"event\":\"ONBATT\""), "{got:?}");
        assert!(got[1].contains("\"event\":\"ONLINE\""), "{got:?}");
    }

    #[test]
    fn retries_server_errors_then_succeeds() {
        let (url, h) = server(&[503, 200]);
        let alerts = Alerts::start(targets(&[url], &[])).unwrap();
        alerts.send(alert(NotifyType::LowBatt));
        alerts.drain(Duration::from_secs(20));
        let got = h.join().unwrap();
        assert_eq!(got.len(), 2);
        assert!(
            got.iter().all(|r| r.contains("\"event\":\"LOWBATT\"")),
            "{got:?}"
        );
        let st = alerts.shared.lock();
        assert!(st.queue.is_empty() && !st.busy);
    }

    #[test]
    fn overflow_drops_the_oldest() {
        // a target that is never due keeps everything queued
        let alerts = Alerts::start(targets(&["http://127.0.0.1:9/".into()], &[])).unwrap();
        {
            let mut st = alerts.shared.lock();
            for _ in 0..QUEUE_CAPACITY {
                st.queue.push_back(Job {
                    target: alerts.targets[0].clone(),
                    alert: Arc::new(alert(NotifyType::Cal)),
                    attempts: 0,
                    not_before: Instant::now() + Duration::from_secs(3600),
                });
            }
        }
        alerts.send(alert(NotifyType::Fsd));
        let st = alerts.shared.lock();
        assert!(st.queue.len() <= QUEUE_CAPACITY);
        assert!(st.queue.iter().any(|j| j.alert.kind == NotifyType::Fsd) || st.busy);
    }
}
