//! nut-testkit: dev-only helpers for black-box interoperability tests.
//!
//! * [`Impl`] / [`Program`]: where NUT's real binaries and ours live.
//! * [`Sandbox`]: a private temp dir (`etc/`, `run/`, `log/`) with the NUT env vars,
//!   a free loopback port, child processes that are always killed and reaped on drop,
//!   and bounded readiness waits.
//! * [`LineClient`]: a raw TCP line client for protocol probes, with timeouts.
//! * [`FakeDriver`]: a scripted driver socket (for enums/ranges, and for robustness tests).
//! * [`diff`]: a small line diff and [`assert_same`] for readable failures.
//!
//! Nothing here skips a test: a missing binary is a failure that says how to build it.

mod client;
mod diff;
mod fakedriver;
mod impls;
mod sandbox;

pub use client::LineClient;
pub use diff::{assert_same, diff_lines};
pub use fakedriver::{FakeDriver, FakeDriverBehaviour};
pub use impls::{workspace_root, Impl, Program};
pub use sandbox::{strip_ssl_noise, Output, ProcId, Sandbox, SSL_NOISE};

use std::time::Duration;

/// Default bound for readiness waits (process start, socket, TCP port, first data).
pub const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// Default bound for one client program run.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);
