//! The usbhid-ups state machine without I/O: give it a descriptor, a
//! subdriver and a [`ReportSource`]; it publishes NUT variables, the status
//! string and commands, and turns SET/INSTCMD into report writes
//! ([`Action`]s) that the driver performs.

use crate::descriptor::{Descriptor, Field, ReportKind};
use crate::error::HidError;
use crate::format::{atol, c_format, convert, date_to_hid};
use crate::subdrivers::SubdriverId;
use crate::table::{self, Converter, Entry, Info};
use crate::usage;
use crate::value;
use std::collections::{BTreeMap, BTreeSet};

/// What a [`ReportSource`] failure means for the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    /// The device is gone (no device, access, I/O, busy): reconnect.
    Gone(String),
    /// This report could not be read now (timeout, pipe, overflow): skip it.
    Skip(String),
}

/// Where reports and USB strings come from: USB, a replay file, a test.
pub trait ReportSource {
    /// GET_REPORT(Feature, id). The answer starts with the report ID byte.
    /// A shorter answer than the descriptor implies is allowed (NUT keeps
    /// the rest of its previous buffer).
    fn get_report(&mut self, report_id: u8) -> Result<Vec<u8>, SourceError>;
    /// USB string descriptor by index (for `stringid` conversions).
    fn get_string(&mut self, _index: u8) -> Option<String> {
        None
    }
}

/// A [`ReportSource`] over recorded reports, for replay and tests.
#[derive(Debug, Clone, Default)]
pub struct MapSource {
    /// Reports by ID (first byte = ID).
    pub reports: BTreeMap<u8, Vec<u8>>,
    /// USB strings by index.
    pub strings: BTreeMap<u8, String>,
    /// Answer unrecorded report IDs with zeros (`len` bytes) instead of `Skip`.
    pub missing_as_zero: Option<usize>,
}

impl ReportSource for MapSource {
    fn get_report(&mut self, report_id: u8) -> Result<Vec<u8>, SourceError> {
        match self.reports.get(&report_id) {
            Some(r) => Ok(r.clone()),
            None => match self.missing_as_zero {
                Some(len) => {
                    let mut v = vec![0u8; len.max(1)];
                    v[0] = report_id;
                    Ok(v)
                }
                None => Err(SourceError::Skip(format!("report 0x{report_id:02x} was not recorded"))),
            },
        }
    }
    fn get_string(&mut self, index: u8) -> Option<String> {
        self.strings.get(&index).cloned()
    }
}

/// A published variable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Var {
    /// Value text.
    pub value: String,
    /// Writable (`RW`).
    pub rw: bool,
    /// `STRING` with maximum length `aux`.
    pub string_len: Option<u8>,
    /// ENUM values, if any.
    pub enums: Vec<String>,
}

/// Something the driver must do on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// SET_REPORT(Feature): the bytes start with the report ID.
    SetReport {
        /// Report ID.
        report_id: u8,
        /// Whole report.
        data: Vec<u8>,
    },
    /// Wait this many milliseconds before the next action.
    Pause(u32),
}

/// Driver options that change what is published.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `lowbatt`: overwrite `battery.charge.low` after init.
    pub lowbatt: Option<String>,
    /// `ondelay`: `ups.delay.start`.
    pub ondelay: Option<String>,
    /// `offdelay`: `ups.delay.shutdown`.
    pub offdelay: Option<String>,
    /// `onlinedischarge`: OL+DISCHRG is reported as OB.
    pub onlinedischarge: bool,
}

/// USB identity as the driver read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsbIdentity {
    /// idVendor.
    pub vendor_id: u16,
    /// idProduct.
    pub product_id: u16,
    /// iManufacturer.
    pub manufacturer: Option<String>,
    /// iProduct.
    pub product: Option<String>,
    /// iSerialNumber.
    pub serial: Option<String>,
}

/// Which entries a walk visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Everything, creating variables and commands.
    Init,
    /// Everything but static/absent/commands (semi-static after a change).
    Full,
    /// Quick-poll entries only.
    Quick,
}

/// Status bits (NUT's `ups_status`).
mod bits {
    pub const NAMES: &[&str] = &[
        "online", "dischrg", "chrg", "lowbatt", "overload", "replacebatt", "shutdownimm", "trim", "boost",
        "bypassauto", "bypassman", "off", "cal", "overheat", "commfault", "depleted", "timelimitexp",
        "fullycharged", "awaitingpower", "fanfail", "nobattery", "battvoltlo", "battvolthi", "chargerfail",
        "vrange", "frange", "fusefault",
    ];
    pub fn bit(name: &str) -> Option<u32> {
        NAMES.iter().position(|n| *n == name).map(|p| 1u32 << p)
    }
}

#[derive(Debug, Clone)]
struct Active {
    entry: &'static Entry,
    /// Index into `desc.fields`, if the path exists.
    field: Option<usize>,
    /// NUT's HU_FLAG_OK: still in use.
    ok: bool,
}

/// The mapping state of one UPS.
#[derive(Debug, Clone)]
pub struct HidUps {
    desc: Descriptor,
    sub: SubdriverId,
    entries: Vec<Active>,
    vars: BTreeMap<String, Var>,
    cmds: BTreeSet<String>,
    status: u32,
    alarms: Vec<String>,
    /// NUT's `alarm_active`: the last full poll published `ups.alarm`.
    alarm_active: bool,
    buffers: BTreeMap<u8, Vec<u8>>,
    fresh: BTreeSet<u8>,
    data_changed: bool,
    opts: Options,
    /// The unit has Eaton Advanced Battery Monitoring items.
    abm: bool,
    product: Option<String>,
    /// Things NUT would log at warning level.
    pub log: Vec<String>,
}

fn find_by_path(desc: &Descriptor, path: &[u32]) -> Option<usize> {
    let f = desc.fields.iter().position(|f| f.kind == ReportKind::Feature && f.path == path);
    f.or_else(|| desc.fields.iter().position(|f| f.kind == ReportKind::Input && f.path == path))
}

impl HidUps {
    /// Set up for one device: repair the descriptor as the subdriver
    /// does, resolve the table's paths, publish the USB identity. Then call
    /// [`HidUps::walk`] with [`Walk::Init`].
    pub fn new(mut desc: Descriptor, sub: SubdriverId, usb: &UsbIdentity, opts: Options) -> HidUps {
        let fixes = sub.fix_descriptor(&mut desc, usb.vendor_id, usb.product_id);
        let vendor = sub.vendor();
        let entries = sub
            .table()
            .iter()
            .map(|e| {
                let field = usage::string_to_path(e.path, vendor).ok().and_then(|p| find_by_path(&desc, &p));
                Active { entry: e, field, ok: true }
            })
            .collect();
        let abm = sub == SubdriverId::Mge
            && usage::string_to_path("UPS.BatterySystem.Charger.ABMEnable", vendor)
                .ok()
                .and_then(|p| find_by_path(&desc, &p))
                .is_some();
        let mut ups = HidUps {
            abm,
            desc,
            sub,
            entries,
            vars: BTreeMap::new(),
            cmds: BTreeSet::new(),
            status: 0,
            alarms: Vec::new(),
            alarm_active: false,
            buffers: BTreeMap::new(),
            fresh: BTreeSet::new(),
            data_changed: false,
            opts,
            product: usb.product.clone(),
            log: fixes.into_iter().map(|f| format!("Fixing Report Descriptor: {f}")).collect(),
        };
        ups.publish_identity(usb);
        ups
    }

    /// The descriptor in use.
    pub fn descriptor(&self) -> &Descriptor {
        &self.desc
    }

    /// The subdriver in use.
    pub fn subdriver(&self) -> SubdriverId {
        self.sub
    }

    /// Published variables (including `ups.status`).
    pub fn variables(&self) -> &BTreeMap<String, Var> {
        &self.vars
    }

    /// Supported instant commands.
    pub fn commands(&self) -> &BTreeSet<String> {
        &self.cmds
    }

    /// The current `ups.status` text.
    pub fn status(&self) -> String {
        self.vars.get("ups.status").map(|v| v.value.clone()).unwrap_or_default()
    }

    fn set_var(&mut self, name: &str, value: String) {
        self.vars.entry(name.to_string()).or_default().value = value;
    }

    /// Publish the identity variables of the USB device (init time).
    fn publish_identity(&mut self, usb: &UsbIdentity) {
        let id = self.sub.identity(usb.manufacturer.as_deref(), usb.product.as_deref(), usb.serial.as_deref());
        for (k, v) in [("ups.mfr", &id.mfr), ("ups.model", &id.model), ("ups.serial", &id.serial)] {
            match v {
                Some(v) => {
                    self.set_var(k, v.clone());
                    self.set_var(&k.replace("ups.", "device."), v.clone());
                }
                None => {
                    self.vars.remove(k);
                }
            }
        }
        for (k, v) in id.extra {
            self.set_var(&k, v);
        }
        self.set_var("device.type", "ups".to_string());
        self.set_var("ups.vendorid", format!("{:04x}", usb.vendor_id));
        self.set_var("ups.productid", format!("{:04x}", usb.product_id));
        self.set_var("driver.version.data", self.sub.name().to_string());
    }

    /// Fetch a report into its buffer (once per walk), NUT style: a short
    /// answer overwrites only the bytes it has.
    fn fetch(&mut self, src: &mut dyn ReportSource, report_id: u8) -> Result<(), SourceError> {
        if self.fresh.contains(&report_id) {
            return Ok(());
        }
        let data = src.get_report(report_id)?;
        let len = self.desc.report_len(report_id).max(data.len());
        let buf = self.buffers.entry(report_id).or_insert_with(|| vec![0u8; len]);
        if buf.len() < len {
            buf.resize(len, 0);
        }
        buf[..data.len()].copy_from_slice(&data);
        buf[0] = report_id;
        if data.len() < self.desc.report_len(report_id) {
            self.log.push(format!(
                "report 0x{report_id:02x}: got {} byte(s), descriptor says {}",
                data.len(),
                self.desc.report_len(report_id)
            ));
        }
        self.fresh.insert(report_id);
        Ok(())
    }

    fn read_field(&mut self, src: &mut dyn ReportSource, fi: usize) -> Result<f64, SourceError> {
        let rid = self.desc.fields[fi].report_id;
        self.fetch(src, rid)?;
        let f = &self.desc.fields[fi];
        let buf = self.buffers.get(&rid).map(Vec::as_slice).unwrap_or(&[]);
        let logical = value::extract(buf, f).map_err(|e| SourceError::Skip(e.to_string()))?;
        Ok(value::to_physical(f, logical))
    }

    /// Turn a value into NUT text via the entry; `None` = publish nothing.
    fn entry_text(&self, e: &Entry, v: f64, src: &mut dyn ReportSource) -> Option<String> {
        match e.info {
            Info::Format | Info::FormatEnum(_) => Some(c_format(e.fmt, v)),
            Info::Lookup(t) => t.iter().find(|(k, _)| *k == v.trunc() as i64).map(|(_, s)| s.to_string()),
            Info::Convert(Converter::RealpowerFromLoad) => {
                let load: f64 = self.vars.get("ups.load")?.value.trim().parse().ok()?;
                Some(format!("{:.0}", v * load / 100.0 * 0.8))
            }
            Info::Convert(Converter::BatteryVoltage) => {
                self.vars.contains_key("battery.voltage.nominal").then(|| format!("{v:.1}"))
            }
            Info::Convert(Converter::AbmCharging) => Some(if self.abm && v != 0.0 { "chrg" } else { "!chrg" }.to_string()),
            Info::Convert(Converter::AbmDischarging) => {
                Some(if self.abm && v != 0.0 { "dischrg" } else { "!dischrg" }.to_string())
            }
            Info::Convert(c) => convert(c, v, &mut |i| src.get_string(i)),
        }
    }

    /// Apply one value through one entry (NUT's `ups_infoval_set`).
    fn apply(&mut self, idx: usize, v: f64, src: &mut dyn ReportSource) -> bool {
        let e = self.entries[idx].entry;
        let Some(text) = self.entry_text(e, v, src) else {
            return false;
        };
        if e.name == "BOOL" {
            let (clear, name) = match text.strip_prefix('!') {
                Some(n) => (true, n),
                None => (false, text.as_str()),
            };
            if let Some(b) = bits::bit(name) {
                if clear {
                    self.status &= !b;
                } else {
                    self.status |= b;
                }
            }
            return true;
        }
        if e.name == "ups.alarm" {
            self.alarms.push(text);
            return true;
        }
        self.set_var(e.name, text);
        true
    }

    /// Walk the table once; `src` errors of kind `Gone` stop the walk.
    pub fn walk(&mut self, src: &mut dyn ReportSource, mode: Walk) -> Result<(), SourceError> {
        self.fresh.clear();
        if mode != Walk::Quick {
            self.alarms.clear();
        }
        for i in 0..self.entries.len() {
            let a = &self.entries[i];
            let e = a.entry;
            match mode {
                Walk::Init => {}
                Walk::Quick => {
                    if e.flags & table::QUICK_POLL == 0 {
                        continue;
                    }
                }
                Walk::Full => {
                    if e.flags & (table::ABSENT | table::CMD | table::STATIC) != 0 {
                        continue;
                    }
                    if e.flags & table::SEMI_STATIC != 0 && !self.data_changed {
                        continue;
                    }
                }
            }
            if !a.ok {
                continue;
            }
            if mode == Walk::Init {
                if e.flags & table::CMD != 0 {
                    if a.field.is_some() {
                        self.cmds.insert(e.name.to_string());
                    } else {
                        self.entries[i].ok = false;
                    }
                    continue;
                }
                let multi = e.name == "BOOL" || e.name == "ups.alarm";
                if a.field.is_none() || (!multi && self.vars.contains_key(e.name)) {
                    self.entries[i].ok = false;
                    continue;
                }
                if e.flags & table::ABSENT != 0 {
                    self.set_var(e.name, e.fmt.to_string());
                    self.set_meta(e);
                    self.entries[i].ok = false;
                    continue;
                }
            } else if e.flags & table::CMD != 0 {
                continue;
            }
            let Some(fi) = self.entries[i].field else { continue };
            let v = match self.read_field(src, fi) {
                Ok(v) => v,
                Err(SourceError::Gone(m)) => return Err(SourceError::Gone(m)),
                Err(SourceError::Skip(_)) => continue,
            };
            if !self.apply(i, v, src) {
                continue;
            }
            if mode == Walk::Init && e.name != "BOOL" && e.name != "ups.alarm" {
                self.set_meta(e);
            }
        }
        if mode == Walk::Init {
            self.after_init(src);
        }
        if mode != Walk::Quick {
            self.data_changed = false;
        }
        if mode == Walk::Full {
            self.commit_alarms();
        }
        self.commit_status();
        Ok(())
    }

    fn set_meta(&mut self, e: &Entry) {
        let var = self.vars.entry(e.name.to_string()).or_default();
        var.rw = e.var_flags & table::RW != 0;
        if e.var_flags & table::STRING != 0 {
            var.string_len = Some(e.len);
        }
        if e.flags & table::ENUM != 0 && var.rw {
            match e.info {
                Info::Lookup(t) => var.enums = t.iter().map(|(_, s)| s.to_string()).collect(),
                Info::FormatEnum(t) => {
                    let now: Option<f64> = var.value.trim().parse().ok();
                    var.enums = t.iter().filter(|(k, _)| same_band(now, *k)).map(|(_, s)| s.to_string()).collect();
                }
                _ => {}
            }
        }
    }

    /// Read a field by path as a number (for identity formatting).
    fn read_path(&mut self, src: &mut dyn ReportSource, path: &str) -> Option<f64> {
        let p = usage::string_to_path(path, self.sub.vendor()).ok()?;
        let fi = find_by_path(&self.desc, &p)?;
        self.read_field(src, fi).ok()
    }

    fn after_init(&mut self, src: &mut dyn ReportSource) {
        if self.sub == SubdriverId::Mge && self.product.is_some() {
            // Eaton models are named from iProduct plus the HID iModel
            // string, or the nominal VA when there is no iModel.
            let product = self.product.clone().unwrap_or_else(|| "unknown".to_string());
            let model = self
                .read_path(src, "UPS.PowerSummary.iModel")
                .filter(|v| *v >= 1.0 && *v <= 255.0)
                .and_then(|v| src.get_string(v as u8))
                .filter(|s| !s.is_empty())
                .or_else(|| self.read_path(src, "UPS.Flow.[4].ConfigApparentPower").map(|v| format!("{}", v as i64)));
            if let Some(m) = model {
                let name = crate::subdrivers::mge_model_name(&product, &m);
                self.set_var("ups.model", name.clone());
                self.set_var("device.model", name);
            }
        }
        if let Some(lb) = self.opts.lowbatt.clone() {
            if self.vars.contains_key("battery.charge.low") {
                self.set_var("battery.charge.low", lb);
            }
        }
        if let Some(v) = self.opts.ondelay.clone() {
            if self.vars.contains_key("ups.delay.start") {
                self.set_var("ups.delay.start", v);
            }
        }
        if let Some(v) = self.opts.offdelay.clone() {
            if self.vars.contains_key("ups.delay.shutdown") {
                self.set_var("ups.delay.shutdown", v);
            }
        }
        let off = self.cmds.contains("load.off.delay");
        let on = self.cmds.contains("load.on.delay");
        if off {
            self.cmds.insert("load.off".to_string());
        }
        if on {
            self.cmds.insert("load.on".to_string());
        }
        if off && on {
            self.cmds.insert("shutdown.return".to_string());
            self.cmds.insert("shutdown.stayoff".to_string());
        }
    }

    fn has(&self, name: &str) -> bool {
        bits::bit(name).map(|b| self.status & b != 0).unwrap_or(false)
    }

    /// Publish `ups.alarm` from the alarm entries read in this walk and
    /// the status bits. NUT 2.8.0 does this on full polls only: the init
    /// walk, quick polls and interrupt reports leave the alarm (and the
    /// `ALARM` status word) as the last full poll set it.
    fn commit_alarms(&mut self) {
        let mut alarms = self.alarms.clone();
        for (bit, text) in [
            ("replacebatt", "Replace battery!"),
            ("shutdownimm", "Shutdown imminent!"),
            ("fanfail", "Fan failure!"),
            ("nobattery", "No battery installed!"),
            ("battvoltlo", "Battery voltage too low!"),
            ("battvolthi", "Battery voltage too high!"),
            ("chargerfail", "Battery charger fail!"),
            ("overheat", "Temperature too high!"),
            ("commfault", "Internal UPS fault!"),
            ("awaitingpower", "Awaiting power!"),
            ("bypassauto", "Automatic bypass mode!"),
            ("bypassman", "Manual bypass mode!"),
        ] {
            if self.has(bit) {
                alarms.push(text.to_string());
            }
        }
        self.alarm_active = !alarms.is_empty();
        if alarms.is_empty() {
            self.vars.remove("ups.alarm");
        } else {
            self.set_var("ups.alarm", alarms.join(" "));
        }
    }

    /// Recompute `ups.status` and `input.transfer.reason` from the status
    /// bits (NUT 2.8.0 rules); `ALARM` leads while the last full poll
    /// published an alarm.
    fn commit_status(&mut self) {
        let mut st: Vec<&str> = Vec::new();
        let on_battery = !self.has("online")
            || (self.has("dischrg") && !self.has("cal") && self.opts.onlinedischarge);
        if on_battery {
            st.push("OB");
        } else {
            if self.has("dischrg") && !self.has("cal") {
                self.log.push("seems that UPS is in OL+DISCHRG state now. Is it calibrating?".to_string());
            }
            st.push("OL");
        }
        if self.has("dischrg") && !self.has("depleted") {
            st.push("DISCHRG");
        }
        if self.has("chrg") && !self.has("fullycharged") {
            st.push("CHRG");
        }
        if self.has("lowbatt") || self.has("timelimitexp") || self.has("shutdownimm") {
            st.push("LB");
        }
        for (bit, tok) in [("overload", "OVER"), ("replacebatt", "RB"), ("trim", "TRIM"), ("boost", "BOOST")] {
            if self.has(bit) {
                st.push(tok);
            }
        }
        if self.has("bypassauto") || self.has("bypassman") {
            st.push("BYPASS");
        }
        if self.has("off") {
            st.push("OFF");
        }
        if self.has("cal") {
            st.push("CAL");
        }
        let mut status = st.join(" ");
        if self.alarm_active {
            status = format!("ALARM {status}");
        }
        self.set_var("ups.status", status);
        if self.has("vrange") {
            self.set_var("input.transfer.reason", "input voltage out of range".to_string());
        } else if self.has("frange") {
            self.set_var("input.transfer.reason", "input frequency out of range".to_string());
        } else {
            self.vars.remove("input.transfer.reason");
        }
    }

    /// Apply an interrupt (Input) report: every Input field of that ID is
    /// an event applied through the entries with the same path.
    pub fn handle_interrupt(&mut self, report: &[u8], src: &mut dyn ReportSource) {
        let Some(&rid) = report.first() else { return };
        let len = self.desc.report_len(rid).max(report.len());
        let buf = self.buffers.entry(rid).or_insert_with(|| vec![0u8; len]);
        if buf.len() < len {
            buf.resize(len, 0);
        }
        buf[..report.len()].copy_from_slice(report);
        let inputs: Vec<Field> = self
            .desc
            .fields
            .iter()
            .filter(|f| f.kind == ReportKind::Input && f.report_id == rid)
            .cloned()
            .collect();
        for f in inputs {
            let Ok(logical) = value::extract(report, &f) else { continue };
            let v = value::to_physical(&f, logical);
            for i in 0..self.entries.len() {
                let a = &self.entries[i];
                if !a.ok || a.entry.flags & (table::CMD | table::ABSENT) != 0 {
                    continue;
                }
                let Some(fi) = a.field else { continue };
                if self.desc.fields[fi].path == f.path {
                    self.apply(i, v, src);
                }
            }
        }
        self.commit_status();
    }

    fn find_entry(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|a| a.ok && a.entry.name.eq_ignore_ascii_case(name))
            .or_else(|| {
                // Commands stay usable even though `ok` is only for variables.
                self.entries.iter().position(|a| {
                    a.entry.flags & table::CMD != 0 && a.field.is_some() && a.entry.name.eq_ignore_ascii_case(name)
                })
            })
    }

    /// Build the report write that sets one field to a physical value.
    fn write_field(&mut self, src: &mut dyn ReportSource, fi: usize, name: &str, v: f64) -> Result<Action, HidError> {
        let f = self.desc.fields[fi].clone();
        if f.flags.0 == 0x01 {
            return Err(HidError::BadValue {
                name: name.to_string(),
                value: v.to_string(),
                reason: "the HID item is constant".to_string(),
            });
        }
        let rid = f.report_id;
        if let Err(SourceError::Gone(m)) = self.fetch(src, rid) {
            return Err(HidError::Source { report_id: rid, message: m });
        }
        let len = self.desc.report_len(rid);
        let buf = self.buffers.entry(rid).or_insert_with(|| vec![0u8; len]);
        if buf.len() < len {
            buf.resize(len, 0);
        }
        buf[0] = rid;
        let logical = value::from_physical(&f, v);
        value::insert(buf, &f, logical)?;
        self.data_changed = true;
        // NUT 2.8.0 writes the whole report as the descriptor sizes it
        // (what it asks for when reading), even when the device answered
        // shorter (an APC BK650M2 gives 2 bytes of report 0x40 and gets 24
        // back).
        let send = len.min(buf.len());
        Ok(Action::SetReport { report_id: rid, data: buf[..send].to_vec() })
    }

    /// Handle `INSTCMD name [param]`: the writes to perform, in order.
    pub fn instcmd(&mut self, src: &mut dyn ReportSource, name: &str, param: Option<&str>) -> Result<Vec<Action>, HidError> {
        let name = match name {
            n if n.eq_ignore_ascii_case("beeper.on") => {
                self.log.push("instcmd: beeper.on is deprecated, use beeper.enable".to_string());
                "beeper.enable"
            }
            n if n.eq_ignore_ascii_case("beeper.off") => {
                self.log.push("instcmd: beeper.off is deprecated, use beeper.disable".to_string());
                "beeper.disable"
            }
            n => n,
        };
        let Some(idx) = self.find_entry(name) else {
            let lower = name.to_ascii_lowercase();
            return match lower.as_str() {
                "load.on" => self.instcmd(src, "load.on.delay", Some("0")),
                "load.off" => self.instcmd(src, "load.off.delay", Some("0")),
                "shutdown.return" | "shutdown.stayoff" => {
                    let mut acts = Vec::new();
                    if self.vars.contains_key("ups.start.auto") {
                        let v = if lower == "shutdown.return" { "yes" } else { "no" };
                        acts.extend(self.setvar(src, "ups.start.auto", v)?);
                    }
                    let on = if lower == "shutdown.return" {
                        self.vars.get("ups.delay.start").map(|v| v.value.clone()).unwrap_or_else(|| "30".into())
                    } else {
                        "-1".to_string()
                    };
                    acts.extend(self.instcmd(src, "load.on.delay", Some(&on))?);
                    acts.push(Action::Pause(125));
                    let off =
                        self.vars.get("ups.delay.shutdown").map(|v| v.value.clone()).unwrap_or_else(|| "20".into());
                    acts.extend(self.instcmd(src, "load.off.delay", Some(&off))?);
                    Ok(acts)
                }
                _ => Err(HidError::UnknownCommand(name.to_string())),
            };
        };
        let e = self.entries[idx].entry;
        if e.flags & table::CMD == 0 {
            return Err(HidError::UnknownCommand(name.to_string()));
        }
        let Some(fi) = self.entries[idx].field else {
            return Err(HidError::UnknownCommand(name.to_string()));
        };
        let val = param.unwrap_or(e.fmt);
        let v = match e.info {
            Info::Convert(c @ (Converter::PowercomStart | Converter::PowercomReturn | Converter::PowercomStayOff)) => {
                let var = if c == Converter::PowercomStart { "ups.delay.start" } else { "ups.delay.shutdown" };
                let secs = match param {
                    Some(p) => atol(p),
                    None => atol(self.vars.get(var).map(|v| v.value.as_str()).unwrap_or(e.fmt)),
                };
                crate::format::powercom_delay(c, secs).unwrap_or(secs)
            }
            Info::Lookup(t) => match t.iter().find(|(_, s)| s.eq_ignore_ascii_case(val)) {
                Some((k, _)) => *k,
                None => atol(val),
            },
            _ => atol(val),
        };
        Ok(vec![self.write_field(src, fi, name, v as f64)?])
    }

    /// Handle `SET VAR name value`: writes to perform (none for
    /// server-side variables, which are just updated).
    pub fn setvar(&mut self, src: &mut dyn ReportSource, name: &str, val: &str) -> Result<Vec<Action>, HidError> {
        let idx = self
            .entries
            .iter()
            .position(|a| a.entry.name.eq_ignore_ascii_case(name) && a.field.is_some() && a.entry.flags & table::CMD == 0
                && (a.ok || a.entry.flags & table::ABSENT != 0) && self.vars.contains_key(a.entry.name))
            .ok_or_else(|| HidError::NotWritable(name.to_string()))?;
        let e = self.entries[idx].entry;
        if e.var_flags & table::RW == 0 {
            return Err(HidError::NotWritable(name.to_string()));
        }
        if e.flags & table::ABSENT != 0 {
            self.set_var(e.name, val.to_string());
            return Ok(Vec::new());
        }
        let v = match e.info {
            Info::Lookup(t) => t.iter().find(|(_, s)| s.eq_ignore_ascii_case(val)).map(|(k, _)| *k).ok_or_else(|| {
                HidError::BadValue {
                    name: name.to_string(),
                    value: val.to_string(),
                    reason: format!(
                        "expected one of: {}",
                        t.iter().map(|(_, s)| *s).collect::<Vec<_>>().join(", ")
                    ),
                }
            })?,
            Info::Convert(Converter::Date) => date_to_hid(val).ok_or_else(|| HidError::BadValue {
                name: name.to_string(),
                value: val.to_string(),
                reason: "expected a date YYYY/MM/DD between 1980 and 2107".to_string(),
            })?,
            Info::Convert(_) => {
                return Err(HidError::BadValue {
                    name: name.to_string(),
                    value: val.to_string(),
                    reason: "this variable has no reverse conversion".to_string(),
                })
            }
            Info::Format | Info::FormatEnum(_) => atol(val),
        };
        let Some(fi) = self.entries[idx].field else {
            return Err(HidError::NotWritable(name.to_string()));
        };
        Ok(vec![self.write_field(src, fi, name, v as f64)?])
    }

    /// Mark data as changed (after the driver performed writes), so the
    /// next full walk re-reads semi-static entries.
    pub fn mark_changed(&mut self) {
        self.data_changed = true;
    }
}

/// Whether a nominal voltage choice is offered to a unit now at `now`
/// volts, as NUT 2.8.0 does for Eaton units (probed by replaying a 3S with
/// its nominal voltage changed): a unit at 100..=127 V is offered the
/// 100..127 choices, one at 200..=240 V the 200..240 ones, any other value
/// (0, 99, 128, 199, 241...) every choice.
fn same_band(now: Option<f64>, choice: i64) -> bool {
    let low = |v: f64| (100.0..=127.0).contains(&v);
    let high = |v: f64| (200.0..=240.0).contains(&v);
    match now {
        Some(v) if low(v) => low(choice as f64),
        Some(v) if high(v) => high(choice as f64),
        _ => true,
    }
}


/// NUT's `explore` output: one `Path: ..., Type: ..., ReportID: 0x.., Offset:
/// .., Size: .., Value: ..` line per field, in descriptor order, reading
/// each report once. Fields whose report cannot be read are skipped, as
/// NUT skips them.
pub fn explore(desc: &Descriptor, vendor: usage::Vendor, src: &mut dyn ReportSource) -> Vec<String> {
    let mut cache: BTreeMap<u8, Option<Vec<u8>>> = BTreeMap::new();
    let mut out = Vec::new();
    for f in &desc.fields {
        let rep = cache.entry(f.report_id).or_insert_with(|| {
            src.get_report(f.report_id).ok().map(|mut r| {
                r.resize(desc.report_len(f.report_id).max(r.len()), 0);
                r
            })
        });
        let Some(buf) = rep else { continue };
        let Ok(logical) = value::extract(buf, f) else { continue };
        let v = value::to_physical(f, logical);
        out.push(format!(
            "Path: {}, Type: {}, ReportID: 0x{:02x}, Offset: {}, Size: {}, Value: {}",
            usage::path_to_string(&f.path, vendor),
            f.kind.as_str(),
            f.report_id,
            f.bit_offset,
            f.bit_size,
            c_format("%g", v)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::same_band;

    #[test]
    fn eaton_nominal_voltage_bands() {
        let offered = |now: f64| [100, 110, 120, 127, 200, 208, 220, 230, 240].into_iter().filter(|c| same_band(Some(now), *c)).count();
        for (now, n) in [(120.0, 4), (100.0, 4), (127.0, 4), (230.0, 5), (200.0, 5), (240.0, 5), (0.0, 9), (99.0, 9), (128.0, 9), (160.0, 9), (241.0, 9)] {
            assert_eq!(offered(now), n, "at {now} V");
        }
        assert!(same_band(None, 230));
    }
}
