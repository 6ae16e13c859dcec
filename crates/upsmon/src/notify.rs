//! Notification types, their stock texts and flags, and how a message is
//! built from a template (NUT 2.8.0's set, see NUT-REFERENCE §5.8).

use std::fmt;

/// The events upsmon 2.8.0 can announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
}

impl NotifyType {
    /// Every type, in NUT's table order.
    pub const ALL: [NotifyType; 11] = [
        NotifyType::Online,
        NotifyType::OnBatt,
        NotifyType::LowBatt,
        NotifyType::Fsd,
        NotifyType::CommOk,
        NotifyType::CommBad,
        NotifyType::Shutdown,
        NotifyType::ReplBatt,
        NotifyType::NoComm,
        NotifyType::NoParent,
        NotifyType::Cal,
    ];

    /// The name used in upsmon.conf and in `$NOTIFYTYPE`.
    pub fn name(self) -> &'static str {
        match self {
            NotifyType::Online => "ONLINE",
            NotifyType::OnBatt => "ONBATT",
            NotifyType::LowBatt => "LOWBATT",
            NotifyType::Fsd => "FSD",
            NotifyType::CommOk => "COMMOK",
            NotifyType::CommBad => "COMMBAD",
            NotifyType::Shutdown => "SHUTDOWN",
            NotifyType::ReplBatt => "REPLBATT",
            NotifyType::NoComm => "NOCOMM",
            NotifyType::NoParent => "NOPARENT",
            NotifyType::Cal => "CAL",
        }
    }

    /// Look a type up by name, ignoring case as NUT does.
    pub fn from_name(name: &str) -> Option<NotifyType> {
        Self::ALL.into_iter().find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// The message upsmon uses when NOTIFYMSG does not replace it.
    pub fn stock_message(self) -> &'static str {
        match self {
            NotifyType::Online => "UPS %s on line power",
            NotifyType::OnBatt => "UPS %s on battery",
            NotifyType::LowBatt => "UPS %s battery is low",
            NotifyType::Fsd => "UPS %s: forced shutdown in progress",
            NotifyType::CommOk => "Communications with UPS %s established",
            NotifyType::CommBad => "Communications with UPS %s lost",
            NotifyType::Shutdown => "Auto logout and shutdown proceeding",
            NotifyType::ReplBatt => "UPS %s battery needs to be replaced",
            NotifyType::NoComm => "UPS %s is unavailable",
            NotifyType::NoParent => "upsmon parent process died - shutdown impossible",
            NotifyType::Cal => "UPS %s: calibration in progress",
        }
    }

    /// The flags in force when NOTIFYFLAG does not set them: SYSLOG+WALL,
    /// except CAL which 2.8.0 only logs.
    pub fn default_flags(self) -> NotifyFlags {
        match self {
            NotifyType::Cal => NotifyFlags::SYSLOG,
            _ => NotifyFlags::SYSLOG.union(NotifyFlags::WALL),
        }
    }
}

impl fmt::Display for NotifyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What to do with one notification (NOTIFYFLAG words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NotifyFlags(u8);

impl NotifyFlags {
    pub const NONE: NotifyFlags = NotifyFlags(0);
    pub const SYSLOG: NotifyFlags = NotifyFlags(1);
    pub const WALL: NotifyFlags = NotifyFlags(2);
    pub const EXEC: NotifyFlags = NotifyFlags(4);
    pub const IGNORE: NotifyFlags = NotifyFlags(8);

    pub const fn union(self, other: NotifyFlags) -> NotifyFlags {
        NotifyFlags(self.0 | other.0)
    }

    pub const fn contains(self, other: NotifyFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Parse `SYSLOG+WALL+EXEC` (case-sensitive words, as in NUT). Unknown
    /// words are returned so the caller can warn about them.
    pub fn parse(text: &str) -> (NotifyFlags, Vec<String>) {
        let mut flags = NotifyFlags::NONE;
        let mut bad = Vec::new();
        for word in text.split('+') {
            match word {
                "SYSLOG" => flags = flags.union(NotifyFlags::SYSLOG),
                "WALL" => flags = flags.union(NotifyFlags::WALL),
                "EXEC" => flags = flags.union(NotifyFlags::EXEC),
                "IGNORE" => flags = flags.union(NotifyFlags::IGNORE),
                other => bad.push(other.to_string()),
            }
        }
        (flags, bad)
    }
}

impl fmt::Display for NotifyFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words = Vec::new();
        for (flag, word) in [
            (NotifyFlags::SYSLOG, "SYSLOG"),
            (NotifyFlags::WALL, "WALL"),
            (NotifyFlags::EXEC, "EXEC"),
            (NotifyFlags::IGNORE, "IGNORE"),
        ] {
            if self.contains(flag) && flag != NotifyFlags::NONE {
                words.push(word);
            }
        }
        if words.is_empty() {
            f.write_str("(none)")
        } else {
            f.write_str(&words.join("+"))
        }
    }
}

/// Message template and flags for every type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyTable {
    entries: Vec<(NotifyType, String, NotifyFlags)>,
}

impl Default for NotifyTable {
    fn default() -> Self {
        NotifyTable {
            entries: NotifyType::ALL
                .into_iter()
                .map(|t| (t, t.stock_message().to_string(), t.default_flags()))
                .collect(),
        }
    }
}

impl NotifyTable {
    fn entry_mut(&mut self, t: NotifyType) -> &mut (NotifyType, String, NotifyFlags) {
        let i = self.entries.iter().position(|e| e.0 == t).expect("every type has an entry");
        &mut self.entries[i]
    }

    /// NOTIFYMSG.
    pub fn set_message(&mut self, t: NotifyType, template: &str) {
        self.entry_mut(t).1 = template.to_string();
    }

    /// NOTIFYFLAG (replaces the previous flags).
    pub fn set_flags(&mut self, t: NotifyType, flags: NotifyFlags) {
        self.entry_mut(t).2 = flags;
    }

    pub fn template(&self, t: NotifyType) -> &str {
        &self.entries.iter().find(|e| e.0 == t).expect("entry").1
    }

    pub fn flags(&self, t: NotifyType) -> NotifyFlags {
        self.entries.iter().find(|e| e.0 == t).expect("entry").2
    }
}

/// Build the message: the first `%s` becomes `sys`, `%%` becomes `%`, and
/// anything else is kept as written (NUT hands the template to printf;
/// only `%s` is meaningful there).
pub fn format_message(template: &str, sys: &str) -> String {
    let mut out = String::with_capacity(template.len() + sys.len());
    let mut used = false;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.peek() {
                Some('s') => {
                    chars.next();
                    if !used {
                        out.push_str(sys);
                        used = true;
                    }
                }
                Some('%') => {
                    chars.next();
                    out.push('%');
                }
                _ => out.push('%'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for t in NotifyType::ALL {
            assert_eq!(NotifyType::from_name(&t.name().to_ascii_lowercase()), Some(t));
        }
        assert_eq!(NotifyType::from_name("NOTCAL"), None);
    }

    #[test]
    fn defaults_follow_2_8_0() {
        let table = NotifyTable::default();
        assert_eq!(table.flags(NotifyType::OnBatt), NotifyFlags::SYSLOG.union(NotifyFlags::WALL));
        assert_eq!(table.flags(NotifyType::Cal), NotifyFlags::SYSLOG);
        assert_eq!(table.template(NotifyType::Shutdown), "Auto logout and shutdown proceeding");
    }

    #[test]
    fn flags_parse_and_report_bad_words() {
        let (f, bad) = NotifyFlags::parse("SYSLOG+EXEC+wall");
        assert!(f.contains(NotifyFlags::SYSLOG) && f.contains(NotifyFlags::EXEC));
        assert!(!f.contains(NotifyFlags::WALL));
        assert_eq!(bad, vec!["wall".to_string()]);
        assert_eq!(f.to_string(), "SYSLOG+EXEC");
    }

    #[test]
    fn message_formatting() {
        assert_eq!(format_message("UPS %s on battery", "ups@host"), "UPS ups@host on battery");
        assert_eq!(format_message("%s and %s", "a"), "a and ");
        assert_eq!(format_message("100%% %d", "a"), "100% %d");
        assert_eq!(format_message("no placeholder", "a"), "no placeholder");
    }
}
