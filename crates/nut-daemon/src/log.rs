//! Logging the NUT way: the debug level comes from repeated `-D` flags (or
//! `$NUT_DEBUG_LEVEL` when no `-D` is given, raised by `DEBUG_MIN`), a
//! program in the foreground writes to stderr, one in the background to
//! syslog. `RUST_LOG` plays no part.
//!
//! Use the `log` crate's `error!`/`warn!`/`info!` for messages NUT logs
//! with `upslogx`, and [`debugx!`](crate::debugx) for its `upsdebugx(level)`.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

static DEBUG_LEVEL: AtomicU8 = AtomicU8::new(0);
static MIN_DEBUG: AtomicU8 = AtomicU8::new(0);
static TO_SYSLOG: AtomicBool = AtomicBool::new(false);
static TO_STDERR: AtomicBool = AtomicBool::new(true);
static LOGGER: OnceLock<NutLogger> = OnceLock::new();

/// How a program wants its log set up.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogOptions {
    /// The number of `-D` flags given.
    pub debug_flags: u8,
    /// True when the program stays in the foreground.
    pub foreground: bool,
}

struct NutLogger {
    progname: String,
    started: Instant,
    syslog: Mutex<Option<UnixDatagram>>,
}

/// The debug level in force now.
pub fn debug_level() -> u8 {
    DEBUG_LEVEL.load(Ordering::Relaxed).max(MIN_DEBUG.load(Ordering::Relaxed))
}

/// Raise the effective debug level to at least `level` (`DEBUG_MIN`).
pub fn set_min_debug(level: u8) {
    MIN_DEBUG.store(level, Ordering::Relaxed);
    refresh_max_level();
}

fn refresh_max_level() {
    let filter = if debug_level() > 0 { log::LevelFilter::Trace } else { log::LevelFilter::Info };
    log::set_max_level(filter);
}

/// `$NUT_DEBUG_LEVEL` as a number, if set and valid.
pub fn env_debug_level() -> Option<u8> {
    std::env::var("NUT_DEBUG_LEVEL").ok()?.trim().parse().ok()
}

/// Install the logger. Safe to call more than once; later calls update the
/// level and destinations.
pub fn init(progname: &str, opts: LogOptions) {
    let level = if opts.debug_flags > 0 { opts.debug_flags } else { env_debug_level().unwrap_or(0) };
    DEBUG_LEVEL.store(level, Ordering::Relaxed);
    TO_STDERR.store(opts.foreground, Ordering::Relaxed);
    TO_SYSLOG.store(!opts.foreground, Ordering::Relaxed);
    let logger = LOGGER.get_or_init(|| NutLogger {
        progname: progname.to_string(),
        started: Instant::now(),
        syslog: Mutex::new(None),
    });
    // set_logger fails only when already installed, which is fine here.
    let _ = log::set_logger(logger);
    refresh_max_level();
}

/// Switch destinations after going to the background: syslog only.
pub fn to_background() {
    TO_STDERR.store(false, Ordering::Relaxed);
    TO_SYSLOG.store(true, Ordering::Relaxed);
}

/// Send to syslog as well as stderr (daemons in the foreground under a
/// service manager still want their notices in the journal).
pub fn also_syslog(on: bool) {
    TO_SYSLOG.store(on, Ordering::Relaxed);
}

impl NutLogger {
    fn send_syslog(&self, severity: u8, text: &str) {
        let Ok(mut guard) = self.syslog.lock() else { return };
        if guard.is_none() {
            if let Ok(sock) = UnixDatagram::unbound() {
                if sock.connect("/dev/log").is_ok() {
                    *guard = Some(sock);
                }
            }
        }
        if let Some(sock) = guard.as_ref() {
            // facility "daemon" is 3
            let line = format!("<{}>{}[{}]: {}", 3 * 8 + severity, self.progname, std::process::id(), text);
            if sock.send(line.as_bytes()).is_err() {
                *guard = None;
            }
        }
    }
}

impl log::Log for NutLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Info || debug_level() > 0
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let text = record.args().to_string();
        if TO_STDERR.load(Ordering::Relaxed) {
            let stderr = std::io::stderr();
            let mut out = stderr.lock();
            if debug_level() > 0 {
                let elapsed = self.started.elapsed();
                let _ = writeln!(out, "{:4}.{:06}\t{}", elapsed.as_secs(), elapsed.subsec_micros(), text);
            } else {
                let _ = writeln!(out, "{text}");
            }
        }
        if TO_SYSLOG.load(Ordering::Relaxed) {
            let severity = match record.level() {
                log::Level::Error => 3,
                log::Level::Warn => 4,
                log::Level::Info => 5,
                _ => 7,
            };
            self.send_syslog(severity, &text);
        }
    }

    fn flush(&self) {}
}

/// `upsdebugx(level, ...)`: log at debug level `level` and above.
#[macro_export]
macro_rules! debugx {
    ($level:expr, $($arg:tt)+) => {
        if $crate::log::debug_level() >= ($level as u8) {
            $crate::__log::debug!($($arg)+);
        }
    };
}
