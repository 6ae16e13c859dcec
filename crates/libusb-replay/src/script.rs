//! The `LIBUSB_REPLAY_SCRIPT` format: scripted changes and faults over time.
//!
//! One directive a line; `#` starts a comment; blank lines are ignored.
//!
//! ```text
//! string <index> <text...>                 USB string descriptor <index> (static)
//! at <time> set report <id> bytes <hex...>  replace report <id> (first byte = ID)
//! at <time> set <HID.Path> <value>          write one field (the value NUT prints)
//! at <time> input <hex...>                  queue one interrupt IN report
//! at <time> unplug                          device disappears (handles: NO_DEVICE)
//! at <time> replug                          device comes back at a new address
//! at <time> stall [n]                       next n control transfers: PIPE
//! at <time> timeout [n]                     next n transfers: TIMEOUT
//! at <time> io-error [n]                    next n transfers: IO
//! at <time> short-report <id> [len]         GET_REPORT <id> returns len bytes
//! at <time> full-report <id>                undo short-report
//! ```
//!
//! `<time>` counts from the first libusb call of the process: `5s`, `1.5s`,
//! `250ms` or a bare number of seconds. `<id>` is hex with or without `0x`
//! (`0c`, `0x0c`). Pure: parses text, does no I/O.

use std::fmt;
use std::time::Duration;

/// What happens at one point in time.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Replace a whole report (first byte = report ID).
    SetReport {
        /// Report ID.
        id: u8,
        /// Raw bytes, ID first.
        bytes: Vec<u8>,
    },
    /// Write one field, addressed by its NUT path, with a physical value.
    SetPath {
        /// Dotted HID path as NUT prints it.
        path: String,
        /// The value as NUT prints it (before any NUT table lookup).
        value: f64,
    },
    /// Queue one report on the interrupt IN endpoint.
    Input(Vec<u8>),
    /// The device disappears from the bus.
    Unplug,
    /// The device comes back with a new address.
    Replug,
    /// The next `n` control transfers fail with LIBUSB_ERROR_PIPE.
    Stall(u32),
    /// The next `n` transfers fail with LIBUSB_ERROR_TIMEOUT.
    Timeout(u32),
    /// The next `n` transfers fail with LIBUSB_ERROR_IO.
    IoError(u32),
    /// GET_REPORT of this ID returns only `len` bytes (None: one byte short).
    ShortReport {
        /// Report ID.
        id: u8,
        /// Bytes to return, ID byte included.
        len: Option<usize>,
    },
    /// Undo [`Action::ShortReport`].
    FullReport(u8),
}

/// One timed directive.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// 1-based line in the script.
    pub line: usize,
    /// When, from the first libusb call.
    pub at: Duration,
    /// What.
    pub action: Action,
}

/// A parsed script.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Script {
    /// `string` directives: (index, text).
    pub strings: Vec<(u8, String)>,
    /// Timed events, sorted by time (stable: file order within a time).
    pub events: Vec<Event>,
}

/// A script line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "script line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ScriptError {}

/// Parse a time: `5s`, `1.5s`, `250ms`, `3` (seconds).
pub fn parse_time(s: &str) -> Option<Duration> {
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.parse().ok()?;
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(v * scale))
}

fn parse_id(s: &str) -> Option<u8> {
    let t = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    u8::from_str_radix(t, 16).ok()
}

fn parse_hex(words: &[&str]) -> Result<Vec<u8>, String> {
    words
        .iter()
        .map(|w| u8::from_str_radix(w, 16).map_err(|_| format!("'{w}' is not a hex byte")))
        .collect()
}

fn parse_count(words: &[&str]) -> Result<u32, String> {
    match words {
        [] => Ok(1),
        [n] => n.parse().map_err(|_| format!("'{n}' is not a count")),
        _ => Err("expected at most one count".into()),
    }
}

fn parse_action(words: &[&str]) -> Result<Action, String> {
    let (verb, rest) = words.split_first().ok_or("'at <time>' needs an action")?;
    match *verb {
        "set" => match rest {
            ["report", id, "bytes", hex @ ..] => {
                let id = parse_id(id).ok_or_else(|| format!("'{id}' is not a report ID"))?;
                let bytes = parse_hex(hex)?;
                if bytes.first() != Some(&id) && id != 0 {
                    return Err(format!(
                        "report bytes must start with the report ID {id:02x}"
                    ));
                }
                Ok(Action::SetReport { id, bytes })
            }
            [path, value] => {
                let value: f64 = value
                    .parse()
                    .map_err(|_| format!("'{value}' is not a number"))?;
                Ok(Action::SetPath {
                    path: path.to_string(),
                    value,
                })
            }
            _ => Err("use 'set report <id> bytes <hex...>' or 'set <HID.Path> <value>'".into()),
        },
        "input" => {
            let bytes = parse_hex(rest)?;
            if bytes.is_empty() {
                return Err("'input' needs the report bytes".into());
            }
            Ok(Action::Input(bytes))
        }
        "unplug" if rest.is_empty() => Ok(Action::Unplug),
        "replug" if rest.is_empty() => Ok(Action::Replug),
        "stall" => Ok(Action::Stall(parse_count(rest)?)),
        "timeout" => Ok(Action::Timeout(parse_count(rest)?)),
        "io-error" => Ok(Action::IoError(parse_count(rest)?)),
        "short-report" => match rest {
            [id] | [id, _] => {
                let id = parse_id(id).ok_or_else(|| format!("'{id}' is not a report ID"))?;
                let len = match rest.get(1) {
                    Some(l) => Some(l.parse().map_err(|_| format!("'{l}' is not a length"))?),
                    None => None,
                };
                Ok(Action::ShortReport { id, len })
            }
            _ => Err("use 'short-report <id> [len]'".into()),
        },
        "full-report" => match rest {
            [id] => Ok(Action::FullReport(
                parse_id(id).ok_or_else(|| format!("'{id}' is not a report ID"))?,
            )),
            _ => Err("use 'full-report <id>'".into()),
        },
        other => Err(format!("unknown action '{other}'")),
    }
}

impl Script {
    /// Parse a whole script; every bad line is reported.
    pub fn parse(text: &str) -> Result<Script, Vec<ScriptError>> {
        let mut s = Script::default();
        let mut errors = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let body = raw.split('#').next().unwrap_or("").trim();
            if body.is_empty() {
                continue;
            }
            let words: Vec<&str> = body.split_whitespace().collect();
            let result = match words[0] {
                "string" => match words.get(1).and_then(|n| n.parse::<u8>().ok()) {
                    Some(0) | None => Err("use 'string <index 1-255> <text>'".to_string()),
                    Some(idx) => {
                        // Keep the text as written after the index, inner spaces included.
                        let after_kw = body["string".len()..].trim_start();
                        let text = after_kw[words[1].len()..].trim_start();
                        s.strings.push((idx, text.to_string()));
                        Ok(())
                    }
                },
                "at" => match words.get(1).and_then(|t| parse_time(t)) {
                    None => Err(format!(
                        "'{}' is not a time (5s, 1.5s, 250ms)",
                        words.get(1).unwrap_or(&"")
                    )),
                    Some(at) => parse_action(&words[2..])
                        .map(|action| s.events.push(Event { line, at, action })),
                },
                other => Err(format!(
                    "unknown directive '{other}' (expected 'at' or 'string')"
                )),
            };
            if let Err(message) = result {
                errors.push(ScriptError { line, message });
            }
        }
        s.events.sort_by_key(|e| e.at);
        if errors.is_empty() {
            Ok(s)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Action {
        Script::parse(line).expect("parses").events.remove(0).action
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_time("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_time("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_time("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_time("-1s"), None);
        assert_eq!(parse_time("soon"), None);
    }

    #[test]
    fn actions() {
        assert_eq!(
            one("at 5s set report 0x0c bytes 0c 32 00"),
            Action::SetReport {
                id: 0x0c,
                bytes: vec![0x0c, 0x32, 0]
            }
        );
        assert_eq!(
            one("at 1s set UPS.PowerSummary.RemainingCapacity 20"),
            Action::SetPath {
                path: "UPS.PowerSummary.RemainingCapacity".into(),
                value: 20.0
            }
        );
        assert_eq!(
            one("at 1s input 06 00 01 08"),
            Action::Input(vec![6, 0, 1, 8])
        );
        assert_eq!(one("at 2s unplug"), Action::Unplug);
        assert_eq!(one("at 2s replug"), Action::Replug);
        assert_eq!(one("at 2s stall"), Action::Stall(1));
        assert_eq!(one("at 2s timeout 3"), Action::Timeout(3));
        assert_eq!(one("at 2s io-error"), Action::IoError(1));
        assert_eq!(
            one("at 2s short-report 0c"),
            Action::ShortReport {
                id: 0x0c,
                len: None
            }
        );
        assert_eq!(
            one("at 2s short-report 0x0c 2"),
            Action::ShortReport {
                id: 0x0c,
                len: Some(2)
            }
        );
        assert_eq!(one("at 2s full-report 0c"), Action::FullReport(0x0c));
    }

    #[test]
    fn strings_keep_inner_spaces() {
        let s = Script::parse("string 1 Back-UPS 500 FW: 6.5.I USB FW: c1\n").unwrap();
        assert_eq!(
            s.strings,
            vec![(1, "Back-UPS 500 FW: 6.5.I USB FW: c1".to_string())]
        );
    }

    #[test]
    fn sorted_and_comments() {
        let s = Script::parse("# faults\nat 9s replug\n\nat 3s unplug # pull the cable\n").unwrap();
        assert_eq!(
            s.events
                .iter()
                .map(|e| (e.line, e.action.clone()))
                .collect::<Vec<_>>(),
            vec![(4, Action::Unplug), (2, Action::Replug)]
        );
    }

    #[test]
    fn every_bad_line_is_reported() {
        let errs =
            Script::parse("at 1s explode\nat soon unplug\nat 1s set report 0c bytes 0d 00\nfoo\n")
                .unwrap_err();
        assert_eq!(
            errs.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        assert!(
            errs[2].message.contains("start with the report ID"),
            "{}",
            errs[2]
        );
    }
}
