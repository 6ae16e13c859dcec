//! What a driver sees while it runs: the variable table it publishes, its
//! configuration, and the queue of change messages the socket server
//! broadcasts to every connected client.
//!
//! Every change made through [`Ctx`] is recorded as a driver-socket line
//! (`SETINFO`, `DELINFO`, `SETFLAGS`, ...) exactly once, so clients that are
//! connected see the same sequence of changes the table went through.

use nut_proto::sock::{render_dump, render_var, DriverMsg};
use nut_proto::state::{StateTable, VarFlags};

use crate::config::DriverConfig;

/// The driver's view of its state and configuration.
#[derive(Debug)]
pub struct Ctx {
    table: StateTable,
    outbox: Vec<String>,
    stale: bool,
    status: Option<String>,
    config: DriverConfig,
}

impl Ctx {
    /// A context for a driver configured by `config`, with an empty table.
    pub fn new(config: DriverConfig) -> Ctx {
        Ctx { table: StateTable::new(), outbox: Vec::new(), stale: false, status: None, config }
    }

    /// The configuration the driver was started with.
    pub fn config(&self) -> &DriverConfig {
        &self.config
    }

    /// The UPS name (`-a`/`-s` argument).
    pub fn upsname(&self) -> &str {
        &self.config.upsname
    }

    /// The `port` setting.
    pub fn port(&self) -> &str {
        &self.config.port
    }

    /// Value of a driver variable (`-x name=value` or ups.conf), if given
    /// with a value.
    pub fn getval(&self, name: &str) -> Option<&str> {
        self.config.getval(name)
    }

    /// True when a driver variable or flag was given at all.
    pub fn testvar(&self, name: &str) -> bool {
        self.config.testvar(name)
    }

    /// The published table.
    pub fn table(&self) -> &StateTable {
        &self.table
    }

    /// Current value of a published variable.
    pub fn getinfo(&self, var: &str) -> Option<&str> {
        self.table.value(var)
    }

    fn is_immutable(&self, var: &str) -> bool {
        self.table.get(var).is_some_and(|v| v.immutable)
    }

    fn push(&mut self, msg: DriverMsg) {
        self.outbox.push(msg.render());
    }

    /// Create or change a variable. Values equal to the old one ignoring
    /// case are no change (NUT's rule); variables forced with `override.*`
    /// keep their value. Returns true when the table changed.
    pub fn setinfo(&mut self, var: &str, value: &str) -> bool {
        if self.is_immutable(var) {
            nut_daemon::debugx!(2, "setinfo: base variable ({var}) is immutable");
            return false;
        }
        let changed = self.table.set_info(var, value);
        if changed {
            self.push(DriverMsg::SetInfo { var: var.to_string(), value: value.to_string() });
        }
        changed
    }

    /// Force a value that the driver cannot change later (`override.*`).
    pub(crate) fn set_immutable(&mut self, var: &str, value: &str) {
        if let Some(v) = self.table.get_mut(var) {
            v.immutable = false;
        }
        self.setinfo(var, value);
        if let Some(v) = self.table.get_mut(var) {
            v.immutable = true;
        }
    }

    /// Remove a variable. Returns true when it existed.
    pub fn delinfo(&mut self, var: &str) -> bool {
        let removed = self.table.del_info(var);
        if removed {
            self.push(DriverMsg::DelInfo { var: var.to_string() });
        }
        removed
    }

    /// Replace a variable's flags (refused for `override.*` variables).
    pub fn setflags(&mut self, var: &str, flags: VarFlags) -> bool {
        if self.is_immutable(var) {
            nut_daemon::debugx!(2, "setflags: base variable ({var}) is immutable");
            return false;
        }
        let changed = self.table.set_flags(var, flags);
        if changed {
            self.push(DriverMsg::SetFlags { var: var.to_string(), flags });
        }
        changed
    }

    /// Set the maximum length of a STRING variable.
    pub fn setaux(&mut self, var: &str, aux: usize) -> bool {
        if self.is_immutable(var) {
            return false;
        }
        let changed = self.table.set_aux(var, aux);
        if changed {
            self.push(DriverMsg::SetAux { var: var.to_string(), aux });
        }
        changed
    }

    /// Add an enumerated value to an existing variable.
    pub fn addenum(&mut self, var: &str, value: &str) -> bool {
        let changed = self.table.add_enum(var, value);
        if changed {
            self.push(DriverMsg::AddEnum { var: var.to_string(), value: value.to_string() });
        }
        changed
    }

    /// Remove an enumerated value.
    pub fn delenum(&mut self, var: &str, value: &str) -> bool {
        let changed = self.table.del_enum(var, value);
        if changed {
            self.push(DriverMsg::DelEnum { var: var.to_string(), value: value.to_string() });
        }
        changed
    }

    /// Add an integer range to an existing variable.
    pub fn addrange(&mut self, var: &str, min: i64, max: i64) -> bool {
        let changed = self.table.add_range(var, min, max);
        if changed {
            self.push(DriverMsg::AddRange { var: var.to_string(), min, max });
        }
        changed
    }

    /// Remove an integer range.
    pub fn delrange(&mut self, var: &str, min: i64, max: i64) -> bool {
        let changed = self.table.del_range(var, min, max);
        if changed {
            self.push(DriverMsg::DelRange { var: var.to_string(), min, max });
        }
        changed
    }

    /// Announce an instant command.
    pub fn addcmd(&mut self, cmd: &str) -> bool {
        let changed = self.table.add_cmd(cmd);
        if changed {
            self.push(DriverMsg::AddCmd { cmd: cmd.to_string() });
        }
        changed
    }

    /// Withdraw an instant command.
    pub fn delcmd(&mut self, cmd: &str) -> bool {
        let changed = self.table.del_cmd(cmd);
        if changed {
            self.push(DriverMsg::DelCmd { cmd: cmd.to_string() });
        }
        changed
    }

    /// Data is fresh again (broadcast `DATAOK` when it was stale).
    pub fn dataok(&mut self) {
        if self.stale {
            self.stale = false;
            self.push(DriverMsg::DataOk);
        }
    }

    /// Data cannot be trusted (broadcast `DATASTALE` when it was fresh).
    pub fn datastale(&mut self) {
        if !self.stale {
            self.stale = true;
            self.push(DriverMsg::DataStale);
        }
    }

    /// True while the data is marked stale.
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// Start building `ups.status`.
    pub fn status_init(&mut self) {
        self.status = Some(String::new());
    }

    /// Append a status word. As in NUT 2.8.0 words are appended verbatim,
    /// duplicates included.
    pub fn status_set(&mut self, word: &str) {
        let status = self.status.get_or_insert_with(String::new);
        if !status.is_empty() {
            status.push(' ');
        }
        status.push_str(word);
    }

    /// Publish the status built since [`Ctx::status_init`]. With the
    /// `ignorelb` flag the device's own `LB` is dropped and `LB` is added
    /// when the charge or runtime is below its low mark.
    pub fn status_commit(&mut self) {
        let mut status = self.status.take().unwrap_or_default();
        if self.config.testvar("ignorelb") {
            let mut words: Vec<&str> = status.split(' ').filter(|w| !w.is_empty() && *w != "LB").collect();
            if self.battery_low() == Some(true) {
                words.push("LB");
            }
            status = words.join(" ");
        }
        self.setinfo("ups.status", &status);
    }

    fn number(&self, var: &str) -> Option<f64> {
        self.getinfo(var)?.trim().parse().ok()
    }

    /// For `ignorelb`: is the battery low by charge or by runtime? `None`
    /// when neither `battery.charge`+`battery.charge.low` nor
    /// `battery.runtime`+`battery.runtime.low` is available.
    pub fn battery_low(&self) -> Option<bool> {
        let pair = |value: &str, low: &str| Some(self.number(value)? < self.number(low)?);
        match (pair("battery.charge", "battery.charge.low"), pair("battery.runtime", "battery.runtime.low")) {
            (None, None) => None,
            (a, b) => Some(a == Some(true) || b == Some(true)),
        }
    }

    /// The full answer to `DUMPALL`.
    pub fn dump(&self) -> String {
        render_dump(&self.table, self.stale)
    }

    /// The lines describing one variable, for `DUMPVALUE`.
    pub fn dump_var(&self, var: &str) -> Option<String> {
        let v = self.table.get(var)?;
        let mut out = String::new();
        render_var(v, &mut out);
        Some(out)
    }

    /// Take the change lines queued since the last call.
    pub fn take_outbox(&mut self) -> Vec<String> {
        std::mem::take(&mut self.outbox)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        Ctx::new(DriverConfig::for_tests("ups", "file.dev"))
    }

    #[test]
    fn changes_are_queued_once() {
        let mut c = ctx();
        assert!(c.setinfo("ups.load", "5"));
        assert!(!c.setinfo("ups.load", "5"));
        c.setflags("ups.load", VarFlags::from_words(&["RW"]));
        c.setflags("ups.load", VarFlags::from_words(&["RW"]));
        c.delinfo("ups.load");
        c.delinfo("ups.load");
        assert_eq!(
            c.take_outbox(),
            ["SETINFO ups.load \"5\"\n", "SETFLAGS ups.load RW\n", "DELINFO ups.load\n"]
        );
        assert!(c.take_outbox().is_empty());
    }

    #[test]
    fn override_is_immutable_and_dumped_with_bare_setflags() {
        let mut c = ctx();
        c.set_immutable("ups.load", "42");
        assert!(!c.setinfo("UPS.LOAD", "5"));
        assert!(!c.setflags("ups.load", VarFlags::from_words(&["RW"])));
        assert_eq!(c.getinfo("ups.load"), Some("42"));
        assert_eq!(c.dump(), "SETINFO ups.load \"42\"\nSETFLAGS ups.load\nDATAOK\nDUMPDONE\n");
    }

    #[test]
    fn status_keeps_duplicates() {
        let mut c = ctx();
        c.status_init();
        for w in ["OB", "LB", "OB"] {
            c.status_set(w);
        }
        c.status_commit();
        assert_eq!(c.getinfo("ups.status"), Some("OB LB OB"));
        c.status_init();
        c.status_commit();
        assert_eq!(c.getinfo("ups.status"), Some(""));
    }

    #[test]
    fn ignorelb_recomputes_low_battery() {
        let mut cfg = DriverConfig::for_tests("ups", "file.dev");
        cfg.settings.push(("ignorelb".into(), None));
        let mut c = Ctx::new(cfg);
        c.setinfo("battery.charge", "50");
        c.setinfo("battery.charge.low", "20");
        c.status_init();
        c.status_set("OB");
        c.status_set("LB");
        c.status_commit();
        assert_eq!(c.getinfo("ups.status"), Some("OB"));
        c.setinfo("battery.charge", "5");
        c.status_init();
        c.status_set("OL");
        c.status_commit();
        assert_eq!(c.getinfo("ups.status"), Some("OL LB"));
    }

    #[test]
    fn stale_dump() {
        let mut c = ctx();
        c.datastale();
        c.addcmd("load.off");
        assert_eq!(c.dump(), "DATASTALE\nADDCMD load.off\nDUMPDONE\n");
        c.dataok();
        assert_eq!(c.take_outbox(), ["DATASTALE\n", "ADDCMD load.off\n", "DATAOK\n"]);
    }
}
