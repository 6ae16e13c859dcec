//! The caps that keep one careless or hostile peer from hurting the others,
//! and the rate-limited log lines that say when a cap was hit. Pure logic:
//! the event loop owns the sockets and asks these types what to do.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// While a client has more than this many reply bytes unsent, upsd stops
/// reading its requests (the kernel's buffers then push back on it).
pub const OUTPUT_PAUSE: usize = 64 * 1024;
/// A client whose unsent output still grows past this is dropped (one
/// request can only add one reply, so this is reached only by a reply far
/// larger than any real UPS produces).
pub const CLIENT_OUTPUT_CAP: usize = 1 << 20;
/// How long a closing client (idle timeout, UPS removed) may take to read
/// what is still queued for it before the connection is cut.
pub const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// Log lines about refused connections: at most [`RateLog::BURST`] per this.
pub const REFUSE_LOG_EVERY: Duration = Duration::from_secs(10);
/// Log lines about malformed request lines: at most [`RateLog::BURST`] per this.
pub const BAD_INPUT_LOG_EVERY: Duration = Duration::from_secs(10);

/// The default per-address cap: three quarters of MAXCONN (at least 1),
/// so one address flooding upsd always leaves room for the others.
pub fn default_per_address(maxconn: usize) -> usize {
    (maxconn / 4).saturating_mul(3).max(1)
}

/// At most [`RateLog::BURST`] lines per window; what was held back is
/// counted and reported with the next line let through.
#[derive(Debug)]
pub struct RateLog {
    every: Duration,
    window_start: Option<Instant>,
    in_window: u32,
    suppressed: u64,
}

impl RateLog {
    pub const BURST: u32 = 5;

    pub fn new(every: Duration) -> RateLog {
        RateLog { every, window_start: None, in_window: 0, suppressed: 0 }
    }

    /// `Some(n)` when a line may be logged now (`n` lines were held back
    /// since the last one); `None` when it must be dropped.
    pub fn allow(&mut self, now: Instant) -> Option<u64> {
        let fresh = self.window_start.map_or(true, |t| now.duration_since(t) >= self.every);
        if fresh {
            self.window_start = Some(now);
            self.in_window = 0;
        }
        if self.in_window >= Self::BURST {
            self.suppressed = self.suppressed.saturating_add(1);
            return None;
        }
        self.in_window += 1;
        Some(std::mem::take(&mut self.suppressed))
    }

    /// `text`, with a note about held-back lines when there were some.
    pub fn line(&mut self, now: Instant, text: impl FnOnce() -> String) -> Option<String> {
        let held = self.allow(now)?;
        let mut line = text();
        if held > 0 {
            line.push_str(&format!(" ({held} similar message{} suppressed)", if held == 1 { "" } else { "s" }));
        }
        Some(line)
    }
}

/// Connections per client address.
#[derive(Debug, Default)]
pub struct AddrCounts {
    counts: HashMap<String, usize>,
}

impl AddrCounts {
    pub fn get(&self, addr: &str) -> usize {
        self.counts.get(addr).copied().unwrap_or(0)
    }
    pub fn add(&mut self, addr: &str) {
        *self.counts.entry(addr.to_string()).or_insert(0) += 1;
    }
    pub fn remove(&mut self, addr: &str) {
        if let Some(n) = self.counts.get_mut(addr) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.counts.remove(addr);
            }
        }
    }
}

/// Why a new connection is refused, if it is.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    MaxConn(usize),
    PerAddress(usize),
}

/// Decide whether a connection from an address that already holds
/// `from_addr` connections may join `total` polled ones.
pub fn admit(total: usize, maxconn: usize, from_addr: usize, per_address: usize) -> Result<(), Refusal> {
    if total >= maxconn {
        return Err(Refusal::MaxConn(maxconn));
    }
    if from_addr >= per_address {
        return Err(Refusal::PerAddress(per_address));
    }
    Ok(())
}

/// The log line for a request line the lexer had to mangle or drop.
pub fn bad_line_text(addr: &str, flaws: nut_proto::lexer::LineFlaws, error: Option<&str>) -> Option<String> {
    let mut what = Vec::new();
    if let Some(e) = error {
        what.push(format!("malformed line dropped ({e})"));
    }
    if flaws.bad_bytes > 0 {
        what.push(format!(
            "{} control or non-ASCII byte{} dropped",
            flaws.bad_bytes,
            if flaws.bad_bytes == 1 { "" } else { "s" }
        ));
    }
    if flaws.truncated {
        what.push(format!(
            "line cut to {} words of {} bytes",
            nut_proto::lexer::MAX_ARGS,
            nut_proto::lexer::MAX_WORD_LEN
        ));
    }
    if what.is_empty() {
        return None;
    }
    Some(format!("Bad request from {addr}: {}", what.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nut_proto::lexer::LineFlaws;

    #[test]
    fn rate_log_lets_a_burst_through_then_counts() {
        let t0 = Instant::now();
        let mut r = RateLog::new(Duration::from_secs(10));
        for _ in 0..RateLog::BURST {
            assert_eq!(r.allow(t0), Some(0));
        }
        assert_eq!(r.allow(t0 + Duration::from_secs(1)), None);
        assert_eq!(r.allow(t0 + Duration::from_secs(2)), None);
        let line = r.line(t0 + Duration::from_secs(10), || "x".into());
        assert_eq!(line.as_deref(), Some("x (2 similar messages suppressed)"));
        assert_eq!(r.line(t0 + Duration::from_secs(11), || "y".into()).as_deref(), Some("y"));
    }

    #[test]
    fn admission() {
        assert_eq!(admit(9, 10, 0, 7), Ok(()));
        assert_eq!(admit(10, 10, 0, 7), Err(Refusal::MaxConn(10)));
        assert_eq!(admit(8, 10, 7, 7), Err(Refusal::PerAddress(7)));
        assert_eq!(default_per_address(1024), 768);
        assert_eq!(default_per_address(1), 1);
        let mut c = AddrCounts::default();
        c.add("a");
        c.add("a");
        c.remove("a");
        assert_eq!(c.get("a"), 1);
        c.remove("a");
        c.remove("a");
        assert_eq!(c.get("a"), 0);
        assert!(c.counts.is_empty());
    }

    #[test]
    fn bad_line_texts() {
        assert_eq!(bad_line_text("h", LineFlaws::default(), None), None);
        let t = bad_line_text("10.0.0.1", LineFlaws { bad_bytes: 3, truncated: true }, None).unwrap();
        assert_eq!(t, "Bad request from 10.0.0.1: 3 control or non-ASCII bytes dropped, line cut to 32 words of 512 bytes");
        let t = bad_line_text("h", LineFlaws::default(), Some("boom")).unwrap();
        assert_eq!(t, "Bad request from h: malformed line dropped (boom)");
    }
}
