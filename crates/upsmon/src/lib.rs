//! upsmon: watches UPSes through upsd and shuts the system down when power
//! runs out, the way NUT 2.8.0's upsmon does.
//!
//! * [`monitor`]: every decision, as a pure state machine (no I/O);
//! * [`notify`]: notification types, stock texts and flags.
#![forbid(unsafe_code)]

pub mod monitor;
pub mod notify;

pub use monitor::{Action, Event, Monitor, MonitorConfig, PollOutcome, Policy, UpsDef};
pub use notify::{NotifyFlags, NotifyTable, NotifyType};
