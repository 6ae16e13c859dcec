//! OS plumbing shared by every daemon of the suite: NUT's path variables,
//! NUT-style logging, pid files and `-c` control, fork-free backgrounding,
//! privilege drop, signals, and handing freed memory back to the system.
//! This is the only crate that touches process state; the protocol and
//! config crates stay pure.

pub mod background;
pub mod control;
pub mod log;
pub mod memory;
pub mod paths;
pub mod pidfile;
pub mod privs;
pub mod signals;

#[doc(hidden)]
pub use ::log as __log;
