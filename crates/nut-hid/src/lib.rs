//! Pure USB HID Power Device support for the `usbhid-ups` driver: report
//! descriptor parsing, usage names, value conversion, the per-vendor
//! HID-to-NUT tables and the status logic. No I/O happens here: the driver
//! feeds reports in through [`ReportSource`] and performs the
//! [`Action`]s it gets back.
//!
//! # Using it from a driver
//!
//! 1. Parse the report descriptor: [`Descriptor::parse`].
//! 2. Pick the subdriver: [`SubdriverId::select`] (NUT's claim order,
//!    VID/PID tables, `productid` rule, `explore`).
//! 3. [`HidUps::new`] (applies the subdriver's descriptor repairs and
//!    publishes `ups.mfr/model/serial`, `device.*`, `ups.vendorid`,
//!    `driver.version.data`), then [`HidUps::walk`] with [`Walk::Init`].
//! 4. Every `pollinterval`: feed interrupt reports to
//!    [`HidUps::handle_interrupt`], then walk [`Walk::Full`] when
//!    `pollfreq` has passed or after a SET/INSTCMD, else [`Walk::Quick`].
//!    A [`SourceError::Gone`] from the source means reconnect.
//! 5. SET VAR / INSTCMD: [`HidUps::setvar`] / [`HidUps::instcmd`] return
//!    the SET_REPORT writes (and pauses) to perform; errors map to NUT's
//!    `UNKNOWN`/`INVALID`/`FAILED`.
//!
//! # NUT behaviours reproduced on purpose
//!
//! * One field per report-count element; an element without its own
//!   Usage is not a field ("continuation") but takes its bits.
//! * LogMax read below LogMin is re-read unsigned (`25 ff` = 255).
//! * Value: raw bits masked to the width LogMin..LogMax needs, sign
//!   extended only if LogMin < 0, clamped; then PhyMin/PhyMax scaling when
//!   both are set and not both 0; then ×10^(UnitExp − 7) for volts and
//!   watts/VA, ×10^UnitExp for everything else (unit exponents carry over
//!   to unit-less items, which is why an APC `iManufacturer` reads 0.03).
//! * Constant main items are read like data.
//! * All GET_REPORTs are Feature requests, even for Input-only items; a
//!   short answer keeps the rest of the previous buffer.
//! * The first table entry whose path exists (and whose value converts)
//!   wins for a name; BOOL and `ups.alarm` entries all stay active, so
//!   duplicate status paths (e.g. APC `PowerSummary.ACPresent` and
//!   `PowerSummary.PresentStatus.ACPresent`) both drive the same bit.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod corpus;
pub mod descriptor;
pub mod error;
pub mod format;
pub mod mapper;
pub mod subdrivers;
pub mod table;
pub mod usage;
pub mod value;

pub use descriptor::{fuzz_descriptor, Descriptor, Field, MainFlags, ReportKind};
pub use error::HidError;
pub use mapper::{Action, HidUps, MapSource, Options, ReportSource, SourceError, UsbIdentity, Var, Walk};
pub use subdrivers::{DeviceMatch, NoMatch, SubdriverId};
pub use usage::Vendor;
