//! The one error type of this crate.

use std::fmt;

/// Everything that can go wrong in this crate. Each message says what was
/// wrong and what to look at, since these end up in driver logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HidError {
    /// The report descriptor was empty.
    EmptyDescriptor,
    /// An item claims more data bytes than remain in the descriptor.
    TruncatedItem {
        /// Byte offset of the item's prefix.
        offset: usize,
        /// Data bytes the item announced.
        needed: usize,
        /// Bytes actually left.
        available: usize,
    },
    /// An End Collection with no open collection.
    UnbalancedEndCollection {
        /// Byte offset of the item.
        offset: usize,
    },
    /// A Pop with nothing pushed.
    PopWithoutPush {
        /// Byte offset of the item.
        offset: usize,
    },
    /// Nesting or field count beyond what a real device could use.
    TooLarge {
        /// What overflowed.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A report was shorter than the field being read or written.
    ShortReport {
        /// Report ID.
        report_id: u8,
        /// Bytes needed (including the report ID byte).
        needed: usize,
        /// Bytes supplied.
        got: usize,
    },
    /// No field has this path.
    NoSuchPath(String),
    /// A path component is neither a known name, 8 hex digits nor `[n]`.
    BadPathComponent {
        /// The whole path.
        path: String,
        /// The offending component.
        component: String,
    },
    /// A value could not be converted for writing.
    BadValue {
        /// NUT variable or command.
        name: String,
        /// The value given.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// A variable is not known or not writable (maps to NUT's `UNKNOWN`/`READONLY`).
    NotWritable(String),
    /// An instant command that the device does not support (NUT's `INVALID`).
    UnknownCommand(String),
    /// A corpus or `.dev` text could not be parsed.
    Corpus {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// The report source failed to supply a report.
    Source {
        /// Report ID asked for.
        report_id: u8,
        /// What the source said.
        message: String,
    },
}

impl fmt::Display for HidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HidError::EmptyDescriptor => {
                f.write_str("HID report descriptor is empty: the device sent no descriptor bytes")
            }
            HidError::TruncatedItem { offset, needed, available } => write!(
                f,
                "HID report descriptor truncated: item at byte {offset} needs {needed} data \
                 byte(s) but only {available} remain (was the descriptor read in full?)"
            ),
            HidError::UnbalancedEndCollection { offset } => write!(
                f,
                "HID report descriptor: End Collection at byte {offset} closes no open collection"
            ),
            HidError::PopWithoutPush { offset } => write!(
                f,
                "HID report descriptor: Pop at byte {offset} without a matching Push"
            ),
            HidError::TooLarge { what, limit } => write!(
                f,
                "HID report descriptor: more than {limit} {what}; refusing to go on"
            ),
            HidError::ShortReport { report_id, needed, got } => write!(
                f,
                "report 0x{report_id:02x} is {got} byte(s) long but the field needs {needed} \
                 (short read from the device?)"
            ),
            HidError::NoSuchPath(p) => write!(f, "no HID field has the path {p}"),
            HidError::BadPathComponent { path, component } => write!(
                f,
                "HID path {path}: component '{component}' is not a known usage name, \
                 8 hex digits or [n]"
            ),
            HidError::BadValue { name, value, reason } => {
                write!(f, "cannot use value '{value}' for {name}: {reason}")
            }
            HidError::NotWritable(n) => write!(f, "variable {n} is unknown or read-only"),
            HidError::UnknownCommand(c) => {
                write!(f, "instant command {c} is not supported by this device")
            }
            HidError::Corpus { line, message } => write!(f, "line {line}: {message}"),
            HidError::Source { report_id, message } => {
                write!(f, "could not get report 0x{report_id:02x}: {message}")
            }
        }
    }
}

impl std::error::Error for HidError {}
