//! placeholder

use crate::table::Entry;

/// The table.
pub const TABLE: &[Entry] = super::GENERIC;
