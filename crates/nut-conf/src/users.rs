//! `upsd.users`: who may do what through upsd.
//!
//! `[name]` opens a user (names are case-sensitive); inside it:
//!
//! * `password = <pw>`: the first one counts;
//! * `actions = SET FSD ...`: repeatable, several words per line allowed;
//! * `instcmds = <cmd>|ALL ...`: repeatable, several words per line allowed;
//! * `upsmon primary|master|secondary|slave` (or `upsmon = primary`):
//!   primary/master grants `login`, `master` and `fsd`, secondary/slave
//!   grants `login` only;
//! * `allowfrom`: obsolete, warned about.
//!
//! Setting names and action/command words are case-insensitive. Both
//! `key = value`, `key=value` and the quoted `"key=value"` forms work.
//! Lines before the first section are ignored with a warning; the settings
//! of a duplicated section are added to the first one (as upsd 2.8.0 does); lines starting with `user` (an old
//! file format) are ignored silently. Nothing in this file stops upsd, so
//! every diagnostic is a warning.

use crate::diag::{Diags, Parsed};
use crate::util::lex;
use std::collections::BTreeSet;
use std::path::Path;

/// What `upsmon <role>` granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsmonRole {
    /// `primary` (or the old word `master`): may log in, claim primary and
    /// set FSD.
    Primary,
    /// `secondary` (or the old word `slave`): may log in.
    Secondary,
}

/// One `[name]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    /// Name between the brackets (case-sensitive).
    pub name: String,
    /// Line of the header.
    pub line: usize,
    /// `password`; a user without one can never authenticate.
    pub password: Option<String>,
    /// Granted actions, lower-cased (`set`, `fsd`, and `login`/`master`/
    /// `fsd` added by `upsmon`).
    pub actions: BTreeSet<String>,
    /// Allowed instant commands, lower-cased; `all` allows every command.
    pub instcmds: BTreeSet<String>,
    /// Last `upsmon` role given.
    pub upsmon: Option<UpsmonRole>,
}

impl User {
    /// True when `password` is this user's password (exact compare).
    pub fn password_matches(&self, password: &str) -> bool {
        self.password.as_deref() == Some(password)
    }
    /// True when the user was granted `action` (case-insensitive).
    pub fn has_action(&self, action: &str) -> bool {
        self.actions.contains(&action.to_ascii_lowercase())
    }
    /// `LOGIN` is allowed (needs the `login` action, from `upsmon`).
    pub fn can_login(&self) -> bool {
        self.has_action("login")
    }
    /// `PRIMARY` / `MASTER` is allowed.
    pub fn can_primary(&self) -> bool {
        self.has_action("primary") || self.has_action("master")
    }
    /// `FSD` is allowed.
    pub fn can_fsd(&self) -> bool {
        self.has_action("fsd")
    }
    /// `SET VAR` is allowed.
    pub fn can_set(&self) -> bool {
        self.has_action("set")
    }
    /// `INSTCMD <cmd>` is allowed (case-insensitive; `ALL` allows any).
    pub fn can_instcmd(&self, cmd: &str) -> bool {
        self.instcmds.contains("all") || self.instcmds.contains(&cmd.to_ascii_lowercase())
    }
}

/// A whole upsd.users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsersConf {
    /// Users in file order (duplicates already dropped).
    pub users: Vec<User>,
}

impl UsersConf {
    /// The user called `name` (case-sensitive, as upsd compares).
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }
    /// The user `name` if `password` is theirs: what upsd checks before any
    /// action.
    pub fn authenticate(&self, name: &str, password: &str) -> Option<&User> {
        self.user(name).filter(|u| u.password_matches(password))
    }
}

/// Where the next setting line goes.
enum Current {
    /// Before the first section.
    Nothing,
    /// Inside a duplicated section whose settings are dropped.
    Ignored,
    /// Index into `users`.
    User(usize),
}

/// Parse upsd.users text; `path` is only used in diagnostics.
pub fn parse(text: &[u8], path: &Path) -> Parsed<UsersConf> {
    let mut diags = Diags::new(path);
    let mut conf = UsersConf::default();
    let mut current = Current::Nothing;
    for (line, words) in lex(text, &mut diags) {
        let first = words[0].as_str();
        if first.eq_ignore_ascii_case("user") {
            continue;
        }
        if let Some(inner) = first.strip_prefix('[') {
            let Some(name) = inner.strip_suffix(']') else {
                diags.warn(line, format!("section header {first:?} ignored: write it as [username] with no spaces"));
                current = Current::Ignored;
                continue;
            };
            if let Some(i) = conf.users.iter().position(|u| u.name == name) {
                diags.warn(line, format!("user [{name}] is defined again (first at line {}); its settings are added to the first one", conf.users[i].line));
                current = Current::User(i);
            } else {
                conf.users.push(User { name: name.to_string(), line, ..User::default() });
                current = Current::User(conf.users.len() - 1);
            }
            continue;
        }
        // Split into a key and its values.
        let (key, values): (&str, Vec<&str>) = if let Some((k, v)) = first.split_once('=') {
            let mut vals = vec![v];
            vals.extend(words[1..].iter().map(String::as_str));
            (k, vals)
        } else if words.len() >= 3 && words[1] == "=" {
            (first, words[2..].iter().map(String::as_str).collect())
        } else if words.len() == 2 {
            (first, vec![words[1].as_str()])
        } else {
            diags.warn(line, format!("line starting with {first:?} ignored: expected 'setting = value'"));
            continue;
        };
        let user = match &current {
            Current::User(i) => &mut conf.users[*i],
            Current::Nothing => {
                diags.warn(line, format!("{key} ignored: it is not inside a [username] section"));
                continue;
            }
            Current::Ignored => continue,
        };
        setting(user, key, &values, line, &mut diags);
    }
    for user in &conf.users {
        if user.password.is_none() {
            diags.warn(user.line, format!("user [{}] has no password and can never log in", user.name));
        }
    }
    diags.finish(conf)
}

/// Passwords from NUT's documentation, sample files and appliance defaults,
/// plus the obvious ones; compared without regard to case.
pub const WELL_KNOWN_PASSWORDS: &[&str] = &[
    "secret", "fixmepass", "pass", "password", "passw0rd", "mypass", "monpass", "upsmon", "upsmonpass", "nut", "admin",
    "changeme", "12345", "123456", "1234", "test",
];

/// True for a password in [`WELL_KNOWN_PASSWORDS`].
pub fn is_well_known_password(password: &str) -> bool {
    WELL_KNOWN_PASSWORDS.iter().any(|w| w.eq_ignore_ascii_case(password))
}

fn setting(user: &mut User, key: &str, values: &[&str], line: usize, diags: &mut Diags) {
    match key.to_ascii_lowercase().as_str() {
        "password" => {
            if user.password.is_some() {
                diags.warn(line, format!("second password for user [{}] ignored (the first one counts)", user.name));
            } else {
                user.password = Some(values[0].to_string());
                if is_well_known_password(values[0]) {
                    diags.warn(
                        line,
                        format!(
                            "the password of user [{}] is a well-known default or example ({:?}); anyone who can reach upsd may guess it: choose another",
                            user.name, values[0]
                        ),
                    );
                }
                if values.len() > 1 {
                    diags.warn(line, "password: only the first word is used; quote a password that has spaces");
                }
            }
        }
        "actions" => {
            for v in values {
                let act = v.to_ascii_lowercase();
                if !matches!(act.as_str(), "set" | "fsd") {
                    diags.warn(line, format!("actions: {v:?} is not a known action (expected SET or FSD); kept as written"));
                }
                user.actions.insert(act);
            }
        }
        "instcmds" => {
            for v in values {
                user.instcmds.insert(v.to_ascii_lowercase());
            }
        }
        "upsmon" => {
            let role = match values[0].to_ascii_lowercase().as_str() {
                "primary" | "master" => UpsmonRole::Primary,
                "secondary" | "slave" => UpsmonRole::Secondary,
                other => {
                    diags.warn(line, format!("upsmon {other:?} ignored: expected primary or secondary (or the old words master / slave)"));
                    return;
                }
            };
            user.actions.insert("login".into());
            if role == UpsmonRole::Primary {
                user.actions.insert("master".into());
                user.actions.insert("fsd".into());
            }
            user.upsmon = Some(role);
        }
        "allowfrom" => {
            diags.warn(line, "allowfrom is no longer supported; restrict addresses with LISTEN (or ALLOW_FROM) in upsd.conf");
        }
        _ => diags.warn(line, format!("unknown user setting '{key}' ignored (expected password, actions, instcmds or upsmon)")),
    }
}
