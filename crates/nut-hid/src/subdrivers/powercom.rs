//! PowerCOM (VID 0d9f). NUT's PowerCOM table follows the PDC layout on
//! PowerSummary/Input/Output; the generic table covers the same paths.
//! No capture with values exists to check anything finer.

use crate::table::Entry;

/// The table.
pub const TABLE: &[Entry] = super::GENERIC;
