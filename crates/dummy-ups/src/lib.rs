//! dummy-ups: a simulated UPS fed from a `.dev`/`.seq` data file, or a
//! repeater of a UPS served by another upsd. Behaviour follows NUT 2.8.0's
//! driver of the same name (see man/dummy-ups.8 and the notes below).
//!
//! Data files (parsed by `nut_conf::devfile`) are applied entry by entry:
//!
//! * `TIMER n` stops reading; reading resumes at the first update at least
//!   `n` whole seconds later (NUT compares `time()` values);
//! * a line with an empty value takes the value of the previous data line
//!   read in the same pass, and only deletes the variable when there is
//!   none (a NUT 2.8.0 quirk the device-dump library depends on: dumps with
//!   `ups.serial:` lines must look the same through our driver);
//! * `ups.status` is rebuilt from its words and does not count as a
//!   "previous value" for that rule;
//! * `driver.*` lines are ignored.
//!
//! Modes: `dummy-once` reads the file to its end, then only again when its
//! modification time changes (the first check re-reads unless the port
//! named the file relative to the working directory, as in NUT 2.8.0);
//! `dummy-loop` (also plain `dummy`) starts over after the end.

#![forbid(unsafe_code)]

pub mod flags;
pub mod repeater;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nut_conf::devfile::{self, DevFile, Entry};
use nut_driver::{CmdResult, Ctx, Driver, DriverError, DriverInfo, VarSpec};

/// Program name.
pub const PROG: &str = "dummy-ups";
/// Banner name.
pub const DRIVER_NAME: &str = "Device simulation and repeater driver";
/// `driver.version.internal` of NUT 2.8.0's dummy-ups.
pub const DRIVER_VERSION: &str = "0.15";

/// How the driver gets its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Read the file once (re-read when it changes).
    Once,
    /// Read the file over and over; `published` is what
    /// `driver.parameter.mode` says (`dummy-loop` or `dummy`).
    Loop { published: &'static str },
    /// Mirror another upsd's UPS.
    Repeater,
}

impl Mode {
    /// Pick the mode like NUT: an explicit `mode` wins, else guess from
    /// the port.
    pub fn choose(mode: Option<&str>, port: &str) -> Mode {
        match mode {
            Some("dummy-once") => return Mode::Once,
            Some("dummy-loop") | Some("dummy") => return Mode::Loop { published: "dummy-loop" },
            Some("repeater") => return Mode::Repeater,
            Some(other) => log::warn!("Unsupported mode '{other}', guessing it from the port value"),
            None => {}
        }
        if port.contains('@') {
            Mode::Repeater
        } else if port.ends_with(".seq") {
            Mode::Loop { published: "dummy-loop" }
        } else if port.ends_with(".dev") {
            Mode::Once
        } else {
            Mode::Loop { published: "dummy" }
        }
    }

    /// Value of `driver.parameter.mode`.
    pub fn published(self) -> &'static str {
        match self {
            Mode::Once => "dummy-once",
            Mode::Loop { published } => published,
            Mode::Repeater => "repeater",
        }
    }
}

/// Publish `var` with dummy-ups' flags for that name.
pub fn set_with_flags(ctx: &mut Ctx, var: &str, value: &str) {
    ctx.setinfo(var, value);
    if ctx.getinfo(var).is_none() {
        return;
    }
    let (flags, aux) = flags::for_var(var);
    ctx.setflags(var, flags);
    if aux != 0 {
        ctx.setaux(var, aux);
    }
}

/// Reads a data file step by step.
#[derive(Debug, Default)]
pub struct DataFile {
    path: PathBuf,
    file: DevFile,
    cursor: usize,
    at_eof: bool,
    next_read: Option<u64>,
    seen_mtime: Option<SystemTime>,
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl DataFile {
    /// A reader of `path` (nothing read yet).
    pub fn new(path: PathBuf) -> DataFile {
        DataFile { path, ..DataFile::default() }
    }

    /// Read and parse the file from the top.
    pub fn load(&mut self) -> Result<(), DriverError> {
        let text = std::fs::read(&self.path).map_err(|e| {
            DriverError::fatal(format!(
                "Can't open dummy-ups definition file {p}: Can't open {p}: {e}",
                p = self.path.display(),
                e = nut_driver::strerror(&e)
            ))
        })?;
        let parsed = devfile::parse(&text, &self.path);
        for d in &parsed.diagnostics {
            nut_daemon::debugx!(1, "{d}");
        }
        self.file = parsed.value;
        self.cursor = 0;
        self.at_eof = false;
        self.next_read = None;
        Ok(())
    }

    fn mtime(&self) -> Option<SystemTime> {
        std::fs::metadata(&self.path).and_then(|m| m.modified()).ok()
    }

    /// Apply entries until a `TIMER` or the end of the file; `now` is the
    /// wall clock in whole seconds.
    pub fn step(&mut self, ctx: &mut Ctx, now: u64) {
        if let Some(at) = self.next_read {
            if now < at {
                return;
            }
            self.next_read = None;
        }
        let mut previous = String::new();
        while let Some(line) = self.file.entries.get(self.cursor) {
            self.cursor += 1;
            let (var, value) = match &line.entry {
                Entry::Timer { secs } => {
                    self.next_read = Some(now + u64::from(*secs));
                    return;
                }
                Entry::Set { var, value } => (var.as_str(), Some(value.as_str())),
                Entry::Delete { var } => (var.as_str(), None),
                // NUT 2.8.0 knows no ALARM keyword: it is a variable name.
                Entry::Alarm { text } => ("ALARM", text.as_deref()),
            };
            if var == "ups.status" {
                let status = value.unwrap_or("");
                ctx.status_init();
                for word in status.split(' ').filter(|w| !w.is_empty()) {
                    ctx.status_set(word);
                }
                ctx.status_commit();
                let (flags, aux) = flags::for_var(var);
                ctx.setflags(var, flags);
                ctx.setaux(var, aux);
                continue;
            }
            match value {
                Some(v) => {
                    previous = v.to_string();
                    set_with_flags(ctx, var, v);
                }
                None if !previous.is_empty() => {
                    let v = previous.clone();
                    set_with_flags(ctx, var, &v);
                }
                None => {
                    ctx.delinfo(var);
                }
            }
        }
        self.at_eof = true;
    }

    /// One update in `mode`.
    pub fn update(&mut self, ctx: &mut Ctx, mode: Mode, now: u64) {
        if !self.at_eof {
            self.step(ctx, now);
            return;
        }
        match mode {
            Mode::Once => {
                let mtime = self.mtime();
                if mtime == self.seen_mtime {
                    return;
                }
                nut_daemon::debugx!(2, "data file changed: re-reading {}", self.path.display());
                self.seen_mtime = mtime;
            }
            Mode::Loop { .. } => {}
            Mode::Repeater => return,
        }
        match self.load() {
            Ok(()) => self.step(ctx, now),
            Err(e) => {
                log::warn!("{e}");
                self.at_eof = true;
            }
        }
    }
}

/// The dummy-ups driver.
#[derive(Debug)]
pub struct DummyUps {
    mode: Mode,
    data: DataFile,
    repeater: Option<repeater::Repeater>,
}

impl Default for DummyUps {
    fn default() -> Self {
        DummyUps { mode: Mode::Once, data: DataFile::default(), repeater: None }
    }
}

fn now_secs() -> u64 {
    unix_secs(SystemTime::now())
}

/// Resolve a data file name: relative names live in the config directory.
pub fn data_path(port: &str) -> PathBuf {
    let p = Path::new(port);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        nut_daemon::paths::confpath().join(p)
    }
}

impl Driver for DummyUps {
    fn info(&self) -> DriverInfo {
        DriverInfo { prog: PROG, name: DRIVER_NAME, version: DRIVER_VERSION }
    }

    fn vars(&self) -> Vec<VarSpec> {
        vec![
            VarSpec::value(
                "mode",
                "Specify mode instead of guessing it from port value (dummy = dummy-loop, dummy-once, repeater)",
            ),
        ]
    }

    fn open(&mut self, ctx: &mut Ctx) -> Result<(), DriverError> {
        self.mode = Mode::choose(ctx.getval("mode"), ctx.port());
        match self.mode {
            Mode::Repeater => {
                self.repeater = Some(repeater::Repeater::connect(ctx.port())?);
            }
            _ => {
                self.data = DataFile::new(data_path(ctx.port()));
                // NUT 2.8.0 takes the file's first timestamp from the port
                // as written, relative to the working directory; usually
                // that fails, so the first end-of-file check re-reads.
                self.data.seen_mtime = std::fs::metadata(ctx.port()).and_then(|m| m.modified()).ok();
                self.data.load()?;
            }
        }
        Ok(())
    }

    fn init(&mut self, ctx: &mut Ctx) -> Result<(), DriverError> {
        ctx.setinfo("driver.parameter.mode", self.mode.published());
        if let Some(rep) = self.repeater.as_mut() {
            rep.first_update(ctx)?;
            ctx.addcmd("load.off");
            return Ok(());
        }
        for (var, value) in [("ups.mfr", "Dummy Manufacturer"), ("ups.model", "Dummy UPS"), ("ups.status", "OL")] {
            set_with_flags(ctx, var, value);
        }
        self.data.step(ctx, now_secs());
        ctx.addcmd("load.off");
        Ok(())
    }

    fn update(&mut self, ctx: &mut Ctx) {
        match self.repeater.as_mut() {
            Some(rep) => rep.update(ctx),
            None => self.data.update(ctx, self.mode, now_secs()),
        }
    }

    fn update_delay(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn instcmd(&mut self, _ctx: &mut Ctx, cmd: &str, param: Option<&str>) -> CmdResult {
        log::info!("instcmd: unknown command [{cmd}] [{}]", param.unwrap_or("(null)"));
        CmdResult::Unknown
    }

    fn setvar(&mut self, ctx: &mut Ctx, var: &str, value: &str) -> CmdResult {
        nut_daemon::debugx!(2, "entering setvar({var}, {value})");
        if var.starts_with("ups.status") {
            ctx.status_init();
            ctx.status_set(value);
            ctx.status_commit();
        } else if value.is_empty() {
            ctx.delinfo(var);
        } else {
            set_with_flags(ctx, var, value);
        }
        CmdResult::Handled
    }

    fn shutdown(&mut self, _ctx: &mut Ctx) -> Result<(), DriverError> {
        Err(DriverError::fatal("shutdown not supported"))
    }
}

/// The program: `dummy-ups` with its arguments.
pub fn run(args: Vec<String>) -> ExitCode {
    nut_driver::run(DummyUps::default(), args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nut_driver::DriverConfig;

    #[test]
    fn modes_like_nut() {
        assert_eq!(Mode::choose(None, "a.dev"), Mode::Once);
        assert_eq!(Mode::choose(None, "a.seq").published(), "dummy-loop");
        assert_eq!(Mode::choose(None, "a.txt").published(), "dummy");
        assert_eq!(Mode::choose(None, "ups@host:3493"), Mode::Repeater);
        assert_eq!(Mode::choose(Some("dummy"), "a.dev").published(), "dummy-loop");
        assert_eq!(Mode::choose(Some("dummy-once"), "a.seq"), Mode::Once);
        assert_eq!(Mode::choose(Some("weird"), "a.dev"), Mode::Once);
    }

    fn run_text(text: &str) -> Ctx {
        let mut ctx = Ctx::new(DriverConfig::for_tests("t", "x.dev"));
        let mut data =
            DataFile { file: devfile::parse(text.as_bytes(), Path::new("x.dev")).value, ..DataFile::default() };
        data.step(&mut ctx, 1000);
        ctx
    }

    #[test]
    fn empty_value_takes_previous_value_of_the_same_pass() {
        let ctx = run_text(
            "ups.serial:\nups.load: 5 6\ndriver.name: foo bar\nups.temperature:\nups.status:\nbattery.charge:\n",
        );
        assert_eq!(ctx.getinfo("ups.serial"), None);
        assert_eq!(ctx.getinfo("ups.temperature"), Some("5 6"));
        assert_eq!(ctx.getinfo("battery.charge"), Some("5 6"));
        assert_eq!(ctx.getinfo("ups.status"), Some(""));
        assert_eq!(ctx.getinfo("driver.name"), None);
    }

    #[test]
    fn status_line_is_not_a_previous_value() {
        let ctx = run_text("ups.load: 5\nups.status: OB LB\nups.temperature:\n");
        assert_eq!(ctx.getinfo("ups.temperature"), Some("5"));
        assert_eq!(ctx.getinfo("ups.status"), Some("OB LB"));
    }

    #[test]
    fn timer_pauses_in_whole_seconds() {
        let mut ctx = Ctx::new(DriverConfig::for_tests("t", "x.seq"));
        let file = devfile::parse(b"ups.load: 1\nTIMER 2\nups.alarm:\nups.load: 2\n", Path::new("x.seq")).value;
        let mut data = DataFile { file, ..DataFile::default() };
        data.step(&mut ctx, 100);
        assert_eq!(ctx.getinfo("ups.load"), Some("1"));
        data.step(&mut ctx, 101);
        assert_eq!(ctx.getinfo("ups.load"), Some("1"));
        data.step(&mut ctx, 102);
        assert_eq!(ctx.getinfo("ups.load"), Some("2"));
        assert_eq!(ctx.getinfo("ups.alarm"), None);
        assert!(data.at_eof);
    }

    #[test]
    fn set_semantics() {
        let mut d = DummyUps::default();
        let mut ctx = Ctx::new(DriverConfig::for_tests("t", "x.dev"));
        assert_eq!(d.setvar(&mut ctx, "newvar", "x"), CmdResult::Handled);
        assert_eq!(
            ctx.take_outbox(),
            ["SETINFO newvar \"x\"\n", "SETFLAGS newvar RW STRING\n", "SETAUX newvar 32\n"]
        );
        d.setvar(&mut ctx, "ups.status", "ob   x");
        assert_eq!(ctx.getinfo("ups.status"), Some("ob   x"));
        d.setvar(&mut ctx, "ups.status", "");
        assert_eq!(ctx.getinfo("ups.status"), Some(""));
        d.setvar(&mut ctx, "newvar", "");
        assert_eq!(ctx.getinfo("newvar"), None);
        assert_eq!(d.instcmd(&mut ctx, "load.off", None), CmdResult::Unknown);
    }
}
