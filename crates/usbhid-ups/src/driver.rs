//! The usbhid-ups driver: device matching, the poll cycle, reconnection,
//! SET/INSTCMD and shutdown, on top of `nut_hid::HidUps` (the mapping)
//! and a [`HidTransport`] (the device).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nut_driver::{CmdResult, Ctx, Driver, DriverError, DriverInfo, VarSpec};
use nut_hid::mapper::explore;
use nut_hid::{Action, Descriptor, DeviceMatch, HidError, HidUps, Options, ReportSource, SourceError, SubdriverId, UsbIdentity, Walk};
use nut_proto::state::VarFlags;

use crate::regex::Regex;
use crate::transport::{DeviceInfo, HidTransport, OpenError, Opener, ReportType, UsbError, Verdict};

/// Program name.
pub const PROG: &str = "usbhid-ups";
/// Banner name.
pub const DRIVER_NAME: &str = "Generic HID driver";
/// NUT 2.8.0's usbhid-ups version.
pub const DRIVER_VERSION: &str = "0.47";
/// Second banner line: the USB layer.
pub const USB_BANNER: &str = "USB communication driver (libusb 1.0) 0.43";

/// How long one interrupt read waits (NUT's value).
pub const INTERRUPT_TIMEOUT: Duration = Duration::from_millis(750);
/// Default interrupt read size.
pub const INTERRUPT_SIZE: usize = 512;
/// Consecutive update cycles with no answer at all before the data is
/// declared stale and the device reopened. One slow answer or a lone
/// timeout never makes the data stale.
pub const STALE_AFTER: u32 = 3;
/// Consecutive timeouts in one walk after which the rest of the walk is
/// skipped (a device that does not answer must not block the driver).
pub const TIMEOUTS_PER_WALK: u32 = 2;
/// Interrupt pipe failures (other than timeouts) after which the driver
/// polls only, until the next reconnect.
pub const INTERRUPT_FAILURES: u32 = 3;

/// The driver's own settings, in NUT 2.8.0's `-h` order, then ours.
pub fn var_specs() -> Vec<VarSpec> {
    vec![
        VarSpec::value("lowbatt", "Set low battery level, in % (default=30)"),
        VarSpec::value("offdelay", "Set shutdown delay, in seconds (default=20)"),
        VarSpec::value("ondelay", "Set startup delay, in seconds (default=30)"),
        VarSpec::value("pollfreq", "Set polling frequency, in seconds, to reduce data flow (default=30)"),
        VarSpec::flag("pollonly", "Don't use interrupt pipe, only use polling"),
        VarSpec::flag("onlinedischarge", "Set to treat discharging while online as being offline"),
        VarSpec::value("vendor", "Regular expression to match UPS Manufacturer string"),
        VarSpec::value("product", "Regular expression to match UPS Product string"),
        VarSpec::value("serial", "Regular expression to match UPS Serial number"),
        VarSpec::value("vendorid", "Regular expression to match UPS Manufacturer numerical ID (4 digits hexadecimal)"),
        VarSpec::value("productid", "Regular expression to match UPS Product numerical ID (4 digits hexadecimal)"),
        VarSpec::value("bus", "Regular expression to match USB bus name"),
        VarSpec::value("device", "Regular expression to match USB device name"),
        VarSpec::value(
            "usb_set_altinterface",
            "Force redundant call to usb_set_altinterface() (value=bAlternateSetting; default=0)",
        ),
        VarSpec::flag("explore", "  Diagnostic matching of unsupported UPS"),
        VarSpec::flag("maxreport", "Activate tweak for buggy APC Back-UPS firmware"),
        VarSpec::flag("interruptonly", "Don't use polling, only use interrupt pipe"),
        VarSpec::value("interruptsize", "Number of bytes to read from interrupt pipe"),
        VarSpec::value("busport", "Regular expression to match USB bus port name"),
        VarSpec::value("replay", "Serve a recorded device from this file instead of USB (see usbhid-ups(8))"),
    ]
}

/// The device attributes the matching options look at.
pub const MATCH_KEYS: [&str; 8] = ["vendorid", "productid", "vendor", "product", "serial", "bus", "device", "busport"];

/// All matching options of one driver instance.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    rules: Vec<(&'static str, Regex)>,
}

impl Matcher {
    /// Compile the options that are set; `get` looks an option up.
    pub fn new(get: impl Fn(&str) -> Option<String>) -> Result<Matcher, String> {
        let mut rules = Vec::new();
        for key in MATCH_KEYS {
            if let Some(p) = get(key) {
                let re = Regex::new(p.trim()).map_err(|e| format!("{key}: {e}"))?;
                rules.push((key, re));
            }
        }
        Ok(Matcher { rules })
    }

    /// The text NUT compares for one attribute.
    pub fn attribute(info: &DeviceInfo, key: &str) -> String {
        let s = match key {
            "vendorid" => format!("{:04x}", info.vendor_id),
            "productid" => format!("{:04x}", info.product_id),
            "vendor" => info.manufacturer.clone().unwrap_or_default(),
            "product" => info.product.clone().unwrap_or_default(),
            "serial" => info.serial.clone().unwrap_or_default(),
            "bus" => info.bus.clone(),
            "device" => info.device.clone(),
            "busport" => info.busport.clone(),
            _ => String::new(),
        };
        s.trim().to_string()
    }

    /// Does every option match its whole attribute?
    pub fn accepts(&self, info: &DeviceInfo) -> bool {
        self.rules.iter().all(|(k, re)| {
            let ok = re.is_full_match(&Self::attribute(info, k));
            if !ok {
                nut_daemon::debugx!(2, "{k} [{}] does not match '{}'", Self::attribute(info, k), re.as_str());
            }
            ok
        })
    }

    /// Whether a rule for this attribute was given.
    pub fn has(&self, key: &str) -> bool {
        self.rules.iter().any(|(k, _)| *k == key)
    }
}

/// Per-walk bookkeeping of what the device did.
#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    ok: u32,
    tried: u32,
    timeouts_in_row: u32,
    gone: bool,
}

/// A [`ReportSource`] over the open device.
struct Source<'a> {
    dev: &'a mut dyn HidTransport,
    lens: &'a BTreeMap<u8, usize>,
    max_len: usize,
    maxreport: bool,
    /// `interruptonly` walks after init: nothing is read.
    cached_only: bool,
    strings: &'a mut BTreeMap<u8, Option<String>>,
    stats: Stats,
}

impl ReportSource for Source<'_> {
    fn get_report(&mut self, report_id: u8) -> Result<Vec<u8>, SourceError> {
        if self.stats.gone {
            return Err(SourceError::Gone("device gone".to_string()));
        }
        if self.cached_only {
            return Err(SourceError::Skip("interruptonly: reports come from the interrupt pipe".to_string()));
        }
        if self.stats.timeouts_in_row >= TIMEOUTS_PER_WALK {
            return Err(SourceError::Skip("device not answering".to_string()));
        }
        let len = if self.maxreport { self.max_len } else { self.lens.get(&report_id).copied().unwrap_or(self.max_len) };
        self.stats.tried += 1;
        match self.dev.get_report(ReportType::Feature, report_id, len) {
            Ok(r) if r.is_empty() => Err(SourceError::Skip(format!("report 0x{report_id:02x}: empty answer"))),
            Ok(r) if report_id != 0 && r[0] != report_id => {
                nut_daemon::debugx!(1, "report 0x{report_id:02x}: malformed answer (ID byte 0x{:02x}), ignored", r[0]);
                Err(SourceError::Skip("malformed report".to_string()))
            }
            Ok(r) => {
                self.stats.ok += 1;
                self.stats.timeouts_in_row = 0;
                nut_daemon::debugx!(5, "Report[get]: ({} bytes) => {}", r.len(), hex(&r));
                Ok(r)
            }
            Err(UsbError::Gone(m)) => {
                self.stats.gone = true;
                Err(SourceError::Gone(m))
            }
            Err(UsbError::Timeout) => {
                self.stats.timeouts_in_row += 1;
                Err(SourceError::Skip("timeout".to_string()))
            }
            Err(UsbError::Failed(m)) => {
                // A stall is an answer: the device is alive.
                self.stats.timeouts_in_row = 0;
                nut_daemon::debugx!(2, "report 0x{report_id:02x}: {m}");
                Err(SourceError::Skip(m))
            }
        }
    }

    fn get_string(&mut self, index: u8) -> Option<String> {
        if index == 0 || self.stats.gone {
            return None;
        }
        if let Some(s) = self.strings.get(&index) {
            return s.clone();
        }
        match self.dev.string(index) {
            Ok(s) => {
                self.strings.insert(index, Some(s.clone()));
                Some(s)
            }
            Err(UsbError::Gone(_)) => {
                self.stats.gone = true;
                None
            }
            // NUT publishes an unreadable string as empty text.
            Err(UsbError::Timeout) => Some(String::new()),
            Err(UsbError::Failed(_)) => {
                self.strings.insert(index, Some(String::new()));
                Some(String::new())
            }
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

/// Parse a report descriptor; one cut short in the middle of an item (a
/// device declaring fewer bytes than it has) is used up to its last
/// complete item.
pub fn parse_descriptor(bytes: &[u8]) -> Result<Descriptor, HidError> {
    match Descriptor::parse(bytes) {
        Err(HidError::TruncatedItem { offset, .. }) if offset > 0 => {
            log::warn!("report descriptor is cut short at byte {offset} of {}: using the items before it", bytes.len());
            Descriptor::parse(&bytes[..offset])
        }
        other => other,
    }
}

/// What to open: a real USB device or a replay file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// libusb.
    Usb,
    /// `replay=FILE`.
    Replay(PathBuf),
}

/// Make the opener for a backend.
pub fn make_opener(backend: &Backend) -> Result<Box<dyn Opener>, OpenError> {
    Ok(match backend {
        Backend::Usb => Box::new(crate::usb::UsbOpener::new()?),
        Backend::Replay(p) => Box::new(crate::replay::ReplayOpener::new(p)?),
    })
}

/// The usbhid-ups driver.
#[derive(Default)]
pub struct UsbHidUps {
    opener: Option<Box<dyn Opener>>,
    dev: Option<Box<dyn HidTransport>>,
    ups: Option<HidUps>,
    matcher: Matcher,
    productid_given: bool,
    explore: bool,
    pollonly: bool,
    interruptonly: bool,
    interrupt_size: usize,
    maxreport: bool,
    pollfreq: Duration,
    opts: Options,
    /// Report lengths of the open device's descriptor.
    lens: BTreeMap<u8, usize>,
    max_len: usize,
    strings: BTreeMap<u8, Option<String>>,
    /// Last device identity (reconnect asks for the same unit).
    last: Option<DeviceInfo>,
    last_full: Option<Instant>,
    force_full: bool,
    interrupt_on: bool,
    interrupt_failures: u32,
    bad_cycles: u32,
    /// Whether the current outage was already logged.
    outage_logged: bool,
    published: BTreeSet<String>,
    /// Server-side variables set through SET VAR, kept across reconnects.
    absent_values: BTreeMap<String, String>,
    usb_version: String,
    ondelay: Option<String>,
    offdelay: Option<String>,
}

impl UsbHidUps {
    /// A driver that will open devices through `opener` (tests use a
    /// replay opener; `run` picks one from the options).
    pub fn with_opener(opener: Box<dyn Opener>) -> UsbHidUps {
        UsbHidUps { opener: Some(opener), ..UsbHidUps::default() }
    }

    fn read_options(&mut self, ctx: &Ctx) -> Result<(), DriverError> {
        let get = |k: &str| ctx.getval(k).map(str::to_string);
        self.matcher = Matcher::new(get).map_err(DriverError::fatal)?;
        self.productid_given = ctx.getval("productid").is_some();
        self.explore = ctx.testvar("explore");
        if self.explore && !self.matcher.has("vendorid") {
            return Err(DriverError::fatal("must specify \"vendorid\" when using \"explore\""));
        }
        self.pollonly = ctx.testvar("pollonly");
        self.interruptonly = ctx.testvar("interruptonly");
        self.maxreport = ctx.testvar("maxreport");
        self.interrupt_size = match ctx.getval("interruptsize") {
            None => INTERRUPT_SIZE,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => n,
                _ => return Err(DriverError::fatal(format!("Invalid interruptsize value: {v} (must be a number above 0)"))),
            },
        };
        let pollfreq = ctx.getval("pollfreq").and_then(|v| v.trim().parse::<u64>().ok()).filter(|n| *n > 0).unwrap_or(30);
        self.pollfreq = Duration::from_secs(pollfreq);
        self.opts.lowbatt = ctx.getval("lowbatt").map(str::to_string);
        self.ondelay = ctx.getval("ondelay").map(str::to_string);
        self.offdelay = ctx.getval("offdelay").map(str::to_string);
        self.opts.onlinedischarge = ctx.testvar("onlinedischarge");
        Ok(())
    }

    fn judge(&self, info: &DeviceInfo, chosen: &mut Option<SubdriverId>) -> Verdict {
        nut_daemon::debugx!(2, "Checking device {} ({}/{})", info.ids(), info.bus, info.device);
        if !self.matcher.accepts(info) {
            return Verdict::Reject(None);
        }
        if let Some(last) = &self.last {
            // Reconnect: the same unit, wherever it is plugged now.
            if (last.vendor_id, last.product_id) != (info.vendor_id, info.product_id)
                || (last.serial.is_some() && last.serial != info.serial)
            {
                return Verdict::Reject(None);
            }
        }
        let m = DeviceMatch {
            vendor_id: info.vendor_id,
            product_id: info.product_id,
            manufacturer: info.manufacturer.as_deref(),
            product: info.product.as_deref(),
            productid_given: self.productid_given,
            explore: self.explore,
        };
        match SubdriverId::select(&m) {
            Ok(sub) => {
                *chosen = Some(sub);
                Verdict::Accept
            }
            Err(no) => {
                for h in &no.hints {
                    log::warn!("{h}");
                }
                Verdict::Reject(None)
            }
        }
    }

    /// Find and open the device, read its descriptor, set up the mapping
    /// and run the init walk.
    fn connect(&mut self) -> Result<(), String> {
        let mut opener = self.opener.take().ok_or("no USB access")?;
        let mut chosen = None;
        let result = opener.open(&mut |info| self.judge(info, &mut chosen));
        self.opener = Some(opener);
        let mut dev = result.map_err(|e| e.to_string())?;
        let sub = chosen.ok_or("no subdriver")?;
        let info = dev.info().clone();
        let bytes = dev.report_descriptor().map_err(|e| format!("Unable to get HID descriptor ({e})"))?;
        let desc = parse_descriptor(&bytes).map_err(|e| format!("Failed to parse report descriptor: {e}"))?;
        nut_daemon::debugx!(2, "Report descriptor: {} bytes, {} fields", bytes.len(), desc.fields.len());
        self.lens = desc.report_ids().into_iter().map(|id| (id, desc.report_len(id))).collect();
        self.max_len = self.lens.values().copied().max().unwrap_or(8).max(8);
        self.strings.clear();
        log::info!("Using subdriver: {}", sub.name());
        // As in NUT 2.8.0, ondelay/offdelay replace the subdriver table's
        // defaults only when given (or after a SET VAR, across reconnects).
        let mut opts = self.opts.clone();
        opts.ondelay = self.absent_values.get("ups.delay.start").cloned().or_else(|| self.ondelay.clone());
        opts.offdelay = self.absent_values.get("ups.delay.shutdown").cloned().or_else(|| self.offdelay.clone());
        let usb = UsbIdentity {
            vendor_id: info.vendor_id,
            product_id: info.product_id,
            manufacturer: info.manufacturer.clone(),
            product: info.product.clone(),
            serial: info.serial.clone(),
        };
        let mut ups = HidUps::new(desc, sub, &usb, opts);
        if self.explore {
            let mut src = self.source(dev.as_mut(), false);
            for line in explore(ups.descriptor(), sub.vendor(), &mut src) {
                nut_daemon::debugx!(1, "{line}");
            }
        }
        let mut src = Source {
            dev: dev.as_mut(),
            lens: &self.lens,
            max_len: self.max_len,
            maxreport: self.maxreport,
            cached_only: false,
            strings: &mut self.strings,
            stats: Stats::default(),
        };
        let walked = ups.walk(&mut src, Walk::Init);
        if let Err(SourceError::Gone(m)) = walked {
            return Err(format!("device went away during init: {m}"));
        }
        for l in ups.log.drain(..) {
            nut_daemon::debugx!(1, "{l}");
        }
        self.interrupt_on = !self.pollonly && sub.uses_interrupt_pipe(info.product_id) && dev.has_interrupt_in();
        if self.interruptonly && !self.interrupt_on {
            log::warn!("interruptonly is set but this device has no usable interrupt pipe");
        }
        self.interrupt_failures = 0;
        self.bad_cycles = 0;
        self.last_full = Some(Instant::now());
        self.force_full = false;
        self.last = Some(info);
        self.ups = Some(ups);
        self.dev = Some(dev);
        Ok(())
    }

    fn source<'a>(&'a mut self, dev: &'a mut dyn HidTransport, cached_only: bool) -> Source<'a> {
        Source {
            dev,
            lens: &self.lens,
            max_len: self.max_len,
            maxreport: self.maxreport,
            cached_only,
            strings: &mut self.strings,
            stats: Stats::default(),
        }
    }

    /// Publish the mapping's variables and commands; remove what it no
    /// longer has.
    fn sync(&mut self, ctx: &mut Ctx) {
        let Some(ups) = &self.ups else { return };
        let mut now: BTreeSet<String> = BTreeSet::new();
        for (name, var) in ups.variables() {
            if name == "ups.status" {
                continue;
            }
            now.insert(name.clone());
            ctx.setinfo(name, &var.value);
            if var.rw || var.string_len.is_some() {
                ctx.setflags(name, VarFlags { rw: var.rw, string: var.string_len.is_some(), number: false });
            }
            if let Some(n) = var.string_len {
                ctx.setaux(name, usize::from(n));
            }
            for e in &var.enums {
                ctx.addenum(name, e);
            }
        }
        for gone in self.published.difference(&now) {
            ctx.delinfo(gone);
        }
        self.published = now;
        for c in ups.commands() {
            ctx.addcmd(c);
        }
        ctx.status_init();
        for w in ups.status().split_whitespace() {
            ctx.status_set(w);
        }
        ctx.status_commit();
    }

    fn drop_device(&mut self, why: &str) {
        if self.dev.take().is_some() {
            log::warn!("Lost the UPS ({why}); will reconnect");
        }
        self.outage_logged = false;
    }

    /// Try to get the device back. True when it is open and initialised.
    fn reconnect(&mut self, ctx: &mut Ctx) -> bool {
        nut_daemon::debugx!(1, "Reconnecting to the UPS");
        match self.connect() {
            Ok(()) => {
                log::info!("UPS reconnected");
                self.outage_logged = false;
                self.sync(ctx);
                ctx.dataok();
                true
            }
            Err(e) => {
                if !self.outage_logged {
                    log::warn!("Can't reconnect to the UPS: {e}");
                    self.outage_logged = true;
                } else {
                    nut_daemon::debugx!(1, "reconnect failed: {e}");
                }
                false
            }
        }
    }

    /// Read the interrupt pipe once (plus whatever else is queued right
    /// behind it) and apply the events. Err = device gone.
    fn read_interrupts(&mut self) -> Result<(), String> {
        let (Some(dev), Some(ups)) = (self.dev.as_mut(), self.ups.as_mut()) else { return Ok(()) };
        let mut timeout = INTERRUPT_TIMEOUT;
        for _ in 0..8 {
            match dev.interrupt_read(self.interrupt_size, timeout) {
                Ok(r) if r.is_empty() => break,
                Ok(r) => {
                    self.interrupt_failures = 0;
                    nut_daemon::debugx!(3, "Report[int]: ({} bytes) => {}", r.len(), hex(&r));
                    let mut src = Source {
                        dev: dev.as_mut(),
                        lens: &self.lens,
                        max_len: self.max_len,
                        maxreport: self.maxreport,
                        cached_only: true,
                        strings: &mut self.strings,
                        stats: Stats::default(),
                    };
                    ups.handle_interrupt(&r, &mut src);
                    timeout = Duration::from_millis(10);
                }
                Err(UsbError::Timeout) => break,
                Err(UsbError::Gone(m)) => return Err(m),
                Err(UsbError::Failed(m)) => {
                    self.interrupt_failures += 1;
                    nut_daemon::debugx!(1, "interrupt pipe: {m}");
                    if self.interrupt_failures >= INTERRUPT_FAILURES {
                        log::warn!("The interrupt pipe keeps failing ({m}); polling only until the next reconnect");
                        self.interrupt_on = false;
                    }
                    break;
                }
            }
        }
        Ok(())
    }

    /// Perform the writes the mapping asked for.
    fn perform(&mut self, actions: Vec<Action>) -> Result<(), String> {
        let dev = self.dev.as_mut().ok_or("the UPS is not connected")?;
        for a in actions {
            match a {
                Action::SetReport { report_id, data } => {
                    nut_daemon::debugx!(4, "Report[set]: ({} bytes) => {}", data.len(), hex(&data));
                    match dev.set_report(ReportType::Feature, report_id, &data) {
                        Ok(_) => {}
                        Err(UsbError::Gone(m)) => {
                            self.drop_device(&m);
                            return Err(m);
                        }
                        Err(e) => return Err(e.to_string()),
                    }
                }
                Action::Pause(ms) => std::thread::sleep(Duration::from_millis(u64::from(ms))),
            }
        }
        self.force_full = true;
        Ok(())
    }

    fn run_instcmd(&mut self, cmd: &str, param: Option<&str>) -> CmdResult {
        let (Some(dev), Some(ups)) = (self.dev.as_mut(), self.ups.as_mut()) else {
            log::warn!("instcmd: {cmd}: the UPS is not connected");
            return CmdResult::Failed;
        };
        let mut src = Source {
            dev: dev.as_mut(),
            lens: &self.lens,
            max_len: self.max_len,
            maxreport: self.maxreport,
            cached_only: false,
            strings: &mut self.strings,
            stats: Stats::default(),
        };
        let actions = match ups.instcmd(&mut src, cmd, param) {
            Ok(a) => a,
            Err(HidError::UnknownCommand(_)) => {
                nut_daemon::debugx!(2, "instcmd: info element unavailable {cmd}");
                return CmdResult::Invalid;
            }
            Err(e) => {
                log::warn!("instcmd: {cmd}: {e}");
                return CmdResult::Failed;
            }
        };
        for l in ups.log.drain(..) {
            log::warn!("{l}");
        }
        match self.perform(actions) {
            Ok(()) => {
                log::info!("instcmd: {cmd} {}: handled", param.unwrap_or(""));
                CmdResult::Handled
            }
            Err(e) => {
                log::warn!("instcmd: {cmd}: failed: {e}");
                CmdResult::Failed
            }
        }
    }
}

impl Driver for UsbHidUps {
    fn info(&self) -> DriverInfo {
        DriverInfo { prog: PROG, name: DRIVER_NAME, version: DRIVER_VERSION }
    }

    fn banner_extra(&self) -> Vec<String> {
        vec![USB_BANNER.to_string()]
    }

    fn vars(&self) -> Vec<VarSpec> {
        var_specs()
    }

    fn open(&mut self, ctx: &mut Ctx) -> Result<(), DriverError> {
        self.read_options(ctx)?;
        if self.opener.is_none() {
            let backend = match ctx.getval("replay") {
                Some(f) => Backend::Replay(PathBuf::from(f)),
                None => Backend::Usb,
            };
            let opener = make_opener(&backend).map_err(|e| DriverError::fatal(e.to_string()))?;
            self.usb_version = match backend {
                Backend::Usb => {
                    let v = rusb::version();
                    format!("libusb-{}.{}.{} (API: 0x{:x})", v.major(), v.minor(), v.micro(), api_version(v.micro()))
                }
                Backend::Replay(p) => format!("replay of {}", p.display()),
            };
            self.opener = Some(opener);
        }
        self.connect().map_err(DriverError::fatal)?;
        ctx.setinfo("driver.version.usb", &self.usb_version.clone());
        Ok(())
    }

    fn init(&mut self, ctx: &mut Ctx) -> Result<(), DriverError> {
        ctx.setinfo("driver.parameter.pollfreq", &self.pollfreq.as_secs().to_string());
        self.sync(ctx);
        Ok(())
    }

    fn update(&mut self, ctx: &mut Ctx) {
        if self.dev.is_none() {
            if !self.reconnect(ctx) {
                ctx.datastale();
            }
            return;
        }
        if self.interrupt_on {
            if let Err(m) = self.read_interrupts() {
                self.drop_device(&m);
                if !self.reconnect(ctx) {
                    ctx.datastale();
                }
                return;
            }
        }
        let full = self.force_full || match self.last_full {
            None => true,
            Some(t) => t.elapsed() >= self.pollfreq,
        };
        let mode = if full { Walk::Full } else { Walk::Quick };
        let cached_only = self.interruptonly && self.interrupt_on;
        let (Some(dev), Some(ups)) = (self.dev.as_mut(), self.ups.as_mut()) else { return };
        let mut src = Source {
            dev: dev.as_mut(),
            lens: &self.lens,
            max_len: self.max_len,
            maxreport: self.maxreport,
            cached_only,
            strings: &mut self.strings,
            stats: Stats::default(),
        };
        let walked = ups.walk(&mut src, mode);
        let stats = src.stats;
        for l in ups.log.drain(..) {
            nut_daemon::debugx!(2, "{l}");
        }
        if let Err(SourceError::Gone(m)) = walked {
            self.drop_device(&m);
            if !self.reconnect(ctx) {
                ctx.datastale();
            }
            return;
        }
        if full {
            self.last_full = Some(Instant::now());
            self.force_full = false;
        }
        if stats.tried > 0 && stats.ok == 0 {
            self.bad_cycles += 1;
            nut_daemon::debugx!(1, "no answer from the UPS in this update ({} in a row)", self.bad_cycles);
            if self.bad_cycles >= STALE_AFTER {
                log::warn!("The UPS has not answered for {} updates: data is stale", self.bad_cycles);
                ctx.datastale();
                self.drop_device("not answering");
            }
            return;
        }
        self.bad_cycles = 0;
        self.sync(ctx);
        ctx.dataok();
    }

    fn instcmd(&mut self, ctx: &mut Ctx, cmd: &str, param: Option<&str>) -> CmdResult {
        let r = self.run_instcmd(cmd, param);
        if r == CmdResult::Handled {
            self.sync(ctx);
        }
        r
    }

    fn setvar(&mut self, ctx: &mut Ctx, var: &str, value: &str) -> CmdResult {
        let (Some(dev), Some(ups)) = (self.dev.as_mut(), self.ups.as_mut()) else {
            log::warn!("setvar: {var}: the UPS is not connected");
            return CmdResult::Failed;
        };
        let mut src = Source {
            dev: dev.as_mut(),
            lens: &self.lens,
            max_len: self.max_len,
            maxreport: self.maxreport,
            cached_only: false,
            strings: &mut self.strings,
            stats: Stats::default(),
        };
        let actions = match ups.setvar(&mut src, var, value) {
            Ok(a) => a,
            Err(HidError::NotWritable(_)) => {
                nut_daemon::debugx!(2, "setvar: info element unavailable {var}");
                return CmdResult::Unknown;
            }
            Err(HidError::BadValue { reason, .. }) => {
                log::warn!("setvar: {var}: {reason}");
                return CmdResult::Invalid;
            }
            Err(e) => {
                log::warn!("setvar: {var}: {e}");
                return CmdResult::Failed;
            }
        };
        if actions.is_empty() {
            // A server-side variable (ups.delay.*): just publish it.
            self.absent_values.insert(var.to_ascii_lowercase(), value.to_string());
            self.sync(ctx);
            return CmdResult::Handled;
        }
        match self.perform(actions) {
            Ok(()) => CmdResult::Handled,
            Err(e) => {
                log::warn!("setvar: {var}: {e}");
                CmdResult::Failed
            }
        }
    }

    fn shutdown(&mut self, _ctx: &mut Ctx) -> Result<(), DriverError> {
        for cmd in ["shutdown.return", "shutdown.reboot", "load.off.delay"] {
            if self.run_instcmd(cmd, None) == CmdResult::Handled {
                return Ok(());
            }
        }
        Err(DriverError::fatal("Shutdown failed!"))
    }

    fn cleanup(&mut self, _ctx: &mut Ctx) {
        self.dev = None;
    }
}

/// LIBUSB_API_VERSION of the libusb release with this micro version.
fn api_version(micro: u16) -> u32 {
    match micro {
        0..=22 => 0x0100_0106,
        23 => 0x0100_0107,
        24 | 25 => 0x0100_0108,
        26 => 0x0100_0109,
        _ => 0x0100_010A,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> DeviceInfo {
        DeviceInfo {
            vendor_id: 0x051d,
            product_id: 0x0002,
            manufacturer: Some("American Power Conversion ".into()),
            product: Some("Back-UPS CS 500".into()),
            serial: Some("AB0427".into()),
            bus: "001".into(),
            device: "002".into(),
            busport: "001".into(),
            ..DeviceInfo::default()
        }
    }

    fn matcher(pairs: &[(&str, &str)]) -> Matcher {
        Matcher::new(|k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())).unwrap()
    }

    #[test]
    fn matching_is_whole_attribute_and_case_blind() {
        assert!(matcher(&[]).accepts(&info()));
        assert!(matcher(&[("vendorid", "051D"), ("productid", "0002")]).accepts(&info()));
        assert!(!matcher(&[("vendorid", "051")]).accepts(&info()));
        assert!(matcher(&[("vendor", "american power conversion")]).accepts(&info()));
        assert!(matcher(&[("product", "Back-UPS.*"), ("serial", "AB0427"), ("bus", "001"), ("device", "00[0-9]")])
            .accepts(&info()));
        assert!(!matcher(&[("serial", "AB")]).accepts(&info()));
        assert!(!matcher(&[("bus", "002")]).accepts(&info()));
        let mut no_serial = info();
        no_serial.serial = None;
        assert!(matcher(&[("serial", "")]).accepts(&no_serial));
        assert!(Matcher::new(|k| (k == "product").then(|| "(".to_string())).is_err());
    }

    #[test]
    fn truncated_descriptor_uses_complete_items() {
        // Usage Page (Power Device), Usage (UPS), Collection, then a cut item.
        let d = parse_descriptor(&[0x05, 0x84, 0x09, 0x04, 0xa1, 0x01, 0x26, 0xff]).unwrap();
        assert_eq!(d.len, 6);
    }
}
