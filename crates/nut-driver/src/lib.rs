//! The framework every driver of the suite shares (NUT's `drivers/main.c`
//! and `dstate.c` rebuilt): the common command line, ups.conf handling,
//! the published variable table, the Unix socket upsd talks to, the update
//! loop, pid file, backgrounding and signals.
//!
//! A driver implements [`Driver`] and its `main` calls [`run`]:
//!
//! ```ignore
//! fn main() -> std::process::ExitCode {
//!     nut_driver::run(MyDriver::default(), std::env::args().collect())
//! }
//! ```
//!
//! Life of a driver process (same order as NUT 2.8.0):
//! banner → options → ups.conf → `driver.*` variables, `default.*`,
//! `override.*` → [`Driver::open`] (as root) → privilege drop →
//! [`Driver::init`] → first [`Driver::update`] → `device.*` copies →
//! socket and pid file → background → loop: update every `pollinterval`,
//! serve socket requests in between. `-k` runs [`Driver::open`] then
//! [`Driver::shutdown`]; `-d n` runs n updates and prints the table.

#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod ctx;
mod run;
pub mod server;

pub use config::{DriverConfig, VarSpec};
pub use ctx::Ctx;
pub use nut_proto::sock::CmdResult;
pub use run::{run, strerror};

use std::fmt;
use std::time::Duration;

/// The NUT release whose behaviour the suite follows; published as
/// `driver.version` and shown in banners.
pub const NUT_VERSION: &str = "2.8.0";

/// Who a driver is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DriverInfo {
    /// Program name, e.g. `dummy-ups`; also `driver.name` and the first
    /// half of the socket name.
    pub prog: &'static str,
    /// Human name shown in the banner, e.g. `Device simulation and repeater driver`.
    pub name: &'static str,
    /// The driver's own version (`driver.version.internal`), e.g. `0.15`.
    pub version: &'static str,
}

impl DriverInfo {
    /// `Network UPS Tools - <name> <version> (<NUT version>)`.
    pub fn banner(&self) -> String {
        format!("Network UPS Tools - {} {} ({})", self.name, self.version, NUT_VERSION)
    }
}

/// A fatal driver error: the message is logged and the process exits with
/// `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverError {
    /// What went wrong, in NUT's words where scripts may look for them.
    pub message: String,
    /// Exit status.
    pub code: u8,
}

impl DriverError {
    /// A fatal error with exit status 1.
    pub fn fatal(message: impl Into<String>) -> DriverError {
        DriverError { message: message.into(), code: 1 }
    }
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DriverError {}

/// What a driver implements. Everything runs on the one event-loop thread;
/// a method must not block for long (the socket is not served meanwhile).
pub trait Driver {
    /// Name, banner text and version.
    fn info(&self) -> DriverInfo;

    /// Lines printed after the banner (usbhid-ups names its USB layer
    /// there: `USB communication driver (libusb 1.0) 0.43`).
    fn banner_extra(&self) -> Vec<String> {
        Vec::new()
    }

    /// Driver-specific settings (`-x name=value`, `-x flag`), for
    /// validation, `-h` and `-L`.
    fn vars(&self) -> Vec<VarSpec> {
        Vec::new()
    }

    /// Open the device (NUT's `upsdrv_initups`). Runs before privileges
    /// are dropped, and also for `-k`.
    fn open(&mut self, _ctx: &mut Ctx) -> Result<(), DriverError> {
        Ok(())
    }

    /// Publish the initial variables and commands (`upsdrv_initinfo`).
    fn init(&mut self, ctx: &mut Ctx) -> Result<(), DriverError>;

    /// Refresh the variables (`upsdrv_updateinfo`), once per
    /// `pollinterval`.
    fn update(&mut self, ctx: &mut Ctx);

    /// Wait this long after each poll tick before calling
    /// [`Driver::update`] (dummy-ups waits a second, as NUT's does; the
    /// socket keeps being served during the wait).
    fn update_delay(&self) -> Duration {
        Duration::ZERO
    }

    /// Run an instant command.
    fn instcmd(&mut self, _ctx: &mut Ctx, cmd: &str, _param: Option<&str>) -> CmdResult {
        log::info!("instcmd: unknown command [{cmd}]");
        CmdResult::Unknown
    }

    /// Change a writable variable.
    fn setvar(&mut self, _ctx: &mut Ctx, _var: &str, _value: &str) -> CmdResult {
        log::info!("Got SET, but driver lacks a handler");
        CmdResult::Unknown
    }

    /// Tell the UPS to cut the power (`-k`).
    fn shutdown(&mut self, ctx: &mut Ctx) -> Result<(), DriverError>;

    /// Release the device before exit.
    fn cleanup(&mut self, _ctx: &mut Ctx) {}
}
