//! The pure parts of upssched: the timer queue of the daemon and the
//! one-line wire between a short-lived upssched and its daemon.
//!
//! Wire (NUT 2.8.0, one request per connection, answered `OK\n`):
//! `START "<name>" "<secs>"` and `CANCEL "<name>"[ "<cmd>"]`. Newer NUT
//! sends three more quoted fields (type, UPS, message); they are accepted
//! and ignored.

use std::time::Duration;

use nut_proto::lexer::{quote, split_line};

/// After this many consecutive empty checks (one a second) the daemon
/// exits.
pub const IDLE_CHECKS: u32 = 15;

/// One running timer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub name: String,
    pub at: Duration,
}

/// What a request asks the daemon to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Start { name: String, secs: i64 },
    Cancel { name: String, cmd: Option<String> },
}

impl Request {
    /// The request line (with its newline) as 2.8.0 writes it.
    pub fn to_line(&self) -> String {
        match self {
            Request::Start { name, secs } => format!("START {} {}\n", quote(name), quote(&secs.to_string())),
            Request::Cancel { name, cmd: None } => format!("CANCEL {}\n", quote(name)),
            Request::Cancel { name, cmd: Some(c) } => format!("CANCEL {} {}\n", quote(name), quote(c)),
        }
    }

    /// Parse one request line; `Err` carries the text to log.
    pub fn parse(line: &str) -> Result<Request, String> {
        let words = split_line(line).map_err(|e| format!("Parse error on sock: {e}"))?;
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        match w.as_slice() {
            [cmd, name, secs, ..] if cmd.eq_ignore_ascii_case("START") => {
                let secs = secs.trim().parse::<i64>().unwrap_or(0);
                Ok(Request::Start { name: name.to_string(), secs })
            }
            [cmd, name, rest @ ..] if cmd.eq_ignore_ascii_case("CANCEL") => {
                let cmd = rest.first().filter(|c| !c.is_empty()).map(|c| c.to_string());
                Ok(Request::Cancel { name: name.to_string(), cmd })
            }
            _ => Err(format!("Unknown command on socket: {}", w.join(" "))),
        }
    }
}

/// What the daemon must do after a request or a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Run CMDSCRIPT with this word.
    Run(String),
    /// Log this line.
    Log(String),
    /// The queue stayed empty long enough: remove PIPEFN and exit.
    Exit,
}

/// The daemon's timers, in the order they were started.
#[derive(Debug, Clone, Default)]
pub struct TimerQueue {
    timers: Vec<Timer>,
    empty_checks: u32,
}

impl TimerQueue {
    pub fn timers(&self) -> &[Timer] {
        &self.timers
    }

    /// Handle one request at `now`.
    pub fn request(&mut self, req: Request, now: Duration) -> Vec<Effect> {
        match req {
            Request::Start { name, secs } => {
                if secs < 0 {
                    return vec![Effect::Log("bogus offset for timer, ignoring".to_string())];
                }
                let line = format!("New timer: {name} ({secs} seconds)");
                // duplicates are separate timers, as in 2.8.0
                self.timers.push(Timer { name, at: now + Duration::from_secs(secs as u64) });
                vec![Effect::Log(line)]
            }
            Request::Cancel { name, cmd } => {
                if let Some(i) = self.timers.iter().position(|t| t.name == name) {
                    self.timers.remove(i);
                    return vec![Effect::Log(format!("Cancelling timer: {name}"))];
                }
                match cmd {
                    Some(c) => vec![Effect::Log(format!("Executing command: {c}")), Effect::Run(c)],
                    None => Vec::new(),
                }
            }
        }
    }

    /// The once-a-second check: fire due timers (in start order) and count
    /// idle checks.
    pub fn check(&mut self, now: Duration) -> Vec<Effect> {
        if self.timers.is_empty() {
            self.empty_checks += 1;
            if self.empty_checks >= IDLE_CHECKS {
                return vec![Effect::Log("Timer queue empty, exiting".to_string()), Effect::Exit];
            }
            return Vec::new();
        }
        self.empty_checks = 0;
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.timers.len() {
            if self.timers[i].at <= now {
                let t = self.timers.remove(i);
                out.push(Effect::Log(format!("Event: {} ", t.name)));
                out.push(Effect::Run(t.name));
            } else {
                i += 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn wire_round_trip() {
        let start = Request::Start { name: "onbatt".into(), secs: 30 };
        assert_eq!(start.to_line(), "START \"onbatt\" \"30\"\n");
        assert_eq!(Request::parse(&start.to_line()).unwrap(), start);
        let cancel = Request::Cancel { name: "onbatt".into(), cmd: Some("online".into()) };
        assert_eq!(cancel.to_line(), "CANCEL \"onbatt\" \"online\"\n");
        assert_eq!(Request::parse(&cancel.to_line()).unwrap(), cancel);
        let bare = Request::Cancel { name: "x".into(), cmd: None };
        assert_eq!(Request::parse(&bare.to_line()).unwrap(), bare);
        // newer NUT's five fields
        assert_eq!(
            Request::parse("START \"t\" \"5\" \"ONBATT\" \"ups@h\" \"msg\"\n").unwrap(),
            Request::Start { name: "t".into(), secs: 5 }
        );
        assert_eq!(
            Request::parse("CANCEL \"t\" \"\" \"ONLINE\" \"ups@h\" \"msg\"\n").unwrap(),
            Request::Cancel { name: "t".into(), cmd: None }
        );
        assert!(Request::parse("BOGUS x\n").is_err());
    }

    #[test]
    fn timers_fire_once_in_start_order() {
        let mut q = TimerQueue::default();
        q.request(Request::Start { name: "b".into(), secs: 5 }, s(0));
        q.request(Request::Start { name: "a".into(), secs: 3 }, s(1));
        assert!(q.check(s(3)).is_empty());
        assert_eq!(q.check(s(4)), vec![Effect::Log("Event: a ".into()), Effect::Run("a".into())]);
        assert_eq!(q.check(s(5)), vec![Effect::Log("Event: b ".into()), Effect::Run("b".into())]);
        assert!(q.timers().is_empty());
    }

    #[test]
    fn duplicate_timers_are_independent() {
        let mut q = TimerQueue::default();
        q.request(Request::Start { name: "t".into(), secs: 2 }, s(0));
        q.request(Request::Start { name: "t".into(), secs: 4 }, s(0));
        assert_eq!(q.check(s(2)).iter().filter(|e| matches!(e, Effect::Run(_))).count(), 1);
        // cancelling removes only the first remaining one
        q.request(Request::Start { name: "t".into(), secs: 10 }, s(2));
        q.request(Request::Cancel { name: "t".into(), cmd: None }, s(3));
        assert_eq!(q.timers().len(), 1);
        assert_eq!(q.timers()[0].at, s(12));
    }

    #[test]
    fn cancel_without_timer_runs_the_command() {
        let mut q = TimerQueue::default();
        let e = q.request(Request::Cancel { name: "t".into(), cmd: Some("ups-back-on-power".into()) }, s(0));
        assert_eq!(e.last(), Some(&Effect::Run("ups-back-on-power".into())));
        assert!(q.request(Request::Cancel { name: "t".into(), cmd: None }, s(0)).is_empty());
        // with a timer running the command does not run
        q.request(Request::Start { name: "t".into(), secs: 30 }, s(0));
        let e = q.request(Request::Cancel { name: "t".into(), cmd: Some("x".into()) }, s(1));
        assert_eq!(e, vec![Effect::Log("Cancelling timer: t".into())]);
    }

    #[test]
    fn negative_offset_is_ignored() {
        let mut q = TimerQueue::default();
        let e = q.request(Request::Start { name: "t".into(), secs: -1 }, s(0));
        assert_eq!(e, vec![Effect::Log("bogus offset for timer, ignoring".into())]);
        assert!(q.timers().is_empty());
    }

    #[test]
    fn daemon_exits_after_fifteen_empty_checks() {
        let mut q = TimerQueue::default();
        for i in 1..IDLE_CHECKS {
            assert!(q.check(s(u64::from(i))).is_empty());
        }
        assert_eq!(q.check(s(15)).last(), Some(&Effect::Exit));
        // a timer resets the count
        let mut q = TimerQueue::default();
        for i in 1..10 {
            q.check(s(i));
        }
        q.request(Request::Start { name: "t".into(), secs: 1 }, s(10));
        q.check(s(11));
        for i in 12..(12 + u64::from(IDLE_CHECKS) - 1) {
            assert!(!q.check(s(i)).contains(&Effect::Exit));
        }
    }
}
