//! Signals for mio event loops.

use std::io;

pub use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
pub use signal_hook_mio::v1_0::Signals;

/// The signals every daemon listens to: reload, the three ways to stop, and
/// the two user signals.
pub const DAEMON_SIGNALS: &[i32] = &[SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2];

/// A mio-registrable source of the daemon signals. SIGPIPE stays ignored
/// (the Rust runtime ignores it already), so a vanished peer is an EPIPE.
pub fn daemon_signals() -> io::Result<Signals> {
    Signals::new(DAEMON_SIGNALS)
}
