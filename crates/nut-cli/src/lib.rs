//! `upsc`, `upscmd` and `upsrw`: NUT's command-line clients, with NUT
//! 2.8.0's flags, outputs, messages and exit codes. Each tool is a module
//! with `run(args) -> ExitCode`; `src/bin/*.rs` only call it.
//!
//! The pure parts (option parsing, output formatting) live in [`getopt`]
//! and [`format`]; the network work goes through `nut-client`.
#![forbid(unsafe_code)]

pub mod common;
pub mod format;
pub mod getopt;
pub mod upsc;
pub mod upscmd;
pub mod upsrw;
