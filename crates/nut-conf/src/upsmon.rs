//! `upsmon.conf`: what upsmon watches and what it does about it.
//!
//! One directive per line; names are case-sensitive (except `DEBUG_MIN`).
//! As in NUT 2.8.0, an unknown or malformed directive is a warning and the
//! rest of the file is still read. Errors (upsmon refuses to start):
//!
//! * the old five-word `MONITOR` line without a user name;
//! * a bad value in one of our shutdown-policy extensions (a policy that
//!   cannot be read must not silently turn into "no policy").
//!
//! The MINSUPPLIES check needs the whole file and is left to upsmon; use
//! [`UpsmonConf::check_power`].
//!
//! ## Our extensions (NUT 2.8.0 warns about them and ignores them)
//!
//! They are collected in [`Policy`]; each takes effect only when present:
//!
//! * `SHUTDOWNAFTER <secs>`: shut down once a UPS has been on battery for
//!   that long without a break; power coming back cancels the countdown;
//! * `SHUTDOWNCHARGE <percent>`: a UPS on battery whose `battery.charge` is
//!   at or below this counts as critical, as if it reported low battery;
//! * `SHUTDOWNRUNTIME <secs>`: the same for `battery.runtime`;
//! * `GLITCHDELAY <secs>`: an on-battery spell shorter than this is treated
//!   as a glitch: no ONBATT/ONLINE notifications and no SHUTDOWNAFTER count;
//! * `LBREQUIRESOB yes|no`: with `no`, low battery is critical even when
//!   the UPS does not say it is on battery (default `yes`, as in NUT);
//! * `WEBHOOK <url>`: POST each notification as JSON to this URL;
//!   repeatable;
//! * `NTFY <url>`: publish each notification to this ntfy topic URL
//!   (http:// or https://); repeatable.

use crate::diag::{Diags, Parsed};
use crate::notify::{NotifyFlags, NotifyType};
use crate::upsd::DEFAULT_PORT;
use crate::util::{lex, parse_bool, parse_port, parse_u32};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Default `POLLFREQ`, seconds.
pub const DEFAULT_POLLFREQ: u32 = 5;
/// Default `POLLFREQALERT`, seconds.
pub const DEFAULT_POLLFREQALERT: u32 = 5;
/// Default `HOSTSYNC`, seconds.
pub const DEFAULT_HOSTSYNC: u32 = 15;
/// Default `DEADTIME`, seconds.
pub const DEFAULT_DEADTIME: u32 = 15;
/// Default `FINALDELAY`, seconds.
pub const DEFAULT_FINALDELAY: u32 = 5;
/// Default `RBWARNTIME`, seconds.
pub const DEFAULT_RBWARNTIME: u32 = 43200;
/// Default `NOCOMMWARNTIME`, seconds.
pub const DEFAULT_NOCOMMWARNTIME: u32 = 300;
/// Default `MINSUPPLIES`.
pub const DEFAULT_MINSUPPLIES: u32 = 1;
/// Default `OFFDURATION` (newer NUT), seconds.
pub const DEFAULT_OFFDURATION: i64 = 30;

/// Role on a `MONITOR` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorRole {
    /// `primary` (or `master`): this host owns the UPS and sets FSD.
    Primary,
    /// `secondary` (or `slave`, or any other word, as in NUT).
    Secondary,
}

/// Where a UPS lives: parsed `ups[@host[:port]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsAddr {
    /// UPS name on the server.
    pub ups: String,
    /// Host name or address (IPv6 without brackets); `localhost` if absent.
    pub host: String,
    /// TCP port; 3493 if absent.
    pub port: u16,
}

impl UpsAddr {
    /// Parse `ups`, `ups@host`, `ups@host:port`, `ups@[v6]` or
    /// `ups@[v6]:port`.
    pub fn parse(s: &str) -> Result<UpsAddr, String> {
        let (ups, rest) = match s.split_once('@') {
            Some((u, r)) => (u, Some(r)),
            None => (s, None),
        };
        if ups.is_empty() {
            return Err(format!("{s:?} has no UPS name before '@'"));
        }
        let Some(rest) = rest else {
            return Ok(UpsAddr { ups: ups.into(), host: "localhost".into(), port: DEFAULT_PORT });
        };
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let Some((host, after)) = v6.split_once(']') else {
                return Err(format!("{s:?}: missing ']' after the IPv6 address"));
            };
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(p) => (host, Some(p)),
                    None => return Err(format!("{s:?}: expected ':<port>' after ']'")),
                },
            }
        } else {
            match rest.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        if host.is_empty() {
            return Err(format!("{s:?} has no host after '@' (write IPv6 addresses in brackets: ups@[::1]:3493)"));
        }
        let port = match port {
            None => DEFAULT_PORT,
            Some(p) => parse_port(p).ok_or_else(|| format!("{s:?}: port must be a number from 1 to 65535"))?,
        };
        Ok(UpsAddr { ups: ups.into(), host: host.into(), port })
    }
}

/// One `MONITOR` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitor {
    /// The system as written (`ups@host:port`): what `%s` and `UPSNAME`
    /// show.
    pub system: String,
    /// The parsed address.
    pub addr: UpsAddr,
    /// Power value: how many of this host's supplies the UPS feeds (0 =
    /// monitoring only).
    pub power_value: u32,
    /// User name from upsd.users.
    pub user: String,
    /// Its password.
    pub password: String,
    /// primary or secondary.
    pub role: MonitorRole,
    /// Line it came from.
    pub line: usize,
}

/// `CERTIDENT <name> <password>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertIdent {
    /// Certificate name.
    pub name: String,
    /// Database password.
    pub password: String,
}

/// `CERTHOST <host> <certname> <verify 0|1> <force-ssl 0|1>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertHost {
    /// Server host name.
    pub host: String,
    /// Expected certificate name.
    pub cert_name: String,
    /// Verify the server certificate.
    pub verify: bool,
    /// Refuse to talk without TLS.
    pub force_ssl: bool,
}

/// Our shutdown-policy and alerting extensions (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// `SHUTDOWNAFTER`: seconds on battery before shutting down.
    pub shutdown_after: Option<u32>,
    /// `SHUTDOWNCHARGE`: critical at or below this battery charge (%).
    pub shutdown_charge: Option<u8>,
    /// `SHUTDOWNRUNTIME`: critical at or below this runtime (seconds).
    pub shutdown_runtime: Option<u32>,
    /// `GLITCHDELAY`: on-battery spells shorter than this are ignored.
    pub glitch_delay: Option<u32>,
    /// `LBREQUIRESOB`: low battery only counts while on battery (default
    /// true).
    pub lb_requires_ob: Option<bool>,
    /// `WEBHOOK` URLs.
    pub webhooks: Vec<String>,
    /// `NTFY` topic URLs.
    pub ntfy: Vec<String>,
}

impl Policy {
    /// `LBREQUIRESOB` or its default (true).
    pub fn lb_requires_ob(&self) -> bool {
        self.lb_requires_ob.unwrap_or(true)
    }
    /// True when no extension is set: upsmon then behaves exactly as NUT.
    pub fn is_empty(&self) -> bool {
        *self == Policy::default()
    }
}

/// A whole upsmon.conf, with NUT's defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsmonConf {
    /// `MONITOR` lines (duplicates dropped).
    pub monitors: Vec<Monitor>,
    /// `MINSUPPLIES`.
    pub minsupplies: u32,
    /// `SHUTDOWNCMD` (run by the shell).
    pub shutdowncmd: Option<String>,
    /// `NOTIFYCMD`.
    pub notifycmd: Option<String>,
    /// `POLLFREQ` seconds.
    pub pollfreq: u32,
    /// `POLLFREQALERT` seconds.
    pub pollfreqalert: u32,
    /// `HOSTSYNC` seconds.
    pub hostsync: u32,
    /// `DEADTIME` seconds.
    pub deadtime: u32,
    /// `FINALDELAY` seconds.
    pub finaldelay: u32,
    /// `POWERDOWNFLAG` file.
    pub powerdownflag: Option<String>,
    /// `RBWARNTIME` seconds.
    pub rbwarntime: u32,
    /// `NOCOMMWARNTIME` seconds.
    pub nocommwarntime: u32,
    /// `RUN_AS_USER`.
    pub run_as_user: Option<String>,
    /// `NOTIFYMSG` overrides.
    pub notify_messages: BTreeMap<NotifyType, String>,
    /// `NOTIFYFLAG` overrides.
    pub notify_flags: BTreeMap<NotifyType, NotifyFlags>,
    /// `CERTPATH`.
    pub certpath: Option<String>,
    /// `CERTIDENT`.
    pub certident: Option<CertIdent>,
    /// `CERTHOST` lines.
    pub certhosts: Vec<CertHost>,
    /// `CERTVERIFY`.
    pub certverify: bool,
    /// `FORCESSL`.
    pub forcessl: bool,
    /// `CERTFILE` (newer NUT).
    pub certfile: Option<String>,
    /// `DEBUG_MIN`.
    pub debug_min: Option<u32>,
    /// `OFFDURATION` (newer NUT; negative = never).
    pub offduration: i64,
    /// `OVERDURATION` (newer NUT; negative = never).
    pub overduration: i64,
    /// `OBLBDURATION` (newer NUT).
    pub oblbduration: i64,
    /// `ALARMCRITICAL` (newer NUT).
    pub alarmcritical: bool,
    /// `SHUTDOWNEXIT` as written (newer NUT: yes, no or seconds).
    pub shutdownexit: Option<String>,
    /// `POLLFAIL_LOG_THROTTLE_MAX` (newer NUT).
    pub pollfail_log_throttle_max: i64,
    /// Our extensions.
    pub policy: Policy,
}

impl Default for UpsmonConf {
    fn default() -> Self {
        UpsmonConf {
            monitors: Vec::new(),
            minsupplies: DEFAULT_MINSUPPLIES,
            shutdowncmd: None,
            notifycmd: None,
            pollfreq: DEFAULT_POLLFREQ,
            pollfreqalert: DEFAULT_POLLFREQALERT,
            hostsync: DEFAULT_HOSTSYNC,
            deadtime: DEFAULT_DEADTIME,
            finaldelay: DEFAULT_FINALDELAY,
            powerdownflag: None,
            rbwarntime: DEFAULT_RBWARNTIME,
            nocommwarntime: DEFAULT_NOCOMMWARNTIME,
            run_as_user: None,
            notify_messages: BTreeMap::new(),
            notify_flags: BTreeMap::new(),
            certpath: None,
            certident: None,
            certhosts: Vec::new(),
            certverify: false,
            forcessl: false,
            certfile: None,
            debug_min: None,
            offduration: DEFAULT_OFFDURATION,
            overduration: -1,
            oblbduration: 0,
            alarmcritical: true,
            shutdownexit: None,
            pollfail_log_throttle_max: -1,
            policy: Policy::default(),
        }
    }
}

/// The sum of power values is below MINSUPPLIES: upsmon must not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsufficientPower {
    /// Sum of the MONITOR power values.
    pub total: u32,
    /// MINSUPPLIES.
    pub minsupplies: u32,
}

impl fmt::Display for InsufficientPower {
    /// The four lines upsmon prints before exiting.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Fatal error: insufficient power configured!\n")?;
        writeln!(f, "Sum of power values........: {}", self.total)?;
        writeln!(f, "Minimum value (MINSUPPLIES): {}", self.minsupplies)?;
        write!(f, "\nEdit your upsmon.conf and change the values.")
    }
}

impl std::error::Error for InsufficientPower {}

impl UpsmonConf {
    /// Message for `t`: the NOTIFYMSG override or the stock text.
    pub fn message(&self, t: NotifyType) -> &str {
        self.notify_messages.get(&t).map(String::as_str).unwrap_or(t.default_message())
    }
    /// Flags for `t`: the NOTIFYFLAG override or the stock flags.
    pub fn flags(&self, t: NotifyType) -> NotifyFlags {
        self.notify_flags.get(&t).copied().unwrap_or(t.default_flags())
    }
    /// Sum of all power values.
    pub fn total_power(&self) -> u32 {
        self.monitors.iter().fold(0u32, |acc, m| acc.saturating_add(m.power_value))
    }
    /// upsmon's start-up check: the power values must add up to at least
    /// MINSUPPLIES.
    pub fn check_power(&self) -> Result<(), InsufficientPower> {
        let total = self.total_power();
        if total < self.minsupplies {
            Err(InsufficientPower { total, minsupplies: self.minsupplies })
        } else {
            Ok(())
        }
    }
    /// The MONITOR entry for a system name as written.
    pub fn monitor(&self, system: &str) -> Option<&Monitor> {
        self.monitors.iter().find(|m| m.system == system)
    }
}

/// Parse upsmon.conf text; `path` is only used in diagnostics.
pub fn parse(text: &[u8], path: &Path) -> Parsed<UpsmonConf> {
    let mut diags = Diags::new(path);
    let mut conf = UpsmonConf::default();
    for (line, words) in lex(text, &mut diags) {
        directive(&mut conf, line, &words, &mut diags);
    }
    diags.finish(conf)
}

fn usage(name: &str) -> &'static str {
    match name {
        "MONITOR" => "MONITOR <ups>@<host>[:<port>] <power value> <user> <password> primary|secondary",
        "NOTIFYMSG" => "NOTIFYMSG <type> \"<message>\"",
        "NOTIFYFLAG" => "NOTIFYFLAG <type> <flag>[+<flag>...]",
        "CERTIDENT" => "CERTIDENT <certificate name> <database password>",
        "CERTHOST" => "CERTHOST <host> <certificate name> <verify 0|1> <force ssl 0|1>",
        "LBREQUIRESOB" => "LBREQUIRESOB yes|no",
        "WEBHOOK" | "NTFY" => "<directive> <http(s) URL>",
        "SHUTDOWNCMD" | "NOTIFYCMD" => "<directive> \"<command>\"",
        "POWERDOWNFLAG" | "CERTPATH" | "CERTFILE" => "<directive> <path>",
        "RUN_AS_USER" => "RUN_AS_USER <user>",
        _ => "<directive> <number>",
    }
}

fn directive(conf: &mut UpsmonConf, line: usize, words: &[String], diags: &mut Diags) {
    let name = words[0].as_str();
    let args = &words[1..];
    let need = match name {
        "MONITOR" => 4,
        "NOTIFYMSG" | "NOTIFYFLAG" | "CERTIDENT" => 2,
        "CERTHOST" => 4,
        _ => 1,
    };
    if args.len() < need {
        let known = is_known(name);
        if known {
            diags.warn(line, format!("{name} ignored: expected '{}'", usage(name).replace("<directive>", name)));
        } else {
            diags.warn(line, format!("unknown directive {name} ignored"));
        }
        return;
    }
    let a0 = args[0].as_str();
    match name {
        "MONITOR" => monitor(conf, line, args, diags),
        "MINSUPPLIES" => set_u32(&mut conf.minsupplies, name, a0, line, diags),
        "POLLFREQ" => set_u32(&mut conf.pollfreq, name, a0, line, diags),
        "POLLFREQALERT" => set_u32(&mut conf.pollfreqalert, name, a0, line, diags),
        "HOSTSYNC" => set_u32(&mut conf.hostsync, name, a0, line, diags),
        "DEADTIME" => set_u32(&mut conf.deadtime, name, a0, line, diags),
        "FINALDELAY" => set_u32(&mut conf.finaldelay, name, a0, line, diags),
        "RBWARNTIME" => set_u32(&mut conf.rbwarntime, name, a0, line, diags),
        "NOCOMMWARNTIME" => set_u32(&mut conf.nocommwarntime, name, a0, line, diags),
        "SHUTDOWNCMD" => {
            if args.len() > 1 {
                diags.warn(line, "SHUTDOWNCMD: only the first word is used; put the whole command in double quotes");
            }
            conf.shutdowncmd = Some(a0.to_string());
        }
        "NOTIFYCMD" => conf.notifycmd = Some(a0.to_string()),
        "POWERDOWNFLAG" => conf.powerdownflag = Some(a0.to_string()),
        "RUN_AS_USER" => conf.run_as_user = Some(a0.to_string()),
        "CERTPATH" => conf.certpath = Some(a0.to_string()),
        "CERTFILE" => conf.certfile = Some(a0.to_string()),
        "CERTIDENT" => conf.certident = Some(CertIdent { name: a0.to_string(), password: args[1].clone() }),
        "CERTHOST" => conf.certhosts.push(CertHost {
            host: a0.to_string(),
            cert_name: args[1].clone(),
            verify: zero_one(name, &args[2], line, diags),
            force_ssl: zero_one(name, &args[3], line, diags),
        }),
        "CERTVERIFY" => conf.certverify = zero_one(name, a0, line, diags),
        "FORCESSL" => conf.forcessl = zero_one(name, a0, line, diags),
        "NOTIFYMSG" => {
            if let Some(t) = notify_type(name, a0, line, diags) {
                conf.notify_messages.insert(t, args[1].clone());
            }
        }
        "NOTIFYFLAG" => {
            if let Some(t) = notify_type(name, a0, line, diags) {
                let mut flags = NotifyFlags::NONE;
                for word in args[1].split('+') {
                    match NotifyFlags::from_word(word) {
                        Some(f) => flags = flags.union(f),
                        None => diags.warn(
                            line,
                            format!("NOTIFYFLAG {a0}: unknown flag {word:?} ignored (expected SYSLOG, WALL, EXEC or IGNORE, in capitals)"),
                        ),
                    }
                }
                conf.notify_flags.insert(t, flags);
            }
        }
        "OFFDURATION" => set_i64(&mut conf.offduration, name, a0, line, diags),
        "OVERDURATION" => set_i64(&mut conf.overduration, name, a0, line, diags),
        "OBLBDURATION" => set_i64(&mut conf.oblbduration, name, a0, line, diags),
        "POLLFAIL_LOG_THROTTLE_MAX" => set_i64(&mut conf.pollfail_log_throttle_max, name, a0, line, diags),
        "ALARMCRITICAL" => match parse_bool(a0) {
            Some(b) => conf.alarmcritical = b,
            None => diags.warn(line, format!("ALARMCRITICAL {a0:?} ignored: expected yes or no")),
        },
        "SHUTDOWNEXIT" => conf.shutdownexit = Some(a0.to_string()),
        // Our extensions: a bad value is an error (see module docs).
        "SHUTDOWNAFTER" => conf.policy.shutdown_after = policy_secs(name, a0, line, diags),
        "SHUTDOWNRUNTIME" => conf.policy.shutdown_runtime = policy_secs(name, a0, line, diags),
        "GLITCHDELAY" => conf.policy.glitch_delay = policy_secs(name, a0, line, diags),
        "SHUTDOWNCHARGE" => {
            conf.policy.shutdown_charge = match parse_u32(a0.trim_end_matches('%')) {
                Some(n) if n <= 100 => Some(n as u8),
                _ => {
                    diags.error(line, format!("SHUTDOWNCHARGE {a0:?}: expected a battery charge in percent, 0 to 100"));
                    None
                }
            }
        }
        "LBREQUIRESOB" => {
            conf.policy.lb_requires_ob = parse_bool(a0);
            if conf.policy.lb_requires_ob.is_none() {
                diags.error(line, format!("LBREQUIRESOB {a0:?}: expected yes or no"));
            }
        }
        "WEBHOOK" | "NTFY" => {
            let scheme_len = ["http://", "https://"]
                .iter()
                .find(|s| a0.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s)))
                .map(|s| s.len());
            let has_host = matches!(scheme_len, Some(n) if a0.len() > n);
            if !has_host {
                diags.error(line, format!("{name} {a0:?}: expected an http:// or https:// URL"));
            } else if name == "WEBHOOK" {
                conf.policy.webhooks.push(a0.to_string());
            } else {
                conf.policy.ntfy.push(a0.to_string());
            }
        }
        _ if name.eq_ignore_ascii_case("DEBUG_MIN") => match parse_u32(a0) {
            Some(n) => conf.debug_min = Some(n),
            None => diags.warn(line, format!("DEBUG_MIN {a0:?} ignored: expected a whole number")),
        },
        _ => diags.warn(line, format!("unknown directive {name} ignored")),
    }
}

fn is_known(name: &str) -> bool {
    matches!(
        name,
        "MONITOR" | "MINSUPPLIES" | "POLLFREQ" | "POLLFREQALERT" | "HOSTSYNC" | "DEADTIME" | "FINALDELAY"
            | "RBWARNTIME" | "NOCOMMWARNTIME" | "SHUTDOWNCMD" | "NOTIFYCMD" | "POWERDOWNFLAG" | "RUN_AS_USER"
            | "CERTPATH" | "CERTFILE" | "CERTIDENT" | "CERTHOST" | "CERTVERIFY" | "FORCESSL" | "NOTIFYMSG"
            | "NOTIFYFLAG" | "OFFDURATION" | "OVERDURATION" | "OBLBDURATION" | "POLLFAIL_LOG_THROTTLE_MAX"
            | "ALARMCRITICAL" | "SHUTDOWNEXIT" | "SHUTDOWNAFTER" | "SHUTDOWNRUNTIME" | "GLITCHDELAY"
            | "SHUTDOWNCHARGE" | "LBREQUIRESOB" | "WEBHOOK" | "NTFY"
    ) || name.eq_ignore_ascii_case("DEBUG_MIN")
}

fn monitor(conf: &mut UpsmonConf, line: usize, args: &[String], diags: &mut Diags) {
    if args.len() == 4 {
        diags.error(
            line,
            "MONITOR line in the old form without a user name: write 'MONITOR <ups>@<host> <power value> <user> <password> primary|secondary' and add the user to upsd.users",
        );
        return;
    }
    let system = args[0].as_str();
    let power_value = match args[1].parse::<i64>() {
        Ok(n) if n < 0 => {
            diags.warn(line, format!("MONITOR {system} ignored: power value {n} must be 0 or more"));
            return;
        }
        Ok(n) => u32::try_from(n).unwrap_or(u32::MAX),
        Err(_) => {
            diags.warn(
                line,
                format!("MONITOR {system}: power value {:?} is not a number and counts as 0 (monitoring only)", args[1]),
            );
            0
        }
    };
    let addr = match UpsAddr::parse(system) {
        Ok(a) => a,
        Err(msg) => {
            diags.warn(line, format!("MONITOR ignored: {msg}"));
            return;
        }
    };
    let role = match args[4].to_ascii_lowercase().as_str() {
        "primary" | "master" => MonitorRole::Primary,
        "secondary" | "slave" => MonitorRole::Secondary,
        other => {
            diags.warn(line, format!("MONITOR {system}: role {other:?} taken as secondary (expected primary or secondary)"));
            MonitorRole::Secondary
        }
    };
    if args.len() > 5 {
        diags.warn(line, format!("MONITOR {system}: words after the role are ignored"));
    }
    if let Some(prev) = conf.monitor(system) {
        diags.warn(line, format!("MONITOR {system} ignored: already monitored at line {}", prev.line));
        return;
    }
    conf.monitors.push(Monitor {
        system: system.to_string(),
        addr,
        power_value,
        user: args[2].clone(),
        password: args[3].clone(),
        role,
        line,
    });
}

fn notify_type(name: &str, word: &str, line: usize, diags: &mut Diags) -> Option<NotifyType> {
    let t = NotifyType::from_name(word);
    if t.is_none() {
        diags.warn(line, format!("{name}: {word:?} is not a notification type (e.g. ONLINE, ONBATT, LOWBATT); line ignored"));
    }
    t
}

fn set_u32(slot: &mut u32, name: &str, word: &str, line: usize, diags: &mut Diags) {
    match parse_u32(word) {
        Some(n) => *slot = n,
        None => diags.warn(line, format!("{name} {word:?} ignored: expected a whole number; keeping {slot}")),
    }
}

fn set_i64(slot: &mut i64, name: &str, word: &str, line: usize, diags: &mut Diags) {
    match word.parse::<i64>() {
        Ok(n) => *slot = n,
        Err(_) => diags.warn(line, format!("{name} {word:?} ignored: expected a number; keeping {slot}")),
    }
}

fn zero_one(name: &str, word: &str, line: usize, diags: &mut Diags) -> bool {
    match word {
        "0" => false,
        "1" => true,
        _ => {
            diags.warn(line, format!("{name}: {word:?} taken as 0; expected 0 or 1"));
            false
        }
    }
}

fn policy_secs(name: &str, word: &str, line: usize, diags: &mut Diags) -> Option<u32> {
    let n = parse_u32(word);
    if n.is_none() {
        diags.error(line, format!("{name} {word:?}: expected a number of seconds"));
    }
    n
}
