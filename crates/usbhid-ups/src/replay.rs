//! The replay transport: a recorded UPS served from a file, selected with
//! the driver option `replay=FILE`. With it the whole stack (driver, upsd,
//! upsc, upsmon) runs on a machine with no USB at all.
//!
//! `FILE` is either
//!
//! * a capture of `shared/corpus/hid/` as it is: its report descriptor,
//!   the last recorded bytes of every report (`[nut-values]`, then
//!   `[feature-reports]`); reports never recorded read as zeros; or
//! * a replay script: `capture <file>` (relative to the script) plus the
//!   directives below, which change values over time and inject faults.
//!   A capture may also carry the same directives in a `[replay]` section.
//!
//! ```text
//! capture <file>                       the recorded device to serve
//! vendorid <hex> | productid <hex>     change the USB IDs
//! manufacturer|product|serial <text>   USB strings (default: from the header)
//! string <index> <text>                any other USB string
//! bus <n> | address <n>                where it sits (default 1 and 2)
//! descriptor-length <n>                report descriptor length the HID
//!                                      descriptor declares (default: real)
//! at <time> set report <id> bytes <hex...>   replace a report (ID first)
//! at <time> set <HID.Path> <value>     write a field, value as NUT prints it
//! at <time> input <hex...>             queue an interrupt report
//! at <time> unplug                     the device leaves the bus
//! at <time> replug                     it comes back at the next address
//! at <time> stall [n]                  next n control transfers stall
//! at <time> timeout [n]                next n control transfers time out
//! at <time> io-error [n]               next n transfers fail with an I/O error
//! at <time> short-report <id> [len]    GET_REPORT <id> answers len bytes
//! at <time> bad-report <id> <hex...>   GET_REPORT <id> answers these bytes
//! at <time> full-report <id>           undo short-report / bad-report
//! at <time> hang                       stop answering (until answer/replug)
//! at <time> answer                     answer again
//! ```
//!
//! Times count from when the driver opened the replay: `5s`, `1.5s`,
//! `250ms` or `3` (seconds). `#` starts a comment. A `set` of a field that
//! an Input report carries also queues that report on the interrupt pipe,
//! as a UPS does when something changes. A transfer that "times out"
//! takes [`TIMEOUT_WAIT`] (not the caller's whole timeout) so tests stay
//! quick while the driver still sees real waiting.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use nut_hid::corpus::{parse_hex_bytes, Capture};
use nut_hid::usage::{self, Vendor};
use nut_hid::{value, Descriptor};

use crate::transport::{DeviceInfo, HidTransport, OpenError, Opener, ReportType, UsbError, Verdict};

/// How long a replayed transfer that times out takes.
pub const TIMEOUT_WAIT: Duration = Duration::from_millis(250);

/// One scripted change.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Replace a report.
    SetReport(Vec<u8>),
    /// Write one field by path.
    SetPath(String, f64),
    /// Queue an interrupt report.
    Input(Vec<u8>),
    /// Leave the bus.
    Unplug,
    /// Come back at the next address.
    Replug,
    /// Stall the next n control transfers.
    Stall(u32),
    /// Time out the next n control transfers.
    Timeout(u32),
    /// Fail the next n transfers with an I/O error.
    IoError(u32),
    /// Answer a report with `len` bytes (None: one byte short).
    ShortReport(u8, Option<usize>),
    /// Answer a report with these bytes.
    BadReport(u8, Vec<u8>),
    /// Back to the normal answer.
    FullReport(u8),
    /// Stop answering.
    Hang,
    /// Answer again.
    Answer,
}

/// A parsed replay script (or the `[replay]` section of a capture).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Script {
    /// `capture <file>`, resolved against the script's directory.
    pub capture: Option<PathBuf>,
    /// USB ID overrides.
    pub vendor_id: Option<u16>,
    /// USB ID overrides.
    pub product_id: Option<u16>,
    /// String overrides.
    pub manufacturer: Option<String>,
    /// String overrides.
    pub product: Option<String>,
    /// String overrides.
    pub serial: Option<String>,
    /// Extra strings by index.
    pub strings: BTreeMap<u8, String>,
    /// Bus number.
    pub bus: Option<u8>,
    /// First address.
    pub address: Option<u8>,
    /// Declared report descriptor length.
    pub descriptor_length: Option<usize>,
    /// Timed actions, in file order.
    pub events: Vec<(Duration, Action)>,
}

/// Parse a time: `5s`, `1.5s`, `250ms`, `3`.
pub fn parse_time(t: &str) -> Option<Duration> {
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else {
        (t, 1.0)
    };
    let v: f64 = num.parse().ok()?;
    (v.is_finite() && v >= 0.0).then(|| Duration::from_secs_f64(v * scale))
}

fn parse_id(t: &str) -> Option<u8> {
    u8::from_str_radix(t.trim_start_matches("0x"), 16).ok()
}

fn parse_count(words: &[&str], at: usize) -> Result<u32, String> {
    match words.get(at) {
        None => Ok(1),
        Some(w) => w.parse().map_err(|_| format!("'{w}' is not a count")),
    }
}

fn parse_action(words: &[&str]) -> Result<Action, String> {
    let id_at = |i: usize| -> Result<u8, String> {
        let w = words.get(i).ok_or("missing report id")?;
        parse_id(w).ok_or_else(|| format!("'{w}' is not a report id"))
    };
    let hex_from = |i: usize| -> Result<Vec<u8>, String> {
        let bytes = parse_hex_bytes(&words[i.min(words.len())..].join(" "), 0).map_err(|e| e.to_string())?;
        if bytes.is_empty() {
            return Err("no bytes given".to_string());
        }
        Ok(bytes)
    };
    Ok(match words.first().copied().unwrap_or("") {
        "set" if words.get(1) == Some(&"report") => {
            id_at(2)?;
            if words.get(3) != Some(&"bytes") {
                return Err("expected 'set report <id> bytes <hex...>'".to_string());
            }
            let bytes = hex_from(4)?;
            if Some(bytes[0]) != parse_id(words[2]) {
                return Err("the bytes must start with the report id".to_string());
            }
            Action::SetReport(bytes)
        }
        "set" => {
            let path = words.get(1).ok_or("missing HID path")?;
            let v = words.get(2).ok_or("missing value")?;
            let v: f64 = v.parse().map_err(|_| format!("'{v}' is not a number"))?;
            Action::SetPath(path.to_string(), v)
        }
        "input" => Action::Input(hex_from(1)?),
        "unplug" => Action::Unplug,
        "replug" => Action::Replug,
        "stall" => Action::Stall(parse_count(words, 1)?),
        "timeout" => Action::Timeout(parse_count(words, 1)?),
        "io-error" => Action::IoError(parse_count(words, 1)?),
        "short-report" => {
            let len = match words.get(2) {
                Some(w) => Some(w.parse().map_err(|_| format!("'{w}' is not a length"))?),
                None => None,
            };
            Action::ShortReport(id_at(1)?, len)
        }
        "bad-report" => Action::BadReport(id_at(1)?, hex_from(2)?),
        "full-report" => Action::FullReport(id_at(1)?),
        "hang" => Action::Hang,
        "answer" => Action::Answer,
        other => return Err(format!("unknown action '{other}'")),
    })
}

impl Script {
    /// Parse script text; `base` resolves `capture`. Every bad line is
    /// reported as `line N: message`.
    pub fn parse(text: &str, base: &Path) -> Result<Script, Vec<String>> {
        let mut s = Script::default();
        let mut errors = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let rest = |n: usize| line.splitn(n + 1, char::is_whitespace).nth(n).unwrap_or("").trim().to_string();
            let r: Result<(), String> = (|| {
                match words[0] {
                    "capture" => s.capture = Some(base.join(rest(1))),
                    "vendorid" | "productid" => {
                        let v = words.get(1).and_then(|w| u16::from_str_radix(w, 16).ok()).ok_or("expected 4 hex digits")?;
                        if words[0] == "vendorid" {
                            s.vendor_id = Some(v);
                        } else {
                            s.product_id = Some(v);
                        }
                    }
                    "manufacturer" => s.manufacturer = Some(rest(1)),
                    "product" => s.product = Some(rest(1)),
                    "serial" => s.serial = Some(rest(1)),
                    "string" => {
                        let idx: u8 = words.get(1).and_then(|w| w.parse().ok()).filter(|n| *n > 0).ok_or("expected an index 1-255")?;
                        s.strings.insert(idx, rest(2));
                    }
                    "bus" | "address" => {
                        let n: u8 = words.get(1).and_then(|w| w.parse().ok()).filter(|n| *n > 0).ok_or("expected a number 1-255")?;
                        if words[0] == "bus" {
                            s.bus = Some(n);
                        } else {
                            s.address = Some(n);
                        }
                    }
                    "descriptor-length" => {
                        s.descriptor_length = Some(words.get(1).and_then(|w| w.parse().ok()).ok_or("expected a length")?);
                    }
                    "at" => {
                        let t = words.get(1).and_then(|w| parse_time(w)).ok_or("expected a time (5s, 250ms, 1.5)")?;
                        s.events.push((t, parse_action(&words[2..])?));
                    }
                    other => return Err(format!("unknown directive '{other}'")),
                }
                Ok(())
            })();
            if let Err(e) = r {
                errors.push(format!("line {}: {e}", i + 1));
            }
        }
        if errors.is_empty() {
            Ok(s)
        } else {
            Err(errors)
        }
    }
}

/// The identity a capture implies when nothing overrides it: the vendor
/// and model of its `# device:` header (model up to the first ` (`).
pub fn header_identity(text: &str) -> (Option<String>, Option<String>) {
    for line in text.lines() {
        let Some(rest) = line.trim_start_matches('#').trim().strip_prefix("device:") else { continue };
        let vendor = rest.split("vid:pid").next().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let model = rest
            .split_once("model:")
            .map(|(_, m)| m.split(" (").next().unwrap_or(m).trim().to_string())
            .filter(|m| !m.is_empty());
        return (vendor, model);
    }
    (None, None)
}

/// The text after a `[replay]` line of a capture, if any.
fn replay_section(text: &str) -> Option<String> {
    let mut out = None::<String>;
    for line in text.lines() {
        if line.starts_with('[') {
            if line.trim_end() == "[replay]" {
                out = Some(String::new());
                continue;
            } else if out.is_some() {
                break;
            }
        }
        if let Some(o) = out.as_mut() {
            o.push_str(line);
            o.push('\n');
        }
    }
    out
}

/// Where USB strings sit in a replayed device.
pub const STRING_MANUFACTURER: u8 = 1;
/// iProduct index.
pub const STRING_PRODUCT: u8 = 2;
/// iSerialNumber index.
pub const STRING_SERIAL: u8 = 3;

/// Everything a replayed device starts with, read from a replay file.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The capture.
    pub capture: Capture,
    /// Parsed descriptor (lengths, set-by-path).
    pub descriptor: Descriptor,
    /// The script (empty for a bare capture).
    pub script: Script,
    /// USB strings by index.
    pub strings: BTreeMap<u8, String>,
    /// IDs.
    pub vendor_id: u16,
    /// IDs.
    pub product_id: u16,
}

impl Recording {
    /// Load a replay file (capture or script).
    pub fn load(path: &Path) -> Result<Recording, String> {
        let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("can't read replay file {}: {e}", p.display()));
        let text = read(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let (cap_text, script) = if text.lines().any(|l| l.trim_end() == "[report-descriptor]") {
            let script = match replay_section(&text) {
                Some(s) => Script::parse(&s, base).map_err(|e| format!("{}: [replay]: {}", path.display(), e.join("; ")))?,
                None => Script::default(),
            };
            (text, script)
        } else {
            let script = Script::parse(&text, base).map_err(|e| format!("{}: {}", path.display(), e.join("; ")))?;
            let cap = script
                .capture
                .clone()
                .ok_or_else(|| format!("{}: neither a capture nor a script with a 'capture <file>' line", path.display()))?;
            (read(&cap)?, script)
        };
        let capture = Capture::parse(&cap_text).map_err(|e| format!("{}: {e}", path.display()))?;
        let descriptor = Descriptor::parse(&capture.descriptor).map_err(|e| format!("{}: {e}", path.display()))?;
        let (hdr_vendor, hdr_model) = header_identity(&cap_text);
        let mut strings = BTreeMap::new();
        for (idx, v) in [
            (STRING_MANUFACTURER, script.manufacturer.clone().or(hdr_vendor)),
            (STRING_PRODUCT, script.product.clone().or(hdr_model)),
            (STRING_SERIAL, script.serial.clone()),
        ] {
            if let Some(v) = v {
                strings.insert(idx, v);
            }
        }
        strings.extend(script.strings.clone());
        Ok(Recording {
            vendor_id: script.vendor_id.or(capture.vendor_id).unwrap_or(0),
            product_id: script.product_id.or(capture.product_id).unwrap_or(0),
            capture,
            descriptor,
            script,
            strings,
        })
    }
}

/// The simulated device behind a replay.
#[derive(Debug)]
struct Device {
    rec: Recording,
    start: Instant,
    next_event: usize,
    reports: BTreeMap<u8, Vec<u8>>,
    interrupts: VecDeque<Vec<u8>>,
    plugged: bool,
    generation: u64,
    bus: u8,
    address: u8,
    stall: u32,
    timeouts: u32,
    io_errors: u32,
    hung: bool,
    short: BTreeMap<u8, Option<usize>>,
    bad: BTreeMap<u8, Vec<u8>>,
}

impl Device {
    fn new(mut rec: Recording) -> Device {
        rec.script.events.sort_by_key(|(t, _)| *t);
        let reports = rec.capture.reports();
        Device {
            bus: rec.script.bus.unwrap_or(1),
            address: rec.script.address.unwrap_or(2),
            rec,
            start: Instant::now(),
            next_event: 0,
            reports,
            interrupts: VecDeque::new(),
            plugged: true,
            generation: 0,
            stall: 0,
            timeouts: 0,
            io_errors: 0,
            hung: false,
            short: BTreeMap::new(),
            bad: BTreeMap::new(),
        }
    }

    /// Apply every event that is due, in time order (file order for
    /// equal times).
    fn advance(&mut self) {
        let now = self.start.elapsed();
        while let Some((t, a)) = self.rec.script.events.get(self.next_event).cloned() {
            if t > now {
                break;
            }
            self.next_event += 1;
            nut_daemon::debugx!(3, "replay: {a:?}");
            self.apply(a);
        }
    }

    /// What the recorded device sends: the real report size.
    fn report_len(&self, id: u8) -> usize {
        self.rec.descriptor.report_size(id)
    }

    fn memory(&mut self, id: u8) -> &mut Vec<u8> {
        let len = self.report_len(id);
        let r = self.reports.entry(id).or_insert_with(|| {
            let mut v = vec![0u8; len];
            v[0] = id;
            v
        });
        if r.len() < len {
            r.resize(len, 0);
        }
        r
    }

    fn has_input(&self, id: u8) -> bool {
        self.rec.descriptor.fields.iter().any(|f| f.report_id == id && f.kind == nut_hid::ReportKind::Input)
    }

    fn apply(&mut self, a: Action) {
        match a {
            Action::SetReport(bytes) => {
                let id = bytes[0];
                self.reports.insert(id, bytes.clone());
                if self.has_input(id) {
                    self.interrupts.push_back(bytes);
                }
            }
            Action::SetPath(path, v) => {
                let mut touched = Vec::new();
                for vendor in [Vendor::None, Vendor::Apc, Vendor::Mge, Vendor::TrippLite] {
                    let Ok(p) = usage::string_to_path(&path, vendor) else { continue };
                    let fields: Vec<_> = self.rec.descriptor.fields.iter().filter(|f| f.path == p).cloned().collect();
                    for f in fields {
                        let logical = value::from_physical(&f, v);
                        let mem = self.memory(f.report_id);
                        if value::insert(mem, &f, logical).is_ok() && !touched.contains(&f.report_id) {
                            touched.push(f.report_id);
                        }
                    }
                    if !touched.is_empty() {
                        break;
                    }
                }
                if touched.is_empty() {
                    log::warn!("replay: no field has the path {path}");
                }
                for id in touched {
                    if self.has_input(id) {
                        let r = self.memory(id).clone();
                        self.interrupts.push_back(r);
                    }
                }
            }
            Action::Input(bytes) => self.interrupts.push_back(bytes),
            Action::Unplug => {
                self.plugged = false;
                self.generation += 1;
                self.interrupts.clear();
            }
            Action::Replug => {
                if !self.plugged {
                    self.plugged = true;
                    self.address = self.address.wrapping_add(1).max(1);
                    self.hung = false;
                }
            }
            Action::Stall(n) => self.stall += n,
            Action::Timeout(n) => self.timeouts += n,
            Action::IoError(n) => self.io_errors += n,
            Action::ShortReport(id, len) => {
                self.short.insert(id, len);
            }
            Action::BadReport(id, bytes) => {
                self.bad.insert(id, bytes);
            }
            Action::FullReport(id) => {
                self.short.remove(&id);
                self.bad.remove(&id);
            }
            Action::Hang => self.hung = true,
            Action::Answer => self.hung = false,
        }
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo {
            vendor_id: self.rec.vendor_id,
            product_id: self.rec.product_id,
            release: 0x0100,
            manufacturer: self.rec.strings.get(&STRING_MANUFACTURER).cloned(),
            product: self.rec.strings.get(&STRING_PRODUCT).cloned(),
            serial: self.rec.strings.get(&STRING_SERIAL).cloned(),
            bus: format!("{:03}", self.bus),
            device: format!("{:03}", self.address),
            busport: "001".to_string(),
        }
    }

    /// Faults common to every control transfer. `Ok(())`: answer normally.
    fn control_faults(&mut self) -> Result<(), UsbError> {
        if self.io_errors > 0 {
            self.io_errors -= 1;
            return Err(UsbError::Gone("Input/Output Error".to_string()));
        }
        if self.hung || self.timeouts > 0 {
            self.timeouts = self.timeouts.saturating_sub(1);
            std::thread::sleep(TIMEOUT_WAIT);
            return Err(UsbError::Timeout);
        }
        if self.stall > 0 {
            self.stall -= 1;
            return Err(UsbError::Failed("Pipe error".to_string()));
        }
        Ok(())
    }
}

type Shared = Rc<RefCell<Device>>;

/// Opens the one replayed device.
pub struct ReplayOpener {
    dev: Shared,
}

impl ReplayOpener {
    /// Load `path`; the script clock starts now.
    pub fn new(path: &Path) -> Result<ReplayOpener, OpenError> {
        let rec = Recording::load(path).map_err(OpenError::Unavailable)?;
        Ok(ReplayOpener { dev: Rc::new(RefCell::new(Device::new(rec))) })
    }
}

impl Opener for ReplayOpener {
    fn enumerate(&mut self) -> Result<Vec<DeviceInfo>, OpenError> {
        let mut d = self.dev.borrow_mut();
        d.advance();
        Ok(if d.plugged { vec![d.info()] } else { Vec::new() })
    }

    fn open(&mut self, judge: &mut dyn FnMut(&DeviceInfo) -> Verdict) -> Result<Box<dyn HidTransport>, OpenError> {
        let (info, generation) = {
            let mut d = self.dev.borrow_mut();
            d.advance();
            if !d.plugged {
                return Err(OpenError::NoMatch(Vec::new()));
            }
            (d.info(), d.generation)
        };
        match judge(&info) {
            Verdict::Accept => Ok(Box::new(ReplayHid { dev: self.dev.clone(), generation, info })),
            Verdict::Reject(note) => Err(OpenError::NoMatch(note.into_iter().collect())),
        }
    }
}

/// An open replayed device.
pub struct ReplayHid {
    dev: Shared,
    generation: u64,
    info: DeviceInfo,
}

impl ReplayHid {
    /// Run `f` on the device if this handle still refers to it.
    fn with<T>(&self, f: impl FnOnce(&mut Device) -> Result<T, UsbError>) -> Result<T, UsbError> {
        let mut d = self.dev.borrow_mut();
        d.advance();
        if !d.plugged || d.generation != self.generation {
            return Err(UsbError::Gone("No such device (it may have been disconnected)".to_string()));
        }
        f(&mut d)
    }
}

impl HidTransport for ReplayHid {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn report_descriptor(&mut self) -> Result<Vec<u8>, UsbError> {
        self.with(|d| {
            d.control_faults()?;
            let real = &d.rec.capture.descriptor;
            let declared = d.rec.script.descriptor_length.unwrap_or(real.len());
            // A device answers at most what was asked for: the declared length.
            Ok(real[..declared.min(real.len())].to_vec())
        })
    }

    fn get_report(&mut self, _kind: ReportType, report_id: u8, len: usize) -> Result<Vec<u8>, UsbError> {
        self.with(|d| {
            d.control_faults()?;
            if !d.rec.descriptor.report_ids().contains(&report_id) {
                return Err(UsbError::Failed("Pipe error".to_string()));
            }
            if let Some(bad) = d.bad.get(&report_id) {
                return Ok(bad.clone());
            }
            let mut r = d.memory(report_id).clone();
            if let Some(short) = d.short.get(&report_id) {
                let n = short.unwrap_or(r.len().saturating_sub(1));
                r.truncate(n);
            }
            r.truncate(len.max(1));
            Ok(r)
        })
    }

    fn set_report(&mut self, _kind: ReportType, report_id: u8, data: &[u8]) -> Result<usize, UsbError> {
        self.with(|d| {
            d.control_faults()?;
            if !d.rec.descriptor.report_ids().contains(&report_id) || data.first() != Some(&report_id) {
                return Err(UsbError::Failed("Pipe error".to_string()));
            }
            let mem = d.memory(report_id);
            let n = data.len().min(mem.len());
            mem[..n].copy_from_slice(&data[..n]);
            Ok(data.len())
        })
    }

    fn interrupt_read(&mut self, max_len: usize, timeout: Duration) -> Result<Vec<u8>, UsbError> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.with(|d| {
                if d.io_errors > 0 {
                    d.io_errors -= 1;
                    return Err(UsbError::Gone("Input/Output Error".to_string()));
                }
                if d.hung {
                    return Ok(None);
                }
                Ok(d.interrupts.pop_front())
            })?;
            if let Some(mut r) = got {
                r.truncate(max_len.max(1));
                return Ok(r);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(UsbError::Timeout);
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
        }
    }

    fn string(&mut self, index: u8) -> Result<String, UsbError> {
        self.with(|d| {
            d.control_faults()?;
            d.rec.strings.get(&index).cloned().ok_or_else(|| UsbError::Failed("Pipe error".to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_actions() {
        assert_eq!(parse_time("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_time("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_time("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_time("x"), None);
        let s = Script::parse(
            "capture a.txt\n# c\nat 1s set UPS.PowerSummary.ACPresent 0 # cut\nat 2 unplug\nat 3s replug\n\
             at 1s set report 0c bytes 0c 32\nat 1s short-report 0x0c 2\nat 1s bad-report 0c 0d ff\nserial AB 12\n",
            Path::new("/x"),
        )
        .unwrap();
        assert_eq!(s.capture, Some(PathBuf::from("/x/a.txt")));
        assert_eq!(s.serial.as_deref(), Some("AB 12"));
        assert_eq!(s.events.len(), 6);
        assert_eq!(s.events[0], (Duration::from_secs(1), Action::SetPath("UPS.PowerSummary.ACPresent".into(), 0.0)));
        assert_eq!(s.events[3].1, Action::SetReport(vec![0x0c, 0x32]));
        assert_eq!(s.events[4].1, Action::ShortReport(0x0c, Some(2)));
        let e = Script::parse("at x unplug\nfrob\nat 1s set report 0c bytes 0d\n", Path::new("/")).unwrap_err();
        assert_eq!(e.len(), 3);
        assert!(e[0].starts_with("line 1:"), "{e:?}");
    }

    #[test]
    fn header_names() {
        let (v, m) = header_identity("# device: APC  vid:pid 051d:0002  model: Back-UPS CS 500 (Back-UPS 500)\n");
        assert_eq!(v.as_deref(), Some("APC"));
        assert_eq!(m.as_deref(), Some("Back-UPS CS 500"));
    }
}
