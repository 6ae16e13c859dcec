//! Loaders for NUT's configuration and data files, with no I/O.
//!
//! Every module has `parse(text: &[u8], path: &Path) -> Parsed<Config>`:
//! the caller reads the file and passes its bytes and the path to show in
//! messages. Loaders never stop at the first problem: they return what they
//! understood plus every [`Diagnostic`], each marked [`Severity::Warning`]
//! (NUT logs it and goes on) or [`Severity::Error`] (NUT refuses to start).
//! All files are split into words by [`nut_proto::lexer`], NUT's parseconf
//! rules.
//!
//! | module | file | read by |
//! |---|---|---|
//! | [`ups`] | `ups.conf` | drivers, upsdrvctl, upsd |
//! | [`upsd`] | `upsd.conf` | upsd |
//! | [`users`] | `upsd.users` | upsd |
//! | [`upsmon`] | `upsmon.conf` | upsmon |
//! | [`upssched`] | `upssched.conf` | upssched |
//! | [`nutconf`] | `nut.conf` | init glue |
//! | [`devfile`] | dummy-ups `.dev`/`.seq` | dummy-ups |
//! | [`cmdvartab`] | `cmdvartab` | upsd |
//!
//! ## What is fatal
//!
//! A line the lexer rejects (`#` inside quotes) is a warning everywhere, as
//! in NUT; so is every unknown directive. The errors are:
//!
//! | file | errors ([`Severity::Error`]) |
//! |---|---|
//! | ups.conf | none (upsd skips a section without `driver`/`port`; drivers check their own keys) |
//! | upsd.conf | `LISTEN`/`HTTP_LISTEN` port not 1..65535; unreadable `ALLOW_FROM` network (our extension) |
//! | upsd.users | none |
//! | upsmon.conf | old 5-word `MONITOR`; bad value in a [`upsmon::Policy`] extension. MINSUPPLIES: [`upsmon::UpsmonConf::check_power`] |
//! | upssched.conf | `AT` before CMDSCRIPT, PIPEFN and LOCKFN are all set |
//! | nut.conf | not a shell assignment; MODE not none/standalone/netserver/netclient |
//! | dummy-ups data, cmdvartab | none |
//!
//! Messages name the directive or section and say what is expected; the
//! `Display` of a [`Diagnostic`] is `<path>:<line>: <message>`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod diag;
mod util;

pub mod cmdvartab;
pub mod devfile;
pub mod notify;
pub mod nutconf;
pub mod ups;
pub mod upsd;
pub mod upsmon;
pub mod upssched;
pub mod users;

pub use diag::{Diagnostic, Parsed, Severity};
