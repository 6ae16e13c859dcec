//! The variable table a driver publishes and upsd mirrors: variables with
//! their flags, string length, enumerated values and ranges, plus the list
//! of instant commands.
//!
//! Names are compared without regard to case and kept in case-insensitive
//! order, which is the order NUT lists them in. A variable keeps the
//! spelling it was first created with.

use std::collections::BTreeMap;

/// Variable flags as carried by `SETFLAGS`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VarFlags {
    pub rw: bool,
    pub string: bool,
    pub number: bool,
}

impl VarFlags {
    pub const NONE: VarFlags = VarFlags { rw: false, string: false, number: false };

    pub fn is_empty(&self) -> bool {
        !(self.rw || self.string || self.number)
    }

    /// Build from `SETFLAGS` words; unknown words are ignored as NUT does.
    pub fn from_words<S: AsRef<str>>(words: &[S]) -> VarFlags {
        let mut flags = VarFlags::NONE;
        for word in words {
            match word.as_ref() {
                "RW" => flags.rw = true,
                "STRING" => flags.string = true,
                "NUMBER" => flags.number = true,
                _ => {}
            }
        }
        flags
    }

    /// The flag words in NUT's order (`RW`, `STRING`, `NUMBER`).
    pub fn words(&self) -> Vec<&'static str> {
        let mut words = Vec::new();
        if self.rw {
            words.push("RW");
        }
        if self.string {
            words.push("STRING");
        }
        if self.number {
            words.push("NUMBER");
        }
        words
    }
}

/// One integer range of a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub min: i64,
    pub max: i64,
}

/// One published variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    pub name: String,
    pub value: String,
    pub flags: VarFlags,
    /// Maximum length of a STRING value (0 when not set).
    pub aux: usize,
    pub enums: Vec<String>,
    pub ranges: Vec<Range>,
    /// Set by the driver for `override.*` values: the device may not change it.
    pub immutable: bool,
}

impl Var {
    fn new(name: &str, value: &str) -> Var {
        Var {
            name: name.to_string(),
            value: value.to_string(),
            flags: VarFlags::NONE,
            aux: 0,
            enums: Vec::new(),
            ranges: Vec::new(),
            immutable: false,
        }
    }

    /// The words of a `GET TYPE` reply after the variable name:
    /// `[RW] [ENUM] [RANGE] STRING:<aux>|NUMBER`.
    pub fn type_words(&self) -> String {
        let mut out = String::new();
        if self.flags.rw {
            out.push_str("RW ");
        }
        if !self.enums.is_empty() {
            out.push_str("ENUM ");
        }
        if !self.ranges.is_empty() {
            out.push_str("RANGE ");
        }
        if self.flags.string {
            out.push_str(&format!("STRING:{}", self.aux));
        } else {
            out.push_str("NUMBER");
        }
        out
    }
}

fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// Variables and commands of one UPS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateTable {
    vars: BTreeMap<String, Var>,
    cmds: BTreeMap<String, String>,
}

impl StateTable {
    pub fn new() -> StateTable {
        StateTable::default()
    }

    pub fn clear(&mut self) {
        self.vars.clear();
        self.cmds.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.vars.is_empty() && self.cmds.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&Var> {
        self.vars.get(&key(name))
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Var> {
        self.vars.get_mut(&key(name))
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(|v| v.value.as_str())
    }

    /// Variables in case-insensitive name order.
    pub fn vars(&self) -> impl Iterator<Item = &Var> {
        self.vars.values()
    }

    pub fn var_count(&self) -> usize {
        self.vars.len()
    }

    /// Instant commands in case-insensitive order.
    pub fn cmds(&self) -> impl Iterator<Item = &str> {
        self.cmds.values().map(String::as_str)
    }

    pub fn has_cmd(&self, cmd: &str) -> bool {
        self.cmds.contains_key(&key(cmd))
    }

    /// Create or update a variable. Returns false when nothing changed: a
    /// new value equal to the old one ignoring case is not a change (NUT's
    /// rule, so `ol` never replaces `OL`).
    pub fn set_info(&mut self, name: &str, value: &str) -> bool {
        match self.vars.get_mut(&key(name)) {
            Some(var) => {
                if var.value.eq_ignore_ascii_case(value) {
                    return false;
                }
                var.value = value.to_string();
                true
            }
            None => {
                self.vars.insert(key(name), Var::new(name, value));
                true
            }
        }
    }

    pub fn del_info(&mut self, name: &str) -> bool {
        self.vars.remove(&key(name)).is_some()
    }

    /// Append an enumerated value; exact duplicates are ignored. The
    /// variable must exist.
    pub fn add_enum(&mut self, name: &str, value: &str) -> bool {
        match self.vars.get_mut(&key(name)) {
            Some(var) if !var.enums.iter().any(|e| e == value) => {
                var.enums.push(value.to_string());
                true
            }
            _ => false,
        }
    }

    pub fn del_enum(&mut self, name: &str, value: &str) -> bool {
        match self.vars.get_mut(&key(name)) {
            Some(var) => {
                let before = var.enums.len();
                var.enums.retain(|e| e != value);
                before != var.enums.len()
            }
            None => false,
        }
    }

    /// Append a range. As in NUT a range counts as a duplicate when its
    /// minimum or its maximum equals that of an existing range.
    pub fn add_range(&mut self, name: &str, min: i64, max: i64) -> bool {
        match self.vars.get_mut(&key(name)) {
            Some(var) if !var.ranges.iter().any(|r| r.min == min || r.max == max) => {
                var.ranges.push(Range { min, max });
                true
            }
            _ => false,
        }
    }

    pub fn del_range(&mut self, name: &str, min: i64, max: i64) -> bool {
        match self.vars.get_mut(&key(name)) {
            Some(var) => {
                let before = var.ranges.len();
                var.ranges.retain(|r| !(r.min == min && r.max == max));
                before != var.ranges.len()
            }
            None => false,
        }
    }

    pub fn set_aux(&mut self, name: &str, aux: usize) -> bool {
        match self.vars.get_mut(&key(name)) {
            Some(var) if var.aux != aux => {
                var.aux = aux;
                true
            }
            _ => false,
        }
    }

    /// Replace all flags of a variable.
    pub fn set_flags(&mut self, name: &str, flags: VarFlags) -> bool {
        match self.vars.get_mut(&key(name)) {
            Some(var) if var.flags != flags => {
                var.flags = flags;
                true
            }
            _ => false,
        }
    }

    pub fn add_cmd(&mut self, cmd: &str) -> bool {
        let k = key(cmd);
        if self.cmds.contains_key(&k) {
            return false;
        }
        self.cmds.insert(k, cmd.to_string());
        true
    }

    pub fn del_cmd(&mut self, cmd: &str) -> bool {
        self.cmds.remove(&key(cmd)).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_sorted() {
        let mut t = StateTable::new();
        t.set_info("ups.status", "OL");
        t.set_info("Battery.charge", "100");
        t.set_info("driver.name", "dummy-ups");
        let names: Vec<&str> = t.vars().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["Battery.charge", "driver.name", "ups.status"]);
        assert_eq!(t.value("UPS.STATUS"), Some("OL"));
    }

    #[test]
    fn equal_values_ignoring_case_are_no_change() {
        let mut t = StateTable::new();
        assert!(t.set_info("ups.status", "OL"));
        assert!(!t.set_info("ups.status", "ol"));
        assert_eq!(t.value("ups.status"), Some("OL"));
        assert!(t.set_info("ups.status", "OB"));
    }

    #[test]
    fn enums_and_ranges_follow_nut_duplicate_rules() {
        let mut t = StateTable::new();
        assert!(!t.add_enum("x", "a"), "enum on a missing variable");
        t.set_info("x", "a");
        assert!(t.add_enum("x", "a"));
        assert!(!t.add_enum("x", "a"));
        assert!(t.add_enum("x", "A"));
        assert!(t.add_range("x", 1, 10));
        assert!(!t.add_range("x", 1, 20), "same minimum is a duplicate");
        assert!(!t.add_range("x", 5, 10), "same maximum is a duplicate");
        assert!(t.add_range("x", 11, 20));
        assert!(t.del_range("x", 1, 10));
        assert_eq!(t.get("x").map(|v| v.ranges.len()), Some(1));
    }

    #[test]
    fn type_words_match_nut() {
        let mut t = StateTable::new();
        t.set_info("driver.name", "dummy-ups");
        assert_eq!(t.get("driver.name").map(Var::type_words).as_deref(), Some("NUMBER"));
        t.set_info("ups.status", "OL");
        t.set_flags("ups.status", VarFlags::from_words(&["RW", "STRING"]));
        t.set_aux("ups.status", 32);
        assert_eq!(t.get("ups.status").map(Var::type_words).as_deref(), Some("RW STRING:32"));
        t.add_enum("ups.status", "OL");
        assert_eq!(t.get("ups.status").map(Var::type_words).as_deref(), Some("RW ENUM STRING:32"));
    }

    #[test]
    fn commands_keep_first_spelling() {
        let mut t = StateTable::new();
        assert!(t.add_cmd("load.off"));
        assert!(!t.add_cmd("LOAD.OFF"));
        assert!(t.has_cmd("Load.Off"));
        assert_eq!(t.cmds().collect::<Vec<_>>(), ["load.off"]);
    }
}
