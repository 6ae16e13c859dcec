//! `nut.conf`: which parts of NUT start on this machine.
//!
//! The file is read by a POSIX shell (init scripts, the Debian wrappers,
//! systemd `EnvironmentFile=`), not by the daemons, so this loader follows
//! shell rules on the small subset such files use: `KEY=value`, with the
//! value bare, in `"double"` quotes (where `\"`, `\\`, `\$` and `` \` ``
//! are escapes) or in `'single'` quotes; `export KEY=value`; `#` comments.
//! There must be no space around `=`.
//!
//! Errors: a line the shell would not take as an assignment, and a `MODE`
//! other than `none`, `standalone`, `netserver` or `netclient` (the Debian
//! wrappers refuse to run then). Warnings: unknown keys and `$`/backtick
//! expansions (not performed here).

use crate::diag::{Diags, Parsed};
use std::fmt;
use std::path::Path;

/// `MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Start nothing (the default).
    #[default]
    None,
    /// Driver, upsd and upsmon on this machine, upsd on localhost only.
    Standalone,
    /// Like standalone, with upsd serving other machines.
    Netserver,
    /// Only upsmon, watching a remote upsd.
    Netclient,
}

impl Mode {
    /// Parse a MODE value (exact lower-case words, as the wrappers compare).
    pub fn from_word(word: &str) -> Option<Mode> {
        match word {
            "none" => Some(Mode::None),
            "standalone" => Some(Mode::Standalone),
            "netserver" => Some(Mode::Netserver),
            "netclient" => Some(Mode::Netclient),
            _ => None,
        }
    }
    /// The word written in nut.conf.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::Standalone => "standalone",
            Mode::Netserver => "netserver",
            Mode::Netclient => "netclient",
        }
    }
    /// True when upsd (and the drivers) should run.
    pub fn runs_upsd(self) -> bool {
        matches!(self, Mode::Standalone | Mode::Netserver)
    }
    /// True when upsmon should run.
    pub fn runs_upsmon(self) -> bool {
        self != Mode::None
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Keys that NUT's scripts and programs read from nut.conf.
pub const KNOWN_KEYS: &[&str] = &[
    "MODE",
    "UPSD_OPTIONS",
    "UPSMON_OPTIONS",
    "POWEROFF_WAIT",
    "POWEROFF_QUIET",
    "ALLOW_NO_DEVICE",
    "ALLOW_NOT_ALL_LISTENERS",
    "NUT_DEBUG_LEVEL",
    "NUT_DEBUG_PID",
    "NUT_DEBUG_PROCNAME",
    "NUT_DEBUG_SYSLOG",
    "NUT_IGNORE_CHECKPROCNAME",
    "NUT_QUIET_INIT_UPSNOTIFY",
    "NUT_QUIET_INIT_BANNER",
    "NUT_STATEPATH",
    "NUT_CONFPATH",
    "NUT_ALTPIDPATH",
    "NUT_PIDPATH",
];

/// One assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Variable name.
    pub key: String,
    /// Value after quote removal.
    pub value: String,
    /// Line it came from.
    pub line: usize,
}

/// A whole nut.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NutConf {
    /// `MODE` (default none); an invalid MODE leaves `None` here.
    pub mode: Mode,
    /// Every assignment in order.
    pub vars: Vec<Assignment>,
}

impl NutConf {
    /// The last value given to `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.iter().rev().find(|a| a.key == key).map(|a| a.value.as_str())
    }
}

/// Parse nut.conf text; `path` is only used in diagnostics.
pub fn parse(text: &[u8], path: &Path) -> Parsed<NutConf> {
    let mut diags = Diags::new(path);
    let mut conf = NutConf::default();
    let text = String::from_utf8_lossy(text);
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let s = raw.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r');
        if s.is_empty() || s.starts_with('#') {
            continue;
        }
        let s = s.strip_prefix("export ").map(str::trim_start).unwrap_or(s);
        match assignment(s) {
            Ok((key, value, expands)) => {
                if expands {
                    diags.warn(line, format!("{key}: '$' or '`' in the value is expanded by the shell but not by NUT's programs; write the value literally"));
                }
                if !KNOWN_KEYS.contains(&key.as_str()) {
                    diags.warn(line, format!("unknown setting {key} (known: MODE, UPSD_OPTIONS, UPSMON_OPTIONS, POWEROFF_WAIT, ...)"));
                }
                if key == "MODE" {
                    match Mode::from_word(&value) {
                        Some(m) => conf.mode = m,
                        None => diags.error(
                            line,
                            format!("MODE={value:?} is not valid: use none, standalone, netserver or netclient"),
                        ),
                    }
                }
                conf.vars.push(Assignment { key, value, line });
            }
            Err(msg) => diags.error(line, msg),
        }
    }
    diags.finish(conf)
}

/// `KEY=value` → (key, value, has-expansion).
fn assignment(s: &str) -> Result<(String, String, bool), String> {
    let Some((key, rest)) = s.split_once('=') else {
        return Err(format!("{s:?} is not an assignment: write KEY=value"));
    };
    let valid_name = !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_name {
        if key.ends_with([' ', '\t']) {
            return Err(format!("space before '=' in {s:?}: write {}=value with no spaces", key.trim()));
        }
        return Err(format!("{key:?} is not a valid variable name (letters, digits and '_')"));
    }
    if rest.starts_with([' ', '\t']) && !rest.trim().is_empty() && !rest.trim_start().starts_with('#') {
        return Err(format!("space after '=' in {s:?}: write {key}=value with no spaces (quote values that have spaces)"));
    }
    let mut value = String::new();
    let mut expands = false;
    let mut chars = rest.chars().peekable();
    loop {
        match chars.next() {
            None => break,
            Some(' ' | '\t') => {
                let tail: String = chars.collect();
                let tail = tail.trim_start();
                if tail.is_empty() || tail.starts_with('#') {
                    break;
                }
                return Err(format!("{key}: text after the value ({tail:?}); quote values that have spaces"));
            }
            Some('\'') => loop {
                match chars.next() {
                    None => return Err(format!("{key}: missing closing ' quote")),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            },
            Some('"') => loop {
                match chars.next() {
                    None => return Err(format!("{key}: missing closing \" quote")),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c @ ('"' | '\\' | '$' | '`')) => value.push(c),
                        Some(c) => {
                            value.push('\\');
                            value.push(c);
                        }
                        None => return Err(format!("{key}: missing closing \" quote")),
                    },
                    Some(c) => {
                        if c == '$' || c == '`' {
                            expands = true;
                        }
                        value.push(c);
                    }
                }
            },
            Some('\\') => match chars.next() {
                Some(c) => value.push(c),
                None => return Err(format!("{key}: a line ending in '\\' continues on the next line; not supported here")),
            },
            Some(c) => {
                if c == '$' || c == '`' {
                    expands = true;
                }
                if matches!(c, ';' | '&' | '|' | '<' | '>' | '(' | ')') {
                    return Err(format!("{key}: {c:?} in an unquoted value; quote the value"));
                }
                value.push(c);
            }
        }
    }
    Ok((key.to_string(), value, expands))
}
