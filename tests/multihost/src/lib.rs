//! Multi-host upsmon scenarios: each host a network namespace on a private
//! bridge, running NUT 2.8.0's or our programs (see README.md and tests/).
//!
//! * [`netns`]: namespaces, the bridge and veth links, running code inside.
//! * [`topo`]: a primary (dummy-ups + upsd + upsmon) and its secondaries,
//!   their configs, and the actions scenarios take on them.
//! * [`results`]: what each host's NOTIFYCMD and SHUTDOWNCMD recorded, and
//!   the comparison of a run of ours with a run of NUT's.
//! * [`wire`]: NUT protocol requests sent from inside a namespace.

pub mod netns;
pub mod results;
pub mod topo;
pub mod wire;

pub use results::{HostOutcome, Mark, Note, Outcome, Role};
pub use topo::{Timing, TopoSpec, Topology};

/// CLOCK_MONOTONIC in nanoseconds: the one clock every host's records and
/// the test's own marks use (namespaces share it).
pub fn mono_ns() -> u64 {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).expect("clock_gettime(CLOCK_MONOTONIC)");
    t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64
}
