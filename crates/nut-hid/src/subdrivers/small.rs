//! Subdrivers whose NUT tables are small variations of the generic PDC
//! layout: Arduino, Ever, iDowell, openUPS, Powervar, Salicru.

use super::GENERIC;
use crate::table::Entry;

/// Arduino HID UPS sketch.
pub const ARDUINO: &[Entry] = GENERIC;
/// Ever.
pub const EVER: &[Entry] = GENERIC;
/// iDowell.
pub const IDOWELL: &[Entry] = GENERIC;
/// openUPS.
pub const OPENUPS: &[Entry] = GENERIC;
/// Powervar.
pub const POWERVAR: &[Entry] = GENERIC;
/// Salicru.
pub const SALICRU: &[Entry] = GENERIC;
