//! upsmon: watches UPSes through upsd and shuts the system down when power
//! runs out, the way NUT 2.8.0's upsmon does.
//!
//! * [`monitor`]: every decision, as a pure state machine (no I/O);
//! * [`notify`]: message templates and flags per notification type;
//! * [`config`]: upsmon.conf (through nut-conf) into the monitor's terms;
//! * [`backend`]: performing actions (upsd connections, NOTIFYCMD, wall, shell);
//! * [`alert`], [`alert_worker`]: WEBHOOK and NTFY delivery (payloads, and
//!   the queue + worker thread that keeps the network off the decision path);
//! * [`daemon`]: start-up, the privilege split and the polling loop;
//! * [`tls`]: STARTTLS policy (CERTPATH, CERTVERIFY, FORCESSL, CERTHOST);
//! * [`rehearse`]: the `--rehearse` dry run;
//! * [`cli`]: the command line.
#![forbid(unsafe_code)]

pub mod alert;
pub mod alert_worker;
pub mod backend;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod monitor;
pub mod notify;
pub mod rehearse;
pub mod tls;

pub use monitor::{Action, Event, Monitor, MonitorConfig, PollOutcome, Policy, UpsDef};
pub use notify::{NotifyFlags, NotifyTable, NotifyType};

/// Run upsmon with `args` (the program name first, as in `std::env::args`).
pub fn run(args: Vec<String>) -> std::process::ExitCode {
    let progname = args.first().cloned().unwrap_or_else(|| "upsmon".to_string());
    daemon::run(&progname, args.get(1..).unwrap_or(&[]))
}
