//! The effective policy of a set of NUT files, in plain words, and the
//! problems that only show when files are read together. Pure: parsed
//! files in, text and diagnostics out.

use std::path::{Path, PathBuf};

use nut_conf::notify::{NotifyFlags, NotifyType};
use nut_conf::nutconf::{Mode, NutConf};
use nut_conf::ups::UpsConf;
use nut_conf::upsd::{UpsdConf, DEFAULT_PORT};
use nut_conf::upsmon::{MonitorRole, UpsmonConf};
use nut_conf::upssched::{Action, UpsMatch, UpsschedConf};
use nut_conf::users::{UpsmonRole, UsersConf};
use nut_conf::{Diagnostic, Severity};

/// One loaded file: where it came from and what it says.
#[derive(Debug, Clone)]
pub struct File<T> {
    pub path: PathBuf,
    pub value: T,
}

/// Everything found in one configuration directory.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    pub nut: Option<File<NutConf>>,
    pub ups: Option<File<UpsConf>>,
    pub upsd: Option<File<UpsdConf>>,
    pub users: Option<File<UsersConf>>,
    /// Permission bits of upsd.users, when known.
    pub users_mode: Option<u32>,
    pub upsmon: Option<File<UpsmonConf>>,
    pub upssched: Option<File<UpsschedConf>>,
}

/// What [`explain`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Paragraphs, each a heading word and sentences.
    pub paragraphs: Vec<String>,
    /// Problems seen across files or in the values (not in the syntax,
    /// which the loaders report).
    pub findings: Vec<Diagnostic>,
}

impl Report {
    fn say(&mut self, text: impl Into<String>) {
        self.paragraphs.push(text.into());
    }
    fn warn(&mut self, path: &Path, line: usize, message: impl Into<String>) {
        self.findings.push(Diagnostic { path: path.to_path_buf(), line, severity: Severity::Warning, message: message.into() });
    }
}

/// The placeholder passwords of our sample files (etc/ and etc/examples/).
/// The loader already warns about NUT's and the usual guesses
/// (`nut_conf::users::is_well_known_password`); these come on top.
const SAMPLE_PASSWORDS: &[&str] = &["changeme-upsmon", "changeme-admin", "change-this-password", "change-this-too"];

/// `90` → "90 s", `180` → "3 minutes", `150` → "2 min 30 s".
pub fn duration(secs: u64) -> String {
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} s"),
        (1, 0) => "1 minute".to_string(),
        (m, 0) => format!("{m} minutes"),
        (m, s) => format!("{m} min {s} s"),
    }
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{}, or {last}", rest.join(", ")),
    }
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn is_local(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1") || host.starts_with("127.")
}

/// Explain `s` and cross-check its files.
pub fn explain(s: &Setup) -> Report {
    let mut r = Report::default();
    if let Some(f) = &s.nut {
        explain_mode(&mut r, f.value.mode);
    }
    if let Some(f) = &s.ups {
        explain_drivers(&mut r, &f.value);
    }
    if let Some(f) = &s.upsd {
        explain_listen(&mut r, &f.value, s.nut.as_ref().map(|n| n.value.mode));
        if let Some(hint) = f.value.nss_only_hint() {
            r.warn(&f.path, 0, hint);
        }
    }
    if let Some(f) = &s.users {
        explain_users(&mut r, f, s.users_mode);
    }
    if let Some(f) = &s.upsmon {
        explain_upsmon(&mut r, f);
        cross_check_monitors(&mut r, f, s);
    }
    if let Some(f) = &s.upssched {
        explain_upssched(&mut r, f, s.upsmon.as_ref());
    }
    r
}

fn explain_mode(r: &mut Report, mode: Mode) {
    r.say(match mode {
        Mode::None => "nut.conf: MODE=none: the init scripts start nothing on this machine.".to_string(),
        Mode::Standalone => {
            "nut.conf: MODE=standalone: this machine runs the driver(s), upsd for itself only, and upsmon.".to_string()
        }
        Mode::Netserver => {
            "nut.conf: MODE=netserver: this machine runs the driver(s), upsd serving other hosts too, and upsmon."
                .to_string()
        }
        Mode::Netclient => {
            "nut.conf: MODE=netclient: this machine runs only upsmon, watching a UPS served by another host's upsd."
                .to_string()
        }
    });
}

fn explain_drivers(r: &mut Report, ups: &UpsConf) {
    let mut parts = Vec::new();
    for sec in &ups.sections {
        let driver = sec.driver().unwrap_or("(no driver: upsd skips it)");
        let port = sec.port().unwrap_or("(no port)");
        let desc = sec.desc().map(|d| format!(" ({d})")).unwrap_or_default();
        parts.push(format!("'{}'{desc} is read by {driver} on port {port}", sec.name));
    }
    if parts.is_empty() {
        r.say("ups.conf: no UPS is configured; upsd will have nothing to serve.");
    } else {
        r.say(format!("ups.conf: {}.", join_and(&parts)));
    }
}

fn describe_listen(addr: &str, port: u16) -> String {
    let whom = match addr {
        "0.0.0.0" => "every IPv4 address: reachable from the network",
        "::" | "::0" => "every IPv6 address: reachable from the network",
        "*" => "every address: reachable from the network",
        a if is_local(a) => "this host only",
        _ => "the network interface with this address",
    };
    format!("{addr} port {port} ({whom})")
}

fn explain_listen(r: &mut Report, upsd: &UpsdConf, mode: Option<Mode>) {
    let only_local;
    if upsd.listen.is_empty() {
        only_local = true;
        r.say(format!(
            "upsd.conf: upsd listens on 127.0.0.1 and ::1 port {DEFAULT_PORT} (no LISTEN line): only this host can connect."
        ));
    } else {
        only_local = upsd.listen.iter().all(|l| is_local(&l.addr));
        let list: Vec<String> = upsd.listen.iter().map(|l| describe_listen(&l.addr, l.port)).collect();
        r.say(format!("upsd.conf: upsd listens on {}.", join_and(&list)));
    }
    if !upsd.allow_from.is_empty() {
        let nets: Vec<String> = upsd.allow_from.iter().map(|c| format!("{}/{}", c.addr, c.prefix)).collect();
        r.say(format!("upsd.conf: only clients from {} may connect (ALLOW_FROM).", join_and(&nets)));
    }
    r.say(format!("upsd.conf: data older than MAXAGE {} counts as stale.", duration(u64::from(upsd.maxage()))));
    if only_local && mode == Some(Mode::Netserver) {
        r.say("Note: nut.conf says netserver, but upsd listens on this host only: secondaries on other hosts cannot connect.");
    }
}

fn explain_users(r: &mut Report, f: &File<UsersConf>, mode: Option<u32>) {
    if let Some(m) = mode {
        if m & 0o004 != 0 {
            r.warn(&f.path, 0, format!("readable by every user (mode {:o}): passwords are exposed; chmod 0640 and chown root:nut", m & 0o7777));
        }
    }
    if f.value.users.is_empty() {
        r.say("upsd.users: no users: nobody can log in to upsd (upsmon cannot, either).");
        return;
    }
    let mut lines = Vec::new();
    for u in &f.value.users {
        let mut can = Vec::new();
        match u.upsmon {
            Some(UpsmonRole::Primary) => can.push("log in as upsmon primary and set FSD".to_string()),
            Some(UpsmonRole::Secondary) => can.push("log in as upsmon secondary".to_string()),
            None => {
                if u.can_login() {
                    can.push("log in".to_string());
                }
                if u.can_fsd() {
                    can.push("set FSD".to_string());
                }
            }
        }
        if u.can_set() {
            can.push("change variables (upsrw)".to_string());
        }
        if u.instcmds.contains("all") {
            can.push("run every instant command (upscmd)".to_string());
        } else if !u.instcmds.is_empty() {
            let cmds: Vec<String> = u.instcmds.iter().cloned().collect();
            can.push(format!("run the instant commands {}", cmds.join(", ")));
        }
        let what = if can.is_empty() { "read only (nothing beyond what anyone may read)".to_string() } else { join_and(&can) };
        lines.push(format!("'{}' may {what}", u.name));
        match &u.password {
            None => r.warn(&f.path, u.line, format!("user '{}' has no password: it can never log in", u.name)),
            Some(p) if SAMPLE_PASSWORDS.iter().any(|w| w.eq_ignore_ascii_case(p)) => r.warn(
                &f.path,
                u.line,
                format!("user '{}' still has the sample files' password; change it (and the MONITOR line that uses it)", u.name),
            ),
            Some(_) => {}
        }
    }
    r.say(format!("upsd.users: {}.", lines.join("; ")));
}

/// The shutdown triggers in force, most specific first.
fn triggers(m: &UpsmonConf) -> Vec<String> {
    let p = &m.policy;
    let mut t = Vec::new();
    if let Some(a) = p.shutdown_after {
        t.push(format!("{} after the UPS goes on battery", duration(u64::from(a))));
    }
    if let Some(c) = p.shutdown_charge {
        t.push(format!("at {c} % charge"));
    }
    if let Some(rt) = p.shutdown_runtime {
        t.push(format!("at {} of runtime left", duration(u64::from(rt))));
    }
    t.push(if p.lb_requires_ob() {
        "when the UPS reports low battery while on battery".to_string()
    } else {
        "when the UPS reports low battery (on battery or not, LBREQUIRESOB no)".to_string()
    });
    t
}

fn explain_upsmon(r: &mut Report, f: &File<UpsmonConf>) {
    let m = &f.value;
    if m.monitors.is_empty() {
        r.say("upsmon.conf: no MONITOR line: upsmon watches nothing and never shuts this host down.");
        return;
    }
    let t = triggers(m);
    let when = if t.len() > 1 { format!("{}, whichever comes first", join_or(&t)) } else { join_or(&t) };
    for mon in &m.monitors {
        let sys = &mon.system;
        let feeds = if mon.power_value == 0 {
            " It has power value 0: it is watched, but does not feed this host, so it never causes a shutdown."
                .to_string()
        } else {
            String::new()
        };
        match mon.role {
            MonitorRole::Primary => r.say(format!(
                "This host (primary of {sys}) shuts down {when}. It first sets FSD on {sys}, so every secondary \
                 shuts down too, and waits up to HOSTSYNC {} for the secondaries to log out.{feeds}",
                duration(u64::from(m.hostsync))
            )),
            MonitorRole::Secondary => r.say(format!(
                "This host (secondary of {sys}) shuts down {when}, or as soon as the primary sets FSD on {sys}; \
                 the primary waits for it to log out before going down itself.{feeds}"
            )),
        }
    }
    if let Some(g) = m.policy.glitch_delay {
        r.say(format!(
            "On-battery spells shorter than GLITCHDELAY {} are ignored: no ONBATT/ONLINE notification and no countdown.",
            duration(u64::from(g))
        ));
    }
    let total = m.total_power();
    if m.minsupplies == 0 {
        r.say("MINSUPPLIES 0: this host only watches; it never shuts down for lack of power.");
    } else if m.monitors.len() > 1 || m.minsupplies != 1 {
        r.say(format!(
            "MINSUPPLIES {}: the MONITOR lines add up to power value {total}; this host shuts down once fewer than {} \
             of them are fed by a UPS that is not critical.",
            m.minsupplies, m.minsupplies
        ));
    }
    r.say(format!(
        "A UPS that was last seen on battery and stops answering for DEADTIME {} counts as critical.",
        duration(u64::from(m.deadtime))
    ));
    let mut steps = vec!["notify SHUTDOWN".to_string(), format!("wait FINALDELAY {}", duration(u64::from(m.finaldelay)))];
    let any_primary = m.monitors.iter().any(|x| x.role == MonitorRole::Primary);
    match &m.powerdownflag {
        Some(p) => steps.push(format!("create POWERDOWNFLAG {p} (the shutdown scripts then tell the UPS to cut the power)")),
        None if any_primary => steps.push("(no POWERDOWNFLAG: the UPS is not told to cut the power at the end)".to_string()),
        None => {}
    }
    match &m.shutdowncmd {
        Some(cmd) => steps.push(format!("run SHUTDOWNCMD \"{cmd}\"")),
        None => {
            steps.push("(no SHUTDOWNCMD: nothing actually shuts this host down!)".to_string());
            r.warn(&f.path, 0, "no SHUTDOWNCMD: upsmon cannot shut this host down");
        }
    }
    r.say(format!("Shutting down means: {}.", steps.join(", then ")));
    explain_notify(r, m);
}

fn explain_notify(r: &mut Report, m: &UpsmonConf) {
    let mut groups: Vec<(NotifyFlags, Vec<&'static str>)> = Vec::new();
    for t in NotifyType::all().filter(|t| t.in_nut_2_8_0()) {
        let flags = m.flags(t);
        match groups.iter_mut().find(|(f, _)| *f == flags) {
            Some((_, names)) => names.push(t.name()),
            None => groups.push((flags, vec![t.name()])),
        }
    }
    let mut parts = Vec::new();
    for (flags, names) in &groups {
        let mut to = Vec::new();
        if flags.syslog() {
            to.push("syslog".to_string());
        }
        if flags.wall() {
            to.push("wall".to_string());
        }
        if flags.exec() {
            to.push(match &m.notifycmd {
                Some(cmd) => format!("NOTIFYCMD {cmd}"),
                None => "NOTIFYCMD (not set, so nowhere)".to_string(),
            });
        }
        let to = if to.is_empty() { "nowhere".to_string() } else { join_and(&to) };
        let verb = if names.len() == 1 { "goes" } else { "go" };
        parts.push(format!("{} {verb} to {to}", names.join(", ")));
    }
    r.say(format!("Notifications: {}.", parts.join("; ")));
    let mut extra = Vec::new();
    extra.extend(m.policy.webhooks.iter().map(|u| format!("POSTed as JSON to {u}")));
    extra.extend(m.policy.ntfy.iter().map(|u| format!("published to the ntfy topic {u}")));
    if !extra.is_empty() {
        r.say(format!("Every notification not set to IGNORE is also {}.", join_and(&extra)));
    }
}

fn cross_check_monitors(r: &mut Report, f: &File<UpsmonConf>, s: &Setup) {
    for mon in f.value.monitors.iter().filter(|m| is_local(&m.addr.host)) {
        if let Some(users) = &s.users {
            match users.value.user(&mon.user) {
                None => r.warn(
                    &f.path,
                    mon.line,
                    format!("MONITOR {}: user '{}' is not in {}", mon.system, mon.user, users.path.display()),
                ),
                Some(u) => {
                    if !u.password_matches(&mon.password) {
                        r.warn(
                            &f.path,
                            mon.line,
                            format!("MONITOR {}: the password differs from user '{}' in {}", mon.system, mon.user, users.path.display()),
                        );
                    }
                    if mon.role == MonitorRole::Primary && !u.can_primary() {
                        r.warn(
                            &f.path,
                            mon.line,
                            format!("MONITOR {} is primary, but user '{}' has no 'upsmon primary' in {}", mon.system, mon.user, users.path.display()),
                        );
                    }
                }
            }
        }
        if let Some(ups) = &s.ups {
            if ups.value.section(&mon.addr.ups).is_none() {
                r.warn(
                    &f.path,
                    mon.line,
                    format!("MONITOR {}: there is no [{}] in {}", mon.system, mon.addr.ups, ups.path.display()),
                );
            }
        }
    }
}

fn explain_upssched(r: &mut Report, f: &File<UpsschedConf>, upsmon: Option<&File<UpsmonConf>>) {
    let c = &f.value;
    let script = c.cmdscript.as_ref().map(|w| w.join(" ")).unwrap_or_else(|| "CMDSCRIPT (not set)".to_string());
    if c.ats.is_empty() {
        r.say("upssched.conf: no AT line: upssched does nothing.");
        return;
    }
    let mut lines = Vec::new();
    for at in &c.ats {
        let from = match &at.ups {
            UpsMatch::Any => "any UPS".to_string(),
            UpsMatch::Name(n) => n.clone(),
        };
        let does = match &at.action {
            Action::StartTimer { name, secs } => format!(
                "start timer '{name}'; if it is still running after {}, run {script} {name}",
                duration(u64::from(*secs))
            ),
            Action::StartTimerShared { name, secs } => format!(
                "start (or join) the shared timer '{name}'; after {}, run {script} {name}",
                duration(u64::from(*secs))
            ),
            Action::CancelTimer { name, cmd } | Action::CancelTimerMatched { name, cmd } => match cmd {
                Some(cmd) => format!("cancel timer '{name}', or if it was not running, run {script} {cmd}"),
                None => format!("cancel timer '{name}'"),
            },
            Action::Execute { cmd } => format!("run {script} {cmd} at once"),
        };
        lines.push(format!("on {} from {from}: {does}", at.notify_type.to_ascii_uppercase()));
        if let (Some(m), Some(t)) = (upsmon, at.known_type) {
            if !m.value.flags(t).exec() {
                r.warn(
                    &f.path,
                    at.line,
                    format!("AT {t}: {} does not give {t} the EXEC flag, so upssched never hears of it", m.path.display()),
                );
            }
        }
    }
    r.say(format!("upssched.conf: {}.", lines.join("; ")));
    if let Some(m) = upsmon {
        let calls_upssched = m.value.notifycmd.as_deref().is_some_and(|c| c.contains("upssched"));
        if !calls_upssched {
            r.warn(
                &f.path,
                0,
                format!(
                    "upsmon's NOTIFYCMD is {}, not upssched: these AT lines only run if that program calls upssched",
                    m.value.notifycmd.as_deref().unwrap_or("not set")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file<T>(name: &str, parsed: nut_conf::Parsed<T>) -> Option<File<T>> {
        assert!(!parsed.has_errors(), "{name}: {:?}", parsed.diagnostics);
        Some(File { path: PathBuf::from(name), value: parsed.value })
    }
    fn upsmon(text: &str) -> Option<File<UpsmonConf>> {
        file("upsmon.conf", nut_conf::upsmon::parse(text.as_bytes(), Path::new("upsmon.conf")))
    }
    fn users(text: &str) -> Option<File<UsersConf>> {
        file("upsd.users", nut_conf::users::parse(text.as_bytes(), Path::new("upsd.users")))
    }
    fn upssched(text: &str) -> Option<File<UpsschedConf>> {
        file("upssched.conf", nut_conf::upssched::parse(text.as_bytes(), Path::new("upssched.conf")))
    }
    fn text(r: &Report) -> String {
        r.paragraphs.join("\n")
    }
    fn findings(r: &Report) -> Vec<String> {
        r.findings.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn durations() {
        assert_eq!(duration(15), "15 s");
        assert_eq!(duration(60), "1 minute");
        assert_eq!(duration(180), "3 minutes");
        assert_eq!(duration(150), "2 min 30 s");
    }

    #[test]
    fn example_standalone_nas() {
        let s = Setup { upsmon: upsmon(include_str!("../../../etc/examples/standalone-nas/upsmon.conf")), ..Setup::default() };
        let r = explain(&s);
        let t = text(&r);
        assert!(
            t.contains(
                "This host (primary of nas-ups@localhost) shuts down 5 minutes after the UPS goes on battery, \
                 at 20 % charge, at 3 minutes of runtime left, or when the UPS reports low battery while on \
                 battery, whichever comes first."
            ),
            "{t}"
        );
        assert!(t.contains("waits up to HOSTSYNC 15 s for the secondaries to log out"), "{t}");
        assert!(t.contains("On-battery spells shorter than GLITCHDELAY 10 s are ignored"), "{t}");
        assert!(t.contains("create POWERDOWNFLAG /etc/killpower"), "{t}");
        assert!(t.contains("run SHUTDOWNCMD \"/sbin/shutdown -h +0\""), "{t}");
        assert!(r.findings.is_empty(), "{:?}", findings(&r));
    }

    #[test]
    fn example_primary_with_secondaries() {
        let s = Setup {
            upsmon: upsmon(include_str!("../../../etc/examples/nas-primary-with-secondaries/upsmon.conf")),
            users: users(include_str!("../../../etc/examples/nas-primary-with-secondaries/upsd.users.snippet")),
            ..Setup::default()
        };
        let r = explain(&s);
        let t = text(&r);
        assert!(
            t.contains(
                "This host (primary of nas-ups@localhost) shuts down 10 minutes after the UPS goes on battery, \
                 at 25 % charge, or when the UPS reports low battery while on battery, whichever comes first. \
                 It first sets FSD on nas-ups@localhost, so every secondary shuts down too, and waits up to \
                 HOSTSYNC 1 minute for the secondaries to log out."
            ),
            "{t}"
        );
        assert!(t.contains("'upsmon-local' may log in as upsmon primary and set FSD"), "{t}");
        assert!(t.contains("'upsmon-remote' may log in as upsmon secondary"), "{t}");
        assert!(t.contains("ONLINE, ONBATT, LOWBATT, FSD, SHUTDOWN go to syslog, wall and NOTIFYCMD /sbin/upssched"), "{t}");
        assert!(t.contains("CAL goes to syslog"), "{t}");
        // the snippet's placeholder passwords are flagged, on their lines
        let f = findings(&r);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].starts_with("upsd.users:4: user 'upsmon-local' still has the sample files' password"), "{f:?}");
        assert!(f[1].starts_with("upsd.users:9: user 'upsmon-remote'"), "{f:?}");
    }

    #[test]
    fn example_secondary_only() {
        let s = Setup { upsmon: upsmon(include_str!("../../../etc/examples/secondary-only/upsmon.conf")), ..Setup::default() };
        let t = text(&explain(&s));
        assert!(
            t.contains(
                "This host (secondary of nas-ups@nas.example.lan) shuts down when the UPS reports low battery \
                 while on battery, or as soon as the primary sets FSD on nas-ups@nas.example.lan"
            ),
            "{t}"
        );
        assert!(!t.contains("POWERDOWNFLAG"), "a secondary never powers the UPS off: {t}");
    }

    #[test]
    fn etc_samples() {
        let p = |n: &str| PathBuf::from(n);
        let s = Setup {
            nut: file("nut.conf", nut_conf::nutconf::parse(include_bytes!("../../../etc/nut.conf"), &p("nut.conf"))),
            ups: file("ups.conf", nut_conf::ups::parse(include_bytes!("../../../etc/ups.conf"), &p("ups.conf"))),
            upsd: file("upsd.conf", nut_conf::upsd::parse(include_bytes!("../../../etc/upsd.conf"), &p("upsd.conf"))),
            users: users(include_str!("../../../etc/upsd.users")),
            users_mode: Some(0o100640),
            upsmon: upsmon(include_str!("../../../etc/upsmon.conf")),
            upssched: upssched(include_str!("../../../etc/upssched.conf")),
        };
        let r = explain(&s);
        let t = text(&r);
        assert!(t.contains("nut.conf: MODE=standalone"), "{t}");
        assert!(t.contains("'nas-ups' (UPS feeding the NAS) is read by dummy-ups on port nas-ups.dev"), "{t}");
        assert!(t.contains("upsd listens on 127.0.0.1 port 3493 (this host only) and ::1 port 3493 (this host only)"), "{t}");
        assert!(t.contains("'admin' may change variables (upsrw) and run every instant command (upscmd)"), "{t}");
        assert!(
            t.contains("on ONBATT from any UPS: start timer 'onbatt'; if it is still running after 30 s, run /bin/upssched-cmd onbatt"),
            "{t}"
        );
        assert!(t.contains("on ONLINE from any UPS: cancel timer 'onbatt', or if it was not running, run /bin/upssched-cmd online"), "{t}");
        assert!(t.contains("on LOWBATT from any UPS: run /bin/upssched-cmd lowbatt at once"), "{t}");
        assert!(t.contains("after 5 minutes, run /bin/upssched-cmd commbad"), "{t}");
        // MONITOR matches upsd.users and ups.conf; every AT type has EXEC;
        // only the sample passwords are flagged
        let f = findings(&r);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f.iter().all(|l| l.contains("still has the sample files' password")), "{f:?}");
    }

    #[test]
    fn nss_only_tls_settings_get_the_export_commands() {
        let s = Setup {
            upsd: file(
                "upsd.conf",
                nut_conf::upsd::parse(b"CERTPATH /etc/nut/cert\nCERTIDENT \"My nut server\" dbpass\n", Path::new("upsd.conf")),
            ),
            ..Setup::default()
        };
        let f = findings(&explain(&s));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].starts_with("upsd.conf: CERTPATH/CERTIDENT name an NSS certificate database"), "{f:?}");
        assert!(f[0].contains("pk12util -d sql:/etc/nut/cert -n \"My nut server\""), "{f:?}");
        // With CERTFILE there is nothing to say.
        let s = Setup {
            upsd: file(
                "upsd.conf",
                nut_conf::upsd::parse(b"CERTFILE /etc/nut/upsd.pem\nCERTPATH /etc/nut/ca\n", Path::new("upsd.conf")),
            ),
            ..Setup::default()
        };
        assert!(findings(&explain(&s)).is_empty());
    }

    #[test]
    fn cross_file_problems() {
        let s = Setup {
            nut: file("nut.conf", nut_conf::nutconf::parse(b"MODE=netserver\n", Path::new("nut.conf"))),
            upsd: file("upsd.conf", nut_conf::upsd::parse(b"LISTEN 127.0.0.1\n", Path::new("upsd.conf"))),
            ups: file("ups.conf", nut_conf::ups::parse(b"[other]\ndriver = dummy-ups\nport = x.dev\n", Path::new("ups.conf"))),
            users: users("[mon]\npassword = s3cr3t-long\nupsmon secondary\n[nopw]\ninstcmds = test.battery.start\n"),
            users_mode: Some(0o100644),
            upsmon: upsmon(
                "MONITOR ups@localhost 1 mon wrong primary\nMONITOR b@10.0.0.9 1 x y secondary\nMINSUPPLIES 2\n\
                 NOTIFYCMD /usr/local/bin/notify\n",
            ),
            upssched: upssched("CMDSCRIPT /bin/cmd\nPIPEFN /run/p\nLOCKFN /run/l\nAT ONBATT * START-TIMER t 60\n"),
        };
        let r = explain(&s);
        let f = findings(&r).join("\n");
        assert!(f.contains("upsd.users: readable by every user (mode 644)"), "{f}");
        assert!(f.contains("upsd.users:4: user 'nopw' has no password"), "{f}");
        assert!(f.contains("upsmon.conf:1: MONITOR ups@localhost: the password differs from user 'mon'"), "{f}");
        assert!(f.contains("upsmon.conf:1: MONITOR ups@localhost is primary, but user 'mon' has no 'upsmon primary'"), "{f}");
        assert!(f.contains("upsmon.conf:1: MONITOR ups@localhost: there is no [ups] in ups.conf"), "{f}");
        assert!(!f.contains("b@10.0.0.9"), "remote servers are not checked against local files: {f}");
        assert!(f.contains("upssched.conf:4: AT ONBATT: upsmon.conf does not give ONBATT the EXEC flag"), "{f}");
        assert!(f.contains("NOTIFYCMD is /usr/local/bin/notify, not upssched"), "{f}");
        assert!(f.contains("upsmon.conf: no SHUTDOWNCMD"), "{f}");
        let t = text(&r);
        assert!(t.contains("secondaries on other hosts cannot connect"), "{t}");
        assert!(t.contains("MINSUPPLIES 2: the MONITOR lines add up to power value 2"), "{t}");
        assert!(t.contains("'nopw' may run the instant commands test.battery.start"), "{t}");
        assert!(t.contains("(no SHUTDOWNCMD: nothing actually shuts this host down!)"), "{t}");
    }

    #[test]
    fn listening_on_the_network_and_watch_only() {
        let s = Setup {
            upsd: file("upsd.conf", nut_conf::upsd::parse(b"LISTEN 0.0.0.0 3493\nLISTEN 192.168.1.2\n", Path::new("upsd.conf"))),
            upsmon: upsmon("MONITOR u@h 0 a b secondary\nMINSUPPLIES 0\nSHUTDOWNCMD x\n"),
            ..Setup::default()
        };
        let t = text(&explain(&s));
        assert!(t.contains("0.0.0.0 port 3493 (every IPv4 address: reachable from the network)"), "{t}");
        assert!(t.contains("192.168.1.2 port 3493 (the network interface with this address)"), "{t}");
        assert!(t.contains("MINSUPPLIES 0: this host only watches"), "{t}");
        assert!(t.contains("power value 0: it is watched, but does not feed this host"), "{t}");
    }
}
