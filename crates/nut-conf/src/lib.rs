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
