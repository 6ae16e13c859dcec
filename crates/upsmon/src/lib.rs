//! upsmon
