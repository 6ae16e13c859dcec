//! `upssched.conf`: timers and commands upssched runs for upsmon events.
//!
//! Directives: `CMDSCRIPT <path> [args...]`, `PIPEFN <file>`,
//! `LOCKFN <file>` and any number of
//! `AT <notify type> <ups|*> <command> <args>` lines, where the command is
//! `START-TIMER <name> <secs>`, `CANCEL-TIMER <name> [<cmd>]` or
//! `EXECUTE <cmd>` (and, from newer NUT, `START-TIMER-SHARED` and
//! `CANCEL-TIMER-MATCHED`).
//!
//! Fatal, as in NUT: an `AT` line before all three of CMDSCRIPT, PIPEFN and
//! LOCKFN are set (NUT's own message is kept:
//! `CMDSCRIPT must be set before any ATs in the config file!`).
//! Everything else (short `AT` lines, unknown commands, unknown directives)
//! is a warning and the line is skipped.

use crate::diag::{Diags, Parsed};
use crate::notify::NotifyType;
use crate::util::lex;
use std::path::Path;

/// Which UPS an `AT` line is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpsMatch {
    /// `*`: every UPS.
    Any,
    /// Exactly this `UPSNAME` (as written in upsmon.conf MONITOR).
    Name(String),
}

impl UpsMatch {
    /// True when `upsname` is covered (exact, case-sensitive compare).
    pub fn matches(&self, upsname: &str) -> bool {
        match self {
            UpsMatch::Any => true,
            UpsMatch::Name(n) => n == upsname,
        }
    }
}

/// What an `AT` line does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `START-TIMER <name> <secs>`: run CMDSCRIPT `<name>` after `secs`.
    StartTimer {
        /// Timer name, also the word passed to CMDSCRIPT.
        name: String,
        /// Delay in seconds.
        secs: u32,
    },
    /// `START-TIMER-SHARED <name> <secs>` (newer NUT): like StartTimer, but
    /// joins a running timer of the same name.
    StartTimerShared {
        /// Timer name.
        name: String,
        /// Delay in seconds.
        secs: u32,
    },
    /// `CANCEL-TIMER <name> [<cmd>]`: stop the timer; if none was running
    /// and `cmd` is given, run CMDSCRIPT `<cmd>`.
    CancelTimer {
        /// Timer name.
        name: String,
        /// Command for when no timer was running.
        cmd: Option<String>,
    },
    /// `CANCEL-TIMER-MATCHED <name> [<cmd>]` (newer NUT).
    CancelTimerMatched {
        /// Timer name.
        name: String,
        /// Command for when no timer was running.
        cmd: Option<String>,
    },
    /// `EXECUTE <cmd>`: run CMDSCRIPT `<cmd>` now.
    Execute {
        /// Word passed to CMDSCRIPT.
        cmd: String,
    },
}

/// One `AT` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    /// Notification type as written (compared case-insensitively).
    pub notify_type: String,
    /// The type, when it is one upsmon knows.
    pub known_type: Option<NotifyType>,
    /// Which UPS.
    pub ups: UpsMatch,
    /// What to do.
    pub action: Action,
    /// Line it came from.
    pub line: usize,
}

impl At {
    /// True when this line applies to an event (`NOTIFYTYPE`, `UPSNAME`).
    pub fn matches(&self, notify_type: &str, upsname: &str) -> bool {
        self.notify_type.eq_ignore_ascii_case(notify_type) && self.ups.matches(upsname)
    }
}

/// A whole upssched.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsschedConf {
    /// CMDSCRIPT words: the program and any fixed arguments.
    pub cmdscript: Option<Vec<String>>,
    /// PIPEFN: the timer daemon's socket.
    pub pipefn: Option<String>,
    /// LOCKFN: lock file used while starting the daemon.
    pub lockfn: Option<String>,
    /// `DEBUG_MIN` (newer NUT).
    pub debug_min: Option<u32>,
    /// AT lines in file order.
    pub ats: Vec<At>,
}

impl UpsschedConf {
    /// Every AT line for this event, in file order (upssched runs all).
    pub fn matching<'a>(&'a self, notify_type: &'a str, upsname: &'a str) -> impl Iterator<Item = &'a At> + 'a {
        self.ats.iter().filter(move |a| a.matches(notify_type, upsname))
    }
}

/// Parse upssched.conf text; `path` is only used in diagnostics.
pub fn parse(text: &[u8], path: &Path) -> Parsed<UpsschedConf> {
    let mut diags = Diags::new(path);
    let mut conf = UpsschedConf::default();
    let mut checked = false;
    for (line, words) in lex(text, &mut diags) {
        let name = words[0].as_str();
        let args = &words[1..];
        match name {
            "CMDSCRIPT" | "PIPEFN" | "LOCKFN" if args.is_empty() => {
                diags.warn(line, format!("{name} ignored: expected '{name} <path>'"));
            }
            "CMDSCRIPT" => conf.cmdscript = Some(args.to_vec()),
            "PIPEFN" => conf.pipefn = Some(args[0].clone()),
            "LOCKFN" => conf.lockfn = Some(args[0].clone()),
            "AT" => {
                if !checked {
                    checked = true;
                    for (set, what) in [
                        (conf.cmdscript.is_some(), "CMDSCRIPT"),
                        (conf.pipefn.is_some(), "PIPEFN"),
                        (conf.lockfn.is_some(), "LOCKFN"),
                    ] {
                        if !set {
                            diags.error(line, format!("{what} must be set before any ATs in the config file!"));
                        }
                    }
                }
                if let Some(at) = at_line(args, line, &mut diags) {
                    conf.ats.push(at);
                }
            }
            _ if name.eq_ignore_ascii_case("DEBUG_MIN") => match args.first().and_then(|a| crate::util::parse_u32(a)) {
                Some(n) => conf.debug_min = Some(n),
                None => diags.warn(line, "DEBUG_MIN ignored: expected 'DEBUG_MIN <number>'"),
            },
            _ => diags.warn(line, format!("unknown directive {name} ignored (expected CMDSCRIPT, PIPEFN, LOCKFN or AT)")),
        }
    }
    diags.finish(conf)
}

const AT_USAGE: &str = "AT <type> <ups|*> START-TIMER <name> <secs> | CANCEL-TIMER <name> [<cmd>] | EXECUTE <cmd>";

fn at_line(args: &[String], line: usize, diags: &mut Diags) -> Option<At> {
    if args.len() < 4 {
        diags.warn(line, format!("AT line ignored: expected '{AT_USAGE}'"));
        return None;
    }
    let notify_type = args[0].clone();
    let known_type = NotifyType::from_name(&notify_type);
    if known_type.is_none() {
        diags.warn(line, format!("AT {notify_type}: not a notification type upsmon sends (e.g. ONBATT, ONLINE, LOWBATT); this line will never match"));
    }
    let ups = if args[1] == "*" { UpsMatch::Any } else { UpsMatch::Name(args[1].clone()) };
    let command = args[2].as_str();
    let name = args[3].clone();
    let extra = args.get(4).cloned();
    let timer_secs = |diags: &mut Diags| -> Option<u32> {
        match extra.as_deref().map(|s| (s, s.parse::<i64>())) {
            Some((_, Ok(n))) if n >= 0 => Some(u32::try_from(n).unwrap_or(u32::MAX)),
            Some((s, _)) => {
                diags.warn(line, format!("{command} {name}: {s:?} is not a number of seconds (0 or more); line ignored"));
                None
            }
            None => {
                diags.warn(line, format!("{command} {name}: missing the number of seconds; line ignored"));
                None
            }
        }
    };
    let action = match command.to_ascii_uppercase().as_str() {
        "START-TIMER" => Action::StartTimer { secs: timer_secs(diags)?, name },
        "START-TIMER-SHARED" => Action::StartTimerShared { secs: timer_secs(diags)?, name },
        "CANCEL-TIMER" => Action::CancelTimer { name, cmd: extra },
        "CANCEL-TIMER-MATCHED" => Action::CancelTimerMatched { name, cmd: extra },
        "EXECUTE" => Action::Execute { cmd: name },
        _ => {
            diags.warn(line, format!("AT: unknown command {command:?} ignored (expected START-TIMER, CANCEL-TIMER or EXECUTE)"));
            return None;
        }
    };
    Some(At { notify_type, known_type, ups, action, line })
}
