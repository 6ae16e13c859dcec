//! Pure USB HID Power Device support for the `usbhid-ups` driver: report
//! descriptor parsing, usage names, value conversion, the per-vendor
//! HID-to-NUT tables and the status logic. No I/O happens here: the driver
//! feeds reports in through [`ReportSource`] and performs the
//! [`Action`]s it gets back.
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
