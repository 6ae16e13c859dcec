//! `ups.conf`: the list of UPS devices, read by drivers, upsdrvctl and upsd.
//!
//! Shape of the file (NUT's rules, in our words):
//!
//! * lines before the first `[name]` header are global settings;
//! * `[name]` opens the section of one UPS; sections keep file order (upsd
//!   lists its UPSes in that order); the name `default` is reserved;
//! * a setting is `key = value` (spaces around `=` optional) or a bare
//!   `flag`; a quoted `"key=value"` word is accepted as well;
//! * when a key is given twice, the last value wins, but every line is kept
//!   in [`Entry`] order so a driver can reject keys it does not know and
//!   publish `driver.parameter.*` itself.
//!
//! Diagnostics: every one is a warning, as nothing here stops upsd. A
//! section that appears twice is merged into the first one (later values
//! win), which is what NUT 2.8.0's upsd and drivers end up doing. A section
//! without `driver` or `port` is a warning (upsd skips it);
//! [`UpsSection::is_complete`] tells a consumer to skip it too.

use crate::diag::{Diags, Parsed};
use crate::util::{lex, parse_u32};
use std::path::Path;

/// Default `maxstartdelay` of upsdrvctl in NUT 2.8.0, in seconds.
pub const DEFAULT_MAXSTARTDELAY: u32 = 45;
/// Default `maxretry` of upsdrvctl.
pub const DEFAULT_MAXRETRY: u32 = 1;
/// Default `retrydelay` of upsdrvctl, in seconds.
pub const DEFAULT_RETRYDELAY: u32 = 5;
/// Default driver `pollinterval`, in seconds.
pub const DEFAULT_POLLINTERVAL: u32 = 2;

/// Global keys NUT programs understand (2.8.0 plus a few later ones that
/// are harmless to accept).
const KNOWN_GLOBALS: &[&str] = &[
    "chroot",
    "driverpath",
    "statepath",
    "maxstartdelay",
    "maxretry",
    "retrydelay",
    "nowait",
    "pollinterval",
    "synchronous",
    "user",
    "group",
    "debug_min",
    "LIBUSB_DEBUG",
    "reconnect_max_tries",
    "reconnect_report_freq",
];

/// One `key = value` or bare `flag` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key as written (case kept).
    pub key: String,
    /// `None` for a bare flag.
    pub value: Option<String>,
    /// Line where it was written.
    pub line: usize,
}

/// Ordered settings with "last one wins" lookups; shared by the global part
/// and each section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Every setting line, in file order, duplicates included.
    pub entries: Vec<Entry>,
}

impl Settings {
    /// The last entry for `key` (exact, case-sensitive match as in NUT).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }

    /// The value of the last `key = value`; `None` if absent or a flag.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).and_then(|e| e.value.as_deref())
    }

    /// True when `key` appears at all (as flag or with a value).
    pub fn has(&self, key: &str) -> bool {
        self.entry(key).is_some()
    }

    /// True when the last line for `key` is a bare flag.
    pub fn is_flag(&self, key: &str) -> bool {
        self.entry(key).is_some_and(|e| e.value.is_none())
    }

    /// Distinct keys, in order of first appearance.
    pub fn keys(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for e in &self.entries {
            if !seen.contains(&e.key.as_str()) {
                seen.push(&e.key);
            }
        }
        seen
    }

    /// The effective settings: one per key (last wins), in order of first
    /// appearance.
    pub fn effective(&self) -> Vec<&Entry> {
        self.keys().into_iter().filter_map(|k| self.entry(k)).collect()
    }

    /// A number-valued key; `None` if absent or not a number.
    pub fn get_u32(&self, key: &str) -> Option<u32> {
        self.get(key).and_then(parse_u32)
    }

    /// `override.<var> = value` settings as `(var, value)`, last one wins.
    pub fn overrides(&self) -> Vec<(&str, &str)> {
        self.prefixed("override.")
    }

    /// `default.<var> = value` settings as `(var, value)`, last one wins.
    pub fn defaults(&self) -> Vec<(&str, &str)> {
        self.prefixed("default.")
    }

    fn prefixed(&self, prefix: &str) -> Vec<(&str, &str)> {
        self.effective()
            .into_iter()
            .filter_map(|e| {
                let var = e.key.strip_prefix(prefix)?;
                Some((var, e.value.as_deref()?))
            })
            .filter(|(var, _)| !var.is_empty())
            .collect()
    }

    fn push(&mut self, key: &str, value: Option<&str>, line: usize) {
        self.entries.push(Entry {
            key: key.to_string(),
            value: value.map(str::to_string),
            line,
        });
    }
}

/// The global part of ups.conf (before the first section).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Globals {
    /// Every global line, in order.
    pub settings: Settings,
}

impl Globals {
    /// `chroot`: directory drivers chroot into.
    pub fn chroot(&self) -> Option<&str> {
        self.settings.get("chroot")
    }
    /// `driverpath`: where upsdrvctl finds drivers.
    pub fn driverpath(&self) -> Option<&str> {
        self.settings.get("driverpath")
    }
    /// `statepath`: driver socket directory (the environment wins).
    pub fn statepath(&self) -> Option<&str> {
        self.settings.get("statepath")
    }
    /// `maxstartdelay` in seconds (default [`DEFAULT_MAXSTARTDELAY`]).
    pub fn maxstartdelay(&self) -> u32 {
        self.settings.get_u32("maxstartdelay").unwrap_or(DEFAULT_MAXSTARTDELAY)
    }
    /// `maxretry` (default [`DEFAULT_MAXRETRY`]).
    pub fn maxretry(&self) -> u32 {
        self.settings.get_u32("maxretry").unwrap_or(DEFAULT_MAXRETRY)
    }
    /// `retrydelay` in seconds (default [`DEFAULT_RETRYDELAY`]).
    pub fn retrydelay(&self) -> u32 {
        self.settings.get_u32("retrydelay").unwrap_or(DEFAULT_RETRYDELAY)
    }
    /// `nowait` flag: upsdrvctl does not wait for drivers.
    pub fn nowait(&self) -> bool {
        self.settings.has("nowait")
    }
    /// `pollinterval` as written; a driver treats a missing value as
    /// [`DEFAULT_POLLINTERVAL`] and 0 or garbage as fatal.
    pub fn pollinterval(&self) -> Option<&str> {
        self.settings.get("pollinterval")
    }
    /// `user` drivers run as.
    pub fn user(&self) -> Option<&str> {
        self.settings.get("user")
    }
    /// `group` drivers run as.
    pub fn group(&self) -> Option<&str> {
        self.settings.get("group")
    }
    /// `synchronous`: `yes`, `no` or `auto` (the default).
    pub fn synchronous(&self) -> Option<&str> {
        self.settings.get("synchronous")
    }
    /// `debug_min`: lowest debug level.
    pub fn debug_min(&self) -> Option<u32> {
        self.settings.get_u32("debug_min")
    }
}

/// One `[name]` section: a UPS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsSection {
    /// The name between the brackets.
    pub name: String,
    /// Line of the `[name]` header.
    pub line: usize,
    /// Every setting line of this section, in order.
    pub settings: Settings,
}

impl UpsSection {
    /// `driver`: the driver program's name (required).
    pub fn driver(&self) -> Option<&str> {
        self.settings.get("driver")
    }
    /// `port`: device path, file or `ups@host` (required).
    pub fn port(&self) -> Option<&str> {
        self.settings.get("port")
    }
    /// `desc`: the description upsd shows in `LIST UPS`.
    pub fn desc(&self) -> Option<&str> {
        self.settings.get("desc")
    }
    /// `sdorder`: upsdrvctl shutdown order, default 0; -1 means never
    /// shut down. `None` when written but not a number.
    pub fn sdorder(&self) -> Option<i32> {
        match self.settings.get("sdorder") {
            None => Some(0),
            Some(v) => v.parse().ok(),
        }
    }
    /// Per-UPS `maxstartdelay` (upsdrvctl).
    pub fn maxstartdelay(&self) -> Option<u32> {
        self.settings.get_u32("maxstartdelay")
    }
    /// `user` for this driver.
    pub fn user(&self) -> Option<&str> {
        self.settings.get("user")
    }
    /// `group` for this driver.
    pub fn group(&self) -> Option<&str> {
        self.settings.get("group")
    }
    /// `pollinterval` for this driver, as written.
    pub fn pollinterval(&self) -> Option<&str> {
        self.settings.get("pollinterval")
    }
    /// True when both `driver` and `port` are set; upsd ignores other
    /// sections.
    pub fn is_complete(&self) -> bool {
        self.driver().is_some() && self.port().is_some()
    }
    /// Shorthand for `self.settings.get(key)`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.settings.get(key)
    }
}

/// A whole ups.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsConf {
    /// Settings before the first section.
    pub globals: Globals,
    /// Sections in file order.
    pub sections: Vec<UpsSection>,
}

impl UpsConf {
    /// The section called `name` (exact match).
    pub fn section(&self, name: &str) -> Option<&UpsSection> {
        self.sections.iter().find(|s| s.name == name)
    }
    /// Sections that have both `driver` and `port`, in order.
    pub fn complete_sections(&self) -> impl Iterator<Item = &UpsSection> {
        self.sections.iter().filter(|s| s.is_complete())
    }
}

/// Parse ups.conf text; `path` is only used in diagnostics.
pub fn parse(text: &[u8], path: &Path) -> Parsed<UpsConf> {
    let mut diags = Diags::new(path);
    let mut conf = UpsConf::default();
    let mut current: Option<usize> = None;
    for (line, words) in lex(text, &mut diags) {
        let first = words[0].as_str();
        if let Some(inner) = first.strip_prefix('[') {
            let Some(name) = inner.strip_suffix(']') else {
                diags.warn(
                    line,
                    format!(
                        "section header {first:?} ignored: write it as [name] with no spaces in the name"
                    ),
                );
                continue;
            };
            if words.len() > 1 {
                diags.warn(line, format!("words after section header [{name}] ignored"));
            }
            current = Some(start_section(&mut conf, name, line, &mut diags));
            continue;
        }
        let Some((key, value)) = split_setting(&words) else {
            diags.warn(
                line,
                format!(
                    "line starting with {first:?} ignored: expected 'key = value' or a bare flag"
                ),
            );
            continue;
        };
        if key.is_empty() {
            diags.warn(line, "setting with an empty name ignored");
            continue;
        }
        if words.len() > 3 && value.is_some() && words[1] == "=" {
            diags.warn(
                line,
                format!(
                    "{key}: only the first word after '=' is used; quote a value that has spaces"
                ),
            );
        }
        match current.and_then(|i| conf.sections.get_mut(i)) {
            Some(section) => section.settings.push(key, value, line),
            None => {
                if !KNOWN_GLOBALS.contains(&key) {
                    diags.warn(
                        line,
                        format!(
                            "unknown global setting '{key}' ignored (global settings go before the first [section])"
                        ),
                    );
                }
                check_global(key, value, line, &mut diags);
                conf.globals.settings.push(key, value, line);
            }
        }
    }
    for section in &conf.sections {
        for required in ["driver", "port"] {
            if section.get(required).is_none() {
                diags.warn(
                    section.line,
                    format!("UPS [{}] has no '{required}' setting; it will be skipped", section.name),
                );
            }
        }
    }
    diags.finish(conf)
}

fn start_section(conf: &mut UpsConf, name: &str, line: usize, diags: &mut Diags) -> usize {
    if name.is_empty() {
        diags.warn(line, "empty section name []; give the UPS a name");
    }
    if name == "default" {
        diags.warn(line, "the section name [default] is reserved; give the UPS another name");
    }
    if let Some(i) = conf.sections.iter().position(|s| s.name == name) {
        diags.warn(
            line,
            format!(
                "UPS [{name}] is defined again (first at line {}); its settings are merged, later values win",
                conf.sections[i].line
            ),
        );
        return i;
    }
    conf.sections.push(UpsSection { name: name.to_string(), line, settings: Settings::default() });
    conf.sections.len() - 1
}

/// `k = v`, `k=v` (already split by the lexer), a quoted `"k=v"`, or `flag`.
fn split_setting(words: &[String]) -> Option<(&str, Option<&str>)> {
    let first = words[0].as_str();
    if let Some((k, v)) = first.split_once('=') {
        return Some((k, Some(v)));
    }
    match words.len() {
        1 => Some((first, None)),
        2 => None,
        _ if words[1] == "=" => Some((first, Some(words[2].as_str()))),
        _ => None,
    }
}

fn check_global(key: &str, value: Option<&str>, line: usize, diags: &mut Diags) {
    match (key, value) {
        ("maxstartdelay" | "maxretry" | "retrydelay" | "debug_min", Some(v))
            if parse_u32(v).is_none() =>
        {
            diags.warn(line, format!("{key} = {v:?}: expected a whole number"));
        }
        ("pollinterval", Some(v)) if !matches!(parse_u32(v), Some(n) if n > 0) => {
            diags.warn(line, format!("pollinterval = {v:?}: expected a number of seconds above 0 (drivers refuse to start otherwise)"));
        }
        ("nowait", Some(_)) => {
            diags.warn(line, "nowait is a flag: write it alone on the line");
        }
        _ => {}
    }
}
