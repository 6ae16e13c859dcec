//! upsmon's decisions as a pure state machine.
//!
//! [`Monitor::handle`] takes one [`Event`] and the current time and returns
//! the [`Action`]s the daemon must perform, in order. Nothing here reads a
//! clock, a socket or a file, so every rule of NUT-REFERENCE §5.3–§5.8 is a
//! plain unit test on a fake clock (see the tests at the bottom).
//!
//! The daemon's loop, per NUT 2.8.0:
//!
//! 1. while [`Monitor::is_polling`]: poll every UPS in
//!    [`Monitor::ups_names`] order and feed each outcome as [`Event::Poll`],
//!    then send [`Event::PassDone`] (NUT's `recalc()`), then sleep
//!    [`Monitor::poll_interval`];
//! 2. during a forced shutdown the monitor asks for `FSD`/`NUMLOGINS`
//!    through actions and for a [`Event::Tick`] at [`Action::WakeAt`];
//! 3. [`Action::Exit`] ends the program.
//!
//! Times are a [`Duration`] since any fixed origin; every rule compares
//! whole seconds, as NUT's `time_t` arithmetic does.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::notify::{format_message, NotifyFlags, NotifyTable, NotifyType};

/// The content of the POWERDOWNFLAG file (no newline).
pub const SDMAGIC: &str = "upsmon-shutdown-file";

/// How often the primary asks NUMLOGINS while waiting for secondaries.
pub const HOSTSYNC_POLL: Duration = Duration::from_millis(250);

/// One `MONITOR` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsDef {
    /// `ups@host[:port]` exactly as written (the name in notifications).
    pub sys: String,
    /// The UPS name on the server.
    pub upsname: String,
    pub host: String,
    pub port: u16,
    pub power_value: u32,
    pub user: String,
    pub password: String,
    /// `primary`/`master` (true) or `secondary`/`slave` (false).
    pub primary: bool,
}

/// Our NAS policies (upsmon.conf extensions; NUT 2.8.0 only warns about
/// the directives). All off by default, so the default behaviour is NUT's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Shut down once a UPS has been on battery this long; power coming
    /// back before that cancels the countdown.
    pub shutdown_after_on_battery: Option<Duration>,
    /// Treat an on-battery UPS as critical when `battery.charge` is at or
    /// below this percentage (a safety net for UPSes that set LB late).
    pub min_charge: Option<u32>,
    /// Same with `battery.runtime` in seconds (at or below).
    pub min_runtime: Option<u64>,
    /// Announce ONBATT (and the matching ONLINE) only when the UPS stayed
    /// on battery this long; shorter glitches are only logged.
    pub glitch_debounce: Option<Duration>,
    /// Treat LB as critical even without OB (`LBREQUIRESOB no`). NUT (and
    /// our default) ignores LB unless the UPS is on battery.
    pub lb_without_ob_is_critical: bool,
}

impl Policy {
    /// True when a battery reading is needed at each poll.
    pub fn wants_battery_readings(&self) -> bool {
        self.min_charge.is_some() || self.min_runtime.is_some()
    }
}

/// Everything from upsmon.conf the decisions depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorConfig {
    pub ups: Vec<UpsDef>,
    pub minsupplies: u32,
    pub shutdowncmd: Option<String>,
    pub powerdownflag: Option<PathBuf>,
    pub pollfreq: u64,
    pub pollfreqalert: u64,
    pub hostsync: i64,
    pub deadtime: i64,
    pub finaldelay: u64,
    pub rbwarntime: i64,
    pub nocommwarntime: i64,
    pub notify: NotifyTable,
    pub policy: Policy,
    /// True when a root parent runs SHUTDOWNCMD (the default, not `-p`):
    /// then a reload cannot change SHUTDOWNCMD/POWERDOWNFLAG.
    pub split_mode: bool,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            ups: Vec::new(),
            minsupplies: 1,
            shutdowncmd: None,
            powerdownflag: None,
            pollfreq: 5,
            pollfreqalert: 5,
            hostsync: 15,
            deadtime: 15,
            finaldelay: 5,
            rbwarntime: 43200,
            nocommwarntime: 300,
            notify: NotifyTable::default(),
            policy: Policy::default(),
            split_mode: false,
        }
    }
}

impl MonitorConfig {
    /// Sum of all power values (NUT's `totalpv`).
    pub fn total_power(&self) -> u64 {
        self.ups.iter().map(|u| u64::from(u.power_value)).sum()
    }
}

/// What one poll of one UPS gave.
#[derive(Debug, Clone, PartialEq)]
pub enum PollOutcome {
    /// `GET VAR <ups> ups.status` answered. `charge`/`runtime` are only
    /// filled when the policy asks for them and the server had them.
    Status { status: String, charge: Option<f64>, runtime: Option<f64> },
    /// The query failed; `message` is the complete log line to write
    /// (`Poll UPS [..] failed - ..`); `disconnected` when the socket died.
    Failed { message: String, disconnected: bool },
    /// Connecting (or the TLS step) failed; `message` is the log line
    /// (`UPS [..]: connect failed: ..`).
    ConnectFailed { message: String },
}

/// Input to [`Monitor::handle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The result of polling the UPS named by its `sys`.
    Poll { ups: String, outcome: PollOutcome },
    /// Every UPS was polled once: decide (`recalc()`).
    PassDone,
    /// A time asked for by [`Action::WakeAt`] has come.
    Tick,
    /// SIGUSR1 / `upsmon -c fsd`.
    UserFsd,
    /// SIGHUP / `upsmon -c reload`, with the newly loaded configuration.
    Reload(MonitorConfig),
    /// The reload could not read the file; keep going.
    ReloadFailed(String),
    /// Answer to [`Action::QueryNumLogins`] (`None` when the query failed).
    NumLogins { ups: String, count: Option<i64> },
    /// Split mode: the root parent's pipe end is gone.
    ParentGone,
}

/// Log levels used in [`Action::Log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Crit,
    Err,
    Warning,
    Notice,
    Info,
    /// `upsdebugx(n)`.
    Debug(u8),
}

/// One notification, ready to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub kind: NotifyType,
    /// The MONITOR system name; `None` for SHUTDOWN and NOPARENT
    /// (`$UPSNAME` is then empty).
    pub ups: Option<String>,
    pub message: String,
    pub flags: NotifyFlags,
}

/// Output of [`Monitor::handle`], to be performed in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Log(Level, String),
    /// Deliver per flags: SYSLOG (NOTICE), WALL, EXEC (NOTIFYCMD). Never
    /// blocks the loop. IGNORE means the monitor did not emit it at all.
    Notify(Notification),
    /// Pipe this text into `wall`.
    Wall(String),
    /// Send `FSD <upsname>` on this UPS's connection.
    SetFsd { ups: String },
    /// Send `GET NUMLOGINS <upsname>`; answer with [`Event::NumLogins`].
    QueryNumLogins { ups: String },
    /// Close this UPS's connection; it is reopened at its next poll.
    Disconnect { ups: String },
    /// From now on sleep this long between polling passes.
    SetPollInterval(Duration),
    /// Send [`Event::Tick`] at this time.
    WakeAt(Duration),
    /// Write [`SDMAGIC`] into this file (root's job in split mode).
    WritePowerDownFlag(PathBuf),
    /// Run SHUTDOWNCMD through the shell (root's job in split mode).
    RunShutdownCmd(Option<String>),
    /// Leave with this exit status.
    Exit(i32),
}

/// Where the monitor is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Polling and deciding.
    Monitoring,
    /// Primary: FSD set, waiting for secondaries to log out.
    HostSync { started: Duration, pending: usize, maxlogins: i64 },
    /// SHUTDOWN announced; SHUTDOWNCMD runs at `until`.
    FinalDelay { until: Duration },
    /// SHUTDOWNCMD handed over; nothing more happens.
    Done,
}

/// NUT's three-state markers (-1 "unknown yet", 0, 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    Unknown,
    No,
    Yes,
}

/// Per-UPS state (NUT's `utype_t`).
#[derive(Debug, Clone)]
struct UpsState {
    def: UpsDef,
    online: bool,
    onbatt: bool,
    lowbatt: bool,
    fsd: bool,
    cal: bool,
    commstate: Tri,
    linestate: Tri,
    lastpoll: Option<i64>,
    lastnoncrit: Option<i64>,
    lastrbwarn: Option<i64>,
    lastncwarn: Option<i64>,
    // policy state
    ob_since: Option<Duration>,
    onbatt_announced: bool,
    charge: Option<f64>,
    runtime: Option<f64>,
    policy_reason: Option<String>,
}

impl UpsState {
    fn new(def: UpsDef) -> Self {
        UpsState {
            def,
            online: false,
            onbatt: false,
            lowbatt: false,
            fsd: false,
            cal: false,
            commstate: Tri::Unknown,
            linestate: Tri::Unknown,
            lastpoll: None,
            lastnoncrit: None,
            lastrbwarn: None,
            lastncwarn: None,
            ob_since: None,
            onbatt_announced: true,
            charge: None,
            runtime: None,
            policy_reason: None,
        }
    }
}

/// A read-only view of one UPS, for status displays and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsView {
    pub sys: String,
    pub online: bool,
    pub onbatt: bool,
    pub lowbatt: bool,
    pub fsd: bool,
    pub cal: bool,
    pub communicating: Option<bool>,
}

/// The state machine. See the module documentation.
#[derive(Debug, Clone)]
pub struct Monitor {
    cfg: MonitorConfig,
    ups: Vec<UpsState>,
    sleepval: u64,
    phase: Phase,
    last_noparent: Option<i64>,
}

fn secs(d: Duration) -> i64 {
    d.as_secs() as i64
}

/// `now - then` in whole seconds, with "never" as the distant past.
fn since(now: i64, then: Option<i64>) -> i64 {
    match then {
        Some(t) => now - t,
        None => now.saturating_add(i64::from(u32::MAX)),
    }
}

impl Monitor {
    /// Start monitoring with `cfg` (already checked for MINSUPPLIES).
    pub fn new(cfg: MonitorConfig) -> Self {
        let ups = cfg.ups.iter().cloned().map(UpsState::new).collect();
        let sleepval = cfg.pollfreq;
        Monitor { cfg, ups, sleepval, phase: Phase::Monitoring, last_noparent: None }
    }

    pub fn config(&self) -> &MonitorConfig {
        &self.cfg
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// False once a forced shutdown has started: the loop stops polling.
    pub fn is_polling(&self) -> bool {
        self.phase == Phase::Monitoring
    }

    /// The current sleep between polling passes (POLLFREQ or POLLFREQALERT).
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(self.sleepval)
    }

    /// The UPSes to poll, in MONITOR order.
    pub fn ups_names(&self) -> Vec<String> {
        self.ups.iter().map(|u| u.def.sys.clone()).collect()
    }

    pub fn ups_def(&self, sys: &str) -> Option<&UpsDef> {
        self.ups.iter().find(|u| u.def.sys == sys).map(|u| &u.def)
    }

    pub fn view(&self, sys: &str) -> Option<UpsView> {
        self.ups.iter().find(|u| u.def.sys == sys).map(|u| UpsView {
            sys: u.def.sys.clone(),
            online: u.online,
            onbatt: u.onbatt,
            lowbatt: u.lowbatt,
            fsd: u.fsd,
            cal: u.cal,
            communicating: match u.commstate {
                Tri::Unknown => None,
                Tri::No => Some(false),
                Tri::Yes => Some(true),
            },
        })
    }

    /// Feed one event; see [`Event`] and [`Action`].
    pub fn handle(&mut self, event: Event, now: Duration) -> Vec<Action> {
        let mut out = Out::default();
        match event {
            Event::Poll { ups, outcome } => {
                if self.phase == Phase::Monitoring {
                    if let Some(i) = self.index(&ups) {
                        self.poll_result(i, outcome, now, &mut out);
                    }
                }
            }
            Event::PassDone => {
                if self.phase == Phase::Monitoring {
                    self.recalc(now, &mut out);
                }
            }
            Event::Tick => self.tick(now, &mut out),
            Event::UserFsd => {
                if self.phase == Phase::Monitoring {
                    self.forceshutdown(now, &mut out);
                }
            }
            Event::Reload(cfg) => {
                if self.phase == Phase::Monitoring {
                    self.reload(cfg, &mut out);
                }
            }
            Event::ReloadFailed(why) => out.log(Level::Err, format!("Reload failed: {why}")),
            Event::NumLogins { ups, count } => self.numlogins(&ups, count, now, &mut out),
            Event::ParentGone => {
                let n = secs(now);
                if since(n, self.last_noparent) >= 120 {
                    self.last_noparent = Some(n);
                    self.notify(None, NotifyType::NoParent, &mut out);
                    out.log(Level::Crit, "Parent died - shutdown impossible".to_string());
                }
            }
        }
        out.0
    }

    fn index(&self, sys: &str) -> Option<usize> {
        self.ups.iter().position(|u| u.def.sys == sys)
    }

    fn notify(&self, ups: Option<usize>, kind: NotifyType, out: &mut Out) {
        let sys = ups.map(|i| self.ups[i].def.sys.clone());
        let flags = self.cfg.notify.flags(kind);
        out.log(Level::Debug(2), format!("do_notify: ntype {kind}"));
        if flags.contains(NotifyFlags::IGNORE) {
            return;
        }
        let message = format_message(self.cfg.notify.template(kind), sys.as_deref().unwrap_or(""), "");
        out.0.push(Action::Notify(Notification { kind, ups: sys, message, flags }));
    }

    fn set_sleep(&mut self, value: u64, out: &mut Out) {
        if self.sleepval != value {
            self.sleepval = value;
            out.0.push(Action::SetPollInterval(Duration::from_secs(value)));
        }
    }

    // ---- §5.4: one poll ------------------------------------------------

    fn poll_result(&mut self, i: usize, outcome: PollOutcome, now: Duration, out: &mut Out) {
        match outcome {
            PollOutcome::ConnectFailed { message } => {
                out.log(Level::Err, message);
                self.ups_is_gone(i, now, out);
            }
            PollOutcome::Failed { message, disconnected } => {
                out.log(Level::Err, message);
                self.ups_is_gone(i, now, out);
                if disconnected {
                    // drop_connection(): forget comms and line state
                    out.log(Level::Debug(2), format!("Dropping connection to UPS [{}]", self.ups[i].def.sys));
                    self.ups[i].commstate = Tri::No;
                    self.ups[i].linestate = Tri::No;
                }
            }
            PollOutcome::Status { status, charge, runtime } => {
                self.ups[i].charge = charge;
                self.ups[i].runtime = runtime;
                self.parse_status(i, &status, now, out);
            }
        }
    }

    fn ups_is_alive(&mut self, i: usize, now: Duration, out: &mut Out) {
        let u = &mut self.ups[i];
        u.lastpoll = Some(secs(now));
        match u.commstate {
            Tri::Yes => {}
            Tri::No => {
                u.commstate = Tri::Yes;
                self.notify(Some(i), NotifyType::CommOk, out);
            }
            Tri::Unknown => u.commstate = Tri::Yes,
        }
    }

    fn ups_is_gone(&mut self, i: usize, now: Duration, out: &mut Out) {
        let n = secs(now);
        if self.ups[i].commstate != Tri::No {
            self.ups[i].commstate = Tri::No;
            self.notify(Some(i), NotifyType::CommBad, out);
            return;
        }
        let nocomm = self.cfg.nocommwarntime;
        if since(n, self.ups[i].lastpoll) < nocomm {
            return;
        }
        if since(n, self.ups[i].lastncwarn) > nocomm {
            self.notify(Some(i), NotifyType::NoComm, out);
            self.ups[i].lastncwarn = Some(n);
        }
    }

    fn parse_status(&mut self, i: usize, status: &str, now: Duration, out: &mut Out) {
        out.log(Level::Debug(2), format!("parse_status: [{status}]"));
        if status.is_empty() {
            self.ups_is_gone(i, now, out);
            return;
        }
        self.ups_is_alive(i, now, out);
        if !status.contains("LB") {
            self.ups[i].lowbatt = false;
        }
        if !status.contains("FSD") {
            self.ups[i].fsd = false;
        }
        // NUT 2.8.0 never clears CAL once seen; we follow master and clear
        // it when the word is gone (2.8.0 has no NOTCAL event, so silently).
        if !status.contains("CAL") {
            self.ups[i].cal = false;
        }
        for word in status.split(' ') {
            out.log(Level::Debug(3), format!("parsing: [{word}]"));
            if word.eq_ignore_ascii_case("OL") {
                self.ups_on_line(i, now, out);
            }
            if word.eq_ignore_ascii_case("OB") {
                self.ups_on_batt(i, now, out);
            }
            if word.eq_ignore_ascii_case("LB") {
                self.ups_low_batt(i, now, out);
            }
            if word.eq_ignore_ascii_case("RB") {
                let n = secs(now);
                if since(n, self.ups[i].lastrbwarn) > self.cfg.rbwarntime {
                    self.notify(Some(i), NotifyType::ReplBatt, out);
                    self.ups[i].lastrbwarn = Some(n);
                }
            }
            if word.eq_ignore_ascii_case("CAL") && !self.ups[i].cal {
                self.notify(Some(i), NotifyType::Cal, out);
                self.ups[i].cal = true;
            }
            if word.eq_ignore_ascii_case("FSD") && !self.ups[i].fsd {
                self.notify(Some(i), NotifyType::Fsd, out);
                self.ups[i].fsd = true;
            }
            // update_crittimer()
            let u = &mut self.ups[i];
            if !u.onbatt || !u.lowbatt || u.cal {
                u.lastnoncrit = Some(secs(now));
            }
        }
    }

    fn ups_on_line(&mut self, i: usize, now: Duration, out: &mut Out) {
        if self.ups[i].online {
            return;
        }
        let announced = self.ups[i].onbatt_announced;
        let was_ob = self.ups[i].onbatt;
        if self.ups[i].linestate != Tri::Unknown {
            if announced || !was_ob {
                self.notify(Some(i), NotifyType::Online, out);
            } else if let Some(since_ob) = self.ups[i].ob_since {
                out.log(
                    Level::Notice,
                    format!(
                        "UPS [{}]: power glitch of {} s ignored (glitch debounce)",
                        self.ups[i].def.sys,
                        now.saturating_sub(since_ob).as_secs()
                    ),
                );
            }
        }
        let u = &mut self.ups[i];
        u.linestate = Tri::Yes;
        u.online = true;
        u.onbatt = false;
        u.ob_since = None;
        u.onbatt_announced = true;
        if u.policy_reason.take().is_some() {
            out.log(Level::Notice, format!("UPS [{}]: power is back, policy countdown cancelled", u.def.sys));
        }
        self.set_sleep(self.cfg.pollfreq, out);
    }

    fn ups_on_batt(&mut self, i: usize, now: Duration, out: &mut Out) {
        if self.ups[i].onbatt {
            return;
        }
        self.set_sleep(self.cfg.pollfreqalert, out);
        self.ups[i].linestate = Tri::No;
        self.ups[i].ob_since = Some(now);
        if self.debounce().is_some() {
            self.ups[i].onbatt_announced = false;
            out.log(Level::Debug(1), format!("UPS [{}] on battery; ONBATT held back by glitch debounce", self.ups[i].def.sys));
        } else {
            self.ups[i].onbatt_announced = true;
            self.notify(Some(i), NotifyType::OnBatt, out);
        }
        let u = &mut self.ups[i];
        u.onbatt = true;
        u.online = false;
    }

    fn ups_low_batt(&mut self, i: usize, _now: Duration, out: &mut Out) {
        if self.ups[i].lowbatt {
            return;
        }
        self.flush_onbatt(i, out);
        self.notify(Some(i), NotifyType::LowBatt, out);
        self.ups[i].lowbatt = true;
    }

    fn debounce(&self) -> Option<Duration> {
        self.cfg.policy.glitch_debounce.filter(|d| !d.is_zero())
    }

    /// Announce a held-back ONBATT now.
    fn flush_onbatt(&mut self, i: usize, out: &mut Out) {
        if self.ups[i].onbatt && !self.ups[i].onbatt_announced {
            self.ups[i].onbatt_announced = true;
            self.notify(Some(i), NotifyType::OnBatt, out);
        }
    }

    // ---- §5.5: recalc ----------------------------------------------------

    fn is_critical(&mut self, i: usize, now: Duration, out: &mut Out) -> bool {
        let n = secs(now);
        let hostsync = self.cfg.hostsync;
        let u = &self.ups[i];
        if u.fsd {
            return true;
        }
        if !u.onbatt || !u.lowbatt {
            return false;
        }
        if u.cal {
            out.log(
                Level::Warning,
                format!(
                    "is_ups_critical: seems that UPS [{}] is OB+LB now, but it is also calibrating - not declaring a critical state",
                    u.def.upsname
                ),
            );
            return false;
        }
        if u.def.primary {
            return true;
        }
        if since(n, u.lastnoncrit) > hostsync {
            out.log(Level::Warning, format!("Giving up on the primary for UPS [{}]", u.def.sys));
            return true;
        }
        false
    }

    /// Our policies: a reason when the UPS must count as critical.
    fn policy_critical(&self, i: usize, now: Duration) -> Option<String> {
        let p = &self.cfg.policy;
        let u = &self.ups[i];
        if p.lb_without_ob_is_critical && u.lowbatt && !u.onbatt {
            return Some("low battery while not on battery (LBREQUIRESOB no)".to_string());
        }
        if !u.onbatt {
            return None;
        }
        if let (Some(limit), Some(start)) = (p.shutdown_after_on_battery, u.ob_since) {
            let gone = now.saturating_sub(start);
            if gone >= limit {
                return Some(format!("on battery for {} s (limit {} s)", gone.as_secs(), limit.as_secs()));
            }
        }
        if let (Some(floor), Some(charge)) = (p.min_charge, u.charge) {
            if charge <= f64::from(floor) {
                return Some(format!("battery charge {charge}% at or below {floor}%"));
            }
        }
        if let (Some(floor), Some(rt)) = (p.min_runtime, u.runtime) {
            if rt <= floor as f64 {
                return Some(format!("battery runtime {rt} s at or below {floor} s"));
            }
        }
        None
    }

    fn recalc(&mut self, now: Duration, out: &mut Out) {
        let n = secs(now);
        let mut val_ol: u64 = 0;
        for i in 0..self.ups.len() {
            if since(n, self.ups[i].lastpoll) > self.cfg.deadtime && self.ups[i].onbatt {
                out.log(Level::Debug(1), format!("Promoting dead UPS: {}", self.ups[i].def.sys));
                self.ups[i].lowbatt = true;
            }
            // glitch debounce: announce ONBATT once it lasted long enough
            if let (Some(d), Some(start)) = (self.debounce(), self.ups[i].ob_since) {
                if now.saturating_sub(start) >= d {
                    self.flush_onbatt(i, out);
                }
            }
            let mut critical = self.is_critical(i, now, out);
            if !critical {
                if let Some(reason) = self.policy_critical(i, now) {
                    if self.ups[i].policy_reason.as_deref() != Some(reason.as_str()) {
                        out.log(Level::Warning, format!("UPS [{}]: policy: {reason}", self.ups[i].def.sys));
                    }
                    self.flush_onbatt(i, out);
                    self.ups[i].policy_reason = Some(reason);
                    critical = true;
                } else {
                    self.ups[i].policy_reason = None;
                }
            }
            if critical {
                out.log(Level::Debug(1), format!("Critical UPS: {}", self.ups[i].def.sys));
            } else {
                val_ol += u64::from(self.ups[i].def.power_value);
            }
        }
        out.log(Level::Debug(3), format!("Current power value: {val_ol}"));
        out.log(Level::Debug(3), format!("Minimum power value: {}", self.cfg.minsupplies));
        if val_ol < u64::from(self.cfg.minsupplies) {
            self.forceshutdown(now, out);
        }
    }

    // ---- §5.6: forced shutdown -------------------------------------------

    fn forceshutdown(&mut self, now: Duration, out: &mut Out) {
        out.log(Level::Debug(1), "Shutting down any UPSes in PRIMARY mode...".to_string());
        let primaries: Vec<String> =
            self.ups.iter().filter(|u| u.def.primary).map(|u| u.def.sys.clone()).collect();
        if primaries.is_empty() {
            self.doshutdown(now, out);
            return;
        }
        for sys in &primaries {
            out.log(Level::Debug(2), format!("Setting FSD on UPS {sys}"));
            out.0.push(Action::SetFsd { ups: sys.clone() });
        }
        out.log(Level::Debug(1), "This system is a primary... waiting for secondaries to logout...".to_string());
        self.phase = Phase::HostSync { started: now, pending: 0, maxlogins: 0 };
        self.query_round(out);
    }

    fn query_round(&mut self, out: &mut Out) {
        let primaries: Vec<String> =
            self.ups.iter().filter(|u| u.def.primary).map(|u| u.def.sys.clone()).collect();
        if let Phase::HostSync { pending, maxlogins, .. } = &mut self.phase {
            *pending = primaries.len();
            *maxlogins = 0;
        }
        for sys in primaries {
            out.0.push(Action::QueryNumLogins { ups: sys });
        }
    }

    fn numlogins(&mut self, ups: &str, count: Option<i64>, now: Duration, out: &mut Out) {
        let Phase::HostSync { started, pending, maxlogins } = &mut self.phase else { return };
        if self.ups.iter().all(|u| u.def.sys != ups) || *pending == 0 {
            return;
        }
        *pending -= 1;
        if let Some(c) = count {
            *maxlogins = (*maxlogins).max(c);
        }
        if *pending > 0 {
            return;
        }
        let (started, maxlogins) = (*started, *maxlogins);
        if maxlogins <= 1 {
            self.doshutdown(now, out);
            return;
        }
        if secs(now) - secs(started) > self.cfg.hostsync {
            out.log(Level::Info, "Host sync timer expired, forcing shutdown".to_string());
            self.doshutdown(now, out);
            return;
        }
        out.0.push(Action::WakeAt(now + HOSTSYNC_POLL));
    }

    fn doshutdown(&mut self, now: Duration, out: &mut Out) {
        out.log(Level::Crit, "Executing automatic power-fail shutdown".to_string());
        out.0.push(Action::Wall("Executing automatic power-fail shutdown\n".to_string()));
        self.notify(None, NotifyType::Shutdown, out);
        let until = now + Duration::from_secs(self.cfg.finaldelay);
        self.phase = Phase::FinalDelay { until };
        if self.cfg.finaldelay == 0 {
            self.finish(out);
        } else {
            out.0.push(Action::WakeAt(until));
        }
    }

    fn finish(&mut self, out: &mut Out) {
        self.phase = Phase::Done;
        if let Some(flag) = &self.cfg.powerdownflag {
            out.0.push(Action::WritePowerDownFlag(flag.clone()));
        }
        out.0.push(Action::RunShutdownCmd(self.cfg.shutdowncmd.clone()));
        out.0.push(Action::Exit(0));
    }

    fn tick(&mut self, now: Duration, out: &mut Out) {
        match self.phase {
            Phase::HostSync { pending: 0, .. } => self.query_round(out),
            Phase::FinalDelay { until } => {
                if now >= until {
                    self.finish(out);
                } else {
                    out.0.push(Action::WakeAt(until));
                }
            }
            _ => {}
        }
    }

    // ---- §5.9: reload ----------------------------------------------------

    fn reload(&mut self, new: MonitorConfig, out: &mut Out) {
        out.log(Level::Info, "Reloading configuration".to_string());
        if self.cfg.split_mode {
            if self.cfg.shutdowncmd != new.shutdowncmd {
                split_warning("SHUTDOWNCMD", out);
            }
            if self.cfg.powerdownflag != new.powerdownflag {
                split_warning("POWERDOWNFLAG", out);
            }
        }
        let mut kept: Vec<UpsState> = Vec::new();
        let mut old: BTreeMap<String, UpsState> =
            self.ups.drain(..).map(|u| (u.def.sys.clone(), u)).collect();
        for def in &new.ups {
            match old.remove(&def.sys) {
                Some(mut u) => {
                    redefine(&mut u, def, out);
                    kept.push(u);
                }
                None => {
                    log_new_ups(def, out);
                    kept.push(UpsState::new(def.clone()));
                }
            }
        }
        for (sys, _) in old {
            out.log(Level::Notice, format!("No longer monitoring UPS [{sys}]"));
            out.0.push(Action::Disconnect { ups: sys });
        }
        let (shutdowncmd, powerdownflag) = (self.cfg.shutdowncmd.clone(), self.cfg.powerdownflag.clone());
        let split = self.cfg.split_mode;
        self.cfg = new;
        self.cfg.split_mode = split;
        if split {
            // the root parent keeps what it read at start
            self.cfg.shutdowncmd = shutdowncmd;
            self.cfg.powerdownflag = powerdownflag;
        }
        self.ups = kept;
        let total = self.cfg.total_power();
        if total < u64::from(self.cfg.minsupplies) {
            out.log(
                Level::Crit,
                format!("Fatal error: total power value ({total}) less than MINSUPPLIES ({})", self.cfg.minsupplies),
            );
            out.log(Level::Crit, "Impossible power configuration, unable to continue".to_string());
            out.0.push(Action::Exit(1));
        }
    }
}

fn split_warning(key: &str, out: &mut Out) {
    out.log(Level::Warning, format!("Warning: {key} redefined in split-process mode!"));
    out.log(Level::Warning, "You must restart upsmon for this change to work".to_string());
}

/// The start-up line for one MONITOR entry.
pub fn ups_line(def: &UpsDef) -> String {
    if def.power_value > 0 {
        format!(
            "UPS: {} ({}) (power value {})",
            def.sys,
            if def.primary { "primary" } else { "secondary" },
            def.power_value
        )
    } else {
        format!("UPS: {} (monitoring only)", def.sys)
    }
}

fn log_new_ups(def: &UpsDef, out: &mut Out) {
    out.log(Level::Info, ups_line(def));
}

fn redefine(u: &mut UpsState, def: &UpsDef, out: &mut Out) {
    let sys = def.sys.clone();
    let mut drop = false;
    if u.def.power_value != def.power_value {
        out.log(Level::Info, format!("UPS [{sys}]: redefined power value to {}", def.power_value));
    }
    if u.def.user != def.user {
        out.log(Level::Info, format!("UPS [{sys}]: redefined username"));
        drop = true;
    }
    if u.def.password != def.password {
        out.log(Level::Info, format!("UPS [{sys}]: redefined password"));
        drop = true;
    }
    if drop {
        // NUT only reconnects when the old login did not work; we cannot
        // tell from here, so reconnect: the cost is one extra login.
        out.log(Level::Info, format!("UPS [{sys}]: retrying connection"));
    }
    if def.primary && !u.def.primary {
        out.log(Level::Info, format!("UPS [{sys}]: redefined as a primary"));
        drop = true;
    } else if !def.primary && u.def.primary {
        out.log(Level::Info, format!("UPS [{sys}]: redefined as a secondary"));
    }
    u.def = def.clone();
    if drop {
        u.commstate = Tri::No;
        u.linestate = Tri::No;
        out.0.push(Action::Disconnect { ups: sys });
    }
}

#[derive(Default)]
struct Out(Vec<Action>);

impl Out {
    fn log(&mut self, level: Level, text: String) {
        self.0.push(Action::Log(level, text));
    }
}

#[cfg(test)]
mod tests;
