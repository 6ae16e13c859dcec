//! Message templates and flags per notification type, as upsmon applies
//! them. The types, stock texts, default flags and the `%s` filling come
//! from `nut_conf::notify`; this adds the table upsmon consults at run time
//! (NOTIFYMSG/NOTIFYFLAG overrides on top of the stock values).

use std::collections::BTreeMap;

pub use nut_conf::notify::{format_message, NotifyFlags, NotifyType};

/// Message template and flags for every type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyTable {
    messages: BTreeMap<NotifyType, String>,
    flags: BTreeMap<NotifyType, NotifyFlags>,
}

impl NotifyTable {
    /// NOTIFYMSG.
    pub fn set_message(&mut self, t: NotifyType, template: &str) {
        self.messages.insert(t, template.to_string());
    }

    /// NOTIFYFLAG (replaces the previous flags).
    pub fn set_flags(&mut self, t: NotifyType, flags: NotifyFlags) {
        self.flags.insert(t, flags);
    }

    /// The template in force for `t`.
    pub fn template(&self, t: NotifyType) -> &str {
        self.messages.get(&t).map(String::as_str).unwrap_or(t.default_message())
    }

    /// The flags in force for `t`.
    pub fn flags(&self, t: NotifyType) -> NotifyFlags {
        self.flags.get(&t).copied().unwrap_or(t.default_flags())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_2_8_0() {
        let table = NotifyTable::default();
        assert_eq!(table.flags(NotifyType::OnBatt), NotifyFlags::SYSLOG.union(NotifyFlags::WALL));
        assert_eq!(table.flags(NotifyType::Cal), NotifyFlags::SYSLOG);
        assert_eq!(table.template(NotifyType::Shutdown), "Auto logout and shutdown proceeding");
    }

    #[test]
    fn overrides_win() {
        let mut table = NotifyTable::default();
        table.set_message(NotifyType::OnBatt, "on battery: %s");
        table.set_flags(NotifyType::OnBatt, NotifyFlags::EXEC);
        assert_eq!(format_message(table.template(NotifyType::OnBatt), "u@h", ""), "on battery: u@h");
        assert_eq!(table.flags(NotifyType::OnBatt), NotifyFlags::EXEC);
    }
}
