//! dummy-ups data files (`.dev` and `.seq`).
//!
//! Each line is read with the common lexer, so `#` starts a comment, quotes
//! group words and non-ASCII bytes vanish. Then:
//!
//! * `TIMER <secs>`: stop reading here for that many seconds;
//! * `ALARM [text...]` (newer NUT): set `ups.alarm` to the text, or clear
//!   alarms when there is none;
//! * anything else is `<var>[:] <words...>`: the first word up to its first
//!   `:` names the variable, and the value is the other words joined by
//!   single spaces, cut to [`MAX_VALUE_LEN`] bytes; an empty value deletes
//!   the variable; `driver.*` variables are skipped (the driver owns them).
//!
//! Known 2.8.0 quirk we do not copy: its dummy-ups does not delete a variable
//! with an empty value but gives it the value of the previous data line.
//! [`Entry::Delete`] records what the file means; a driver that wants the
//! old behaviour can still do it.
//!
//! Every diagnostic is a warning: dummy-ups skips the bad line and goes on.

use crate::diag::{Diags, Parsed};
use crate::util::lex;
use std::path::Path;

/// Longest value kept, in bytes; longer ones are cut. NUT joins the words
/// into a 128-byte C buffer, so 127 bytes survive (checked against 2.8.0).
pub const MAX_VALUE_LEN: usize = 127;

/// What one data line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Give `var` this value (for `ups.status`, the words are the status).
    Set {
        /// Variable name, e.g. `battery.charge`.
        var: String,
        /// Value: the words after the name, joined by single spaces.
        value: String,
    },
    /// Remove `var` (its value was empty).
    Delete {
        /// Variable name.
        var: String,
    },
    /// Pause for `secs` seconds before reading on.
    Timer {
        /// Seconds to wait.
        secs: u32,
    },
    /// `ALARM` line: `Some(text)` raises an alarm, `None` clears alarms.
    Alarm {
        /// Alarm text, words joined by single spaces.
        text: Option<String>,
    },
}

/// One entry and the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevLine {
    /// 1-based line number.
    pub line: usize,
    /// What the line says.
    pub entry: Entry,
}

/// A parsed data file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevFile {
    /// Entries in file order.
    pub entries: Vec<DevLine>,
}

impl DevFile {
    /// True when the file has at least one `TIMER` (a `.seq`-style file).
    pub fn has_timers(&self) -> bool {
        self.entries.iter().any(|l| matches!(l.entry, Entry::Timer { .. }))
    }

    /// The entries before the first `TIMER`: what dummy-ups applies at
    /// start-up.
    pub fn until_first_timer(&self) -> &[DevLine] {
        let end = self
            .entries
            .iter()
            .position(|l| matches!(l.entry, Entry::Timer { .. }))
            .unwrap_or(self.entries.len());
        &self.entries[..end]
    }
}

/// Parse a data file; `path` is only used in diagnostics.
pub fn parse(text: &[u8], path: &Path) -> Parsed<DevFile> {
    let mut diags = Diags::new(path);
    let mut file = DevFile::default();
    for (line, words) in lex(text, &mut diags) {
        if let Some(entry) = entry(&words, line, &mut diags) {
            file.entries.push(DevLine { line, entry });
        }
    }
    diags.finish(file)
}

fn join(words: &[String]) -> String {
    let mut value = words.join(" ");
    if value.len() > MAX_VALUE_LEN {
        // Every byte is ASCII (the lexer drops the rest): any cut is safe.
        value.truncate(MAX_VALUE_LEN);
    }
    value
}

fn entry(words: &[String], line: usize, diags: &mut Diags) -> Option<Entry> {
    let first = words[0].as_str();
    if first == "TIMER" {
        let Some(arg) = words.get(1) else {
            diags.warn(line, "TIMER without a number of seconds; write 'TIMER <seconds>'");
            return Some(Entry::Timer { secs: 0 });
        };
        let secs = match arg.parse::<i64>() {
            Ok(n) => u32::try_from(n.max(0)).unwrap_or(u32::MAX),
            Err(_) => {
                diags.warn(line, format!("TIMER {arg:?}: expected a number of seconds; pausing 0 seconds"));
                0
            }
        };
        return Some(Entry::Timer { secs });
    }
    if first == "ALARM" {
        let text = (words.len() > 1).then(|| join(&words[1..]));
        return Some(Entry::Alarm { text });
    }
    let var = first.split(':').next().unwrap_or_default();
    if var.is_empty() {
        diags.warn(line, format!("line starting with {first:?} ignored: expected '<variable>: <value>'"));
        return None;
    }
    if var.starts_with("driver.") {
        return None;
    }
    let value = join(&words[1..]);
    if value.is_empty() {
        Some(Entry::Delete { var: var.to_string() })
    } else {
        Some(Entry::Set { var: var.to_string(), value })
    }
}
