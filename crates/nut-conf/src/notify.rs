//! upsmon's notification types, their stock messages and flags, as data.

use std::fmt;

/// An event upsmon can report. Names as written in upsmon.conf (matched
/// case-insensitively by [`NotifyType::from_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)]
pub enum NotifyType {
    Online,
    OnBatt,
    LowBatt,
    Fsd,
    CommOk,
    CommBad,
    Shutdown,
    ReplBatt,
    NoComm,
    NoParent,
    Cal,
    NotCal,
    Off,
    NotOff,
    Bypass,
    NotBypass,
    Eco,
    NotEco,
    Alarm,
    NotAlarm,
    Over,
    NotOver,
    Trim,
    NotTrim,
    Boost,
    NotBoost,
    ShutdownHostsync,
    Other,
    NotOther,
    SuspendStarting,
    SuspendFinished,
    SuspendTimejumpUnexpected,
}

use NotifyType::*;

/// (type, name, stock message, known to NUT 2.8.0)
const TABLE: &[(NotifyType, &str, &str, bool)] = &[
    (Online, "ONLINE", "UPS %s on line power", true),
    (OnBatt, "ONBATT", "UPS %s on battery", true),
    (LowBatt, "LOWBATT", "UPS %s battery is low", true),
    (Fsd, "FSD", "UPS %s: forced shutdown in progress", true),
    (CommOk, "COMMOK", "Communications with UPS %s established", true),
    (CommBad, "COMMBAD", "Communications with UPS %s lost", true),
    (Shutdown, "SHUTDOWN", "Auto logout and shutdown proceeding", true),
    (ReplBatt, "REPLBATT", "UPS %s battery needs to be replaced", true),
    (NoComm, "NOCOMM", "UPS %s is unavailable", true),
    (NoParent, "NOPARENT", "upsmon parent process died - shutdown impossible", true),
    (Cal, "CAL", "UPS %s: calibration in progress", true),
    (NotCal, "NOTCAL", "UPS %s: calibration finished", false),
    (Off, "OFF", "UPS %s: administratively OFF or asleep", false),
    (NotOff, "NOTOFF", "UPS %s: no longer administratively OFF or asleep", false),
    (Bypass, "BYPASS", "UPS %s: on bypass (powered, not protecting)", false),
    (NotBypass, "NOTBYPASS", "UPS %s: no longer on bypass", false),
    (Eco, "ECO", "UPS %s: in ECO mode (as defined by vendor)", false),
    (NotEco, "NOTECO", "UPS %s: no longer in ECO mode", false),
    (Alarm, "ALARM", "UPS %s: one or more active alarms: [%s]", false),
    (NotAlarm, "NOTALARM", "UPS %s is no longer in an alarm state (no active alarms)", false),
    (Over, "OVER", "UPS %s: overloaded", false),
    (NotOver, "NOTOVER", "UPS %s: no longer overloaded", false),
    (Trim, "TRIM", "UPS %s: trimming incoming voltage", false),
    (NotTrim, "NOTTRIM", "UPS %s: no longer trimming incoming voltage", false),
    (Boost, "BOOST", "UPS %s: boosting incoming voltage", false),
    (NotBoost, "NOTBOOST", "UPS %s: no longer boosting incoming voltage", false),
    (
        ShutdownHostsync,
        "SHUTDOWN_HOSTSYNC",
        "Shutdown initiated; primary system is waiting for secondaries to log out or time out",
        false,
    ),
    (Other, "OTHER", "UPS %s: has at least one unclassified status token: [%s]", false),
    (NotOther, "NOTOTHER", "UPS %s has no unclassified status tokens anymore", false),
    (SuspendStarting, "SUSPEND_STARTING", "OS is entering sleep/suspend/hibernate mode", false),
    (
        SuspendFinished,
        "SUSPEND_FINISHED",
        "OS just finished sleep/suspend/hibernate mode, de-activating obsolete UPS readings to avoid an unfortunate shutdown",
        false,
    ),
    (
        SuspendTimejumpUnexpected,
        "SUSPEND_TIMEJUMP_UNEXPECTED",
        "Unexpected clock change by %s, treating as wake up from sleep",
        false,
    ),
];

impl NotifyType {
    /// Every type, in NUT's order.
    pub fn all() -> impl Iterator<Item = NotifyType> {
        TABLE.iter().map(|row| row.0)
    }

    fn row(self) -> &'static (NotifyType, &'static str, &'static str, bool) {
        // The table lists every variant in declaration order.
        &TABLE[self as usize]
    }

    /// The name used in upsmon.conf, upssched.conf and `NOTIFYTYPE`.
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// Stock message; `%s` stands for the UPS (and, for ALARM/OTHER, a
    /// second `%s` for the extra text).
    pub fn default_message(self) -> &'static str {
        self.row().2
    }

    /// True for the types NUT 2.8.0 knows (the others come from later NUT).
    pub fn in_nut_2_8_0(self) -> bool {
        self.row().3
    }

    /// Stock flags: SYSLOG+WALL, except CAL which is SYSLOG only (2.8.0).
    pub fn default_flags(self) -> NotifyFlags {
        if self == Cal {
            NotifyFlags::SYSLOG
        } else {
            NotifyFlags::SYSLOG.union(NotifyFlags::WALL)
        }
    }

    /// Look a name up, ignoring case.
    pub fn from_name(name: &str) -> Option<NotifyType> {
        TABLE.iter().find(|row| row.1.eq_ignore_ascii_case(name)).map(|row| row.0)
    }
}

impl fmt::Display for NotifyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What upsmon does for a notification: a set of SYSLOG, WALL, EXEC and
/// IGNORE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NotifyFlags(u8);

impl NotifyFlags {
    /// No action at all.
    pub const NONE: NotifyFlags = NotifyFlags(0);
    /// Log to syslog.
    pub const SYSLOG: NotifyFlags = NotifyFlags(1);
    /// Send to every terminal with `wall`.
    pub const WALL: NotifyFlags = NotifyFlags(2);
    /// Run NOTIFYCMD.
    pub const EXEC: NotifyFlags = NotifyFlags(4);
    /// Do nothing, whatever else is set.
    pub const IGNORE: NotifyFlags = NotifyFlags(8);

    /// Both sets together.
    pub const fn union(self, other: NotifyFlags) -> NotifyFlags {
        NotifyFlags(self.0 | other.0)
    }
    /// True when every flag of `other` is set here.
    pub const fn contains(self, other: NotifyFlags) -> bool {
        self.0 & other.0 == other.0
    }
    /// True when syslog should be written (set and not IGNORE).
    pub fn syslog(self) -> bool {
        !self.contains(Self::IGNORE) && self.contains(Self::SYSLOG)
    }
    /// True when wall should run (set and not IGNORE).
    pub fn wall(self) -> bool {
        !self.contains(Self::IGNORE) && self.contains(Self::WALL)
    }
    /// True when NOTIFYCMD should run (set and not IGNORE).
    pub fn exec(self) -> bool {
        !self.contains(Self::IGNORE) && self.contains(Self::EXEC)
    }

    /// One flag word (case-sensitive, as in NUT).
    pub fn from_word(word: &str) -> Option<NotifyFlags> {
        match word {
            "SYSLOG" => Some(Self::SYSLOG),
            "WALL" => Some(Self::WALL),
            "EXEC" => Some(Self::EXEC),
            "IGNORE" => Some(Self::IGNORE),
            _ => None,
        }
    }
}

impl fmt::Display for NotifyFlags {
    /// `SYSLOG+WALL` style; `NONE` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = [(Self::SYSLOG, "SYSLOG"), (Self::WALL, "WALL"), (Self::EXEC, "EXEC"), (Self::IGNORE, "IGNORE")]
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
            .collect();
        if names.is_empty() {
            f.write_str("NONE")
        } else {
            f.write_str(&names.join("+"))
        }
    }
}

/// Fill a NOTIFYMSG-style template: the first `%s` becomes `ups`, the
/// second `extra`; `%%` is a literal `%`. Other `%` sequences are kept as
/// written (nothing is ever read from them).
pub fn format_message(template: &str, ups: &str, extra: &str) -> String {
    let mut out = String::with_capacity(template.len() + ups.len());
    let mut used = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('s') => {
                chars.next();
                match used {
                    0 => out.push_str(ups),
                    1 => out.push_str(extra),
                    _ => {}
                }
                used += 1;
            }
            Some('%') => {
                chars.next();
                out.push('%');
            }
            _ => out.push('%'),
        }
    }
    out
}
