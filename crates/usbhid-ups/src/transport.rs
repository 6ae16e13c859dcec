//! The USB side of the driver behind two small traits, so the same driver
//! code runs on a real device (`usb.rs`, through libusb) and on a recorded
//! one (`replay.rs`).
//!
//! * [`Opener`] lists the HID devices present and opens the first one a
//!   caller accepts. The driver keeps its opener and asks it again after
//!   an unplug, with the same matcher.
//! * [`HidTransport`] is one open device: its identity, its report
//!   descriptor, GET/SET_REPORT, the interrupt IN pipe and string
//!   descriptors.

use std::fmt;
use std::time::Duration;

/// HID report types as GET_REPORT/SET_REPORT number them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportType {
    /// Input (1).
    Input = 1,
    /// Output (2).
    Output = 2,
    /// Feature (3).
    Feature = 3,
}

/// Why a transfer failed, in the three kinds the driver acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsbError {
    /// The device is gone or unusable (no device, access, I/O error, not
    /// found, busy): drop the handle and reconnect.
    Gone(String),
    /// No answer in time.
    Timeout,
    /// This one request failed (stall, overflow, bad answer): skip it.
    Failed(String),
}

impl fmt::Display for UsbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsbError::Gone(m) => write!(f, "device gone: {m}"),
            UsbError::Timeout => f.write_str("timeout"),
            UsbError::Failed(m) => f.write_str(m),
        }
    }
}

/// What identifies a device, read at enumeration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    /// idVendor.
    pub vendor_id: u16,
    /// idProduct.
    pub product_id: u16,
    /// bcdDevice.
    pub release: u16,
    /// iManufacturer text, if the device has one.
    pub manufacturer: Option<String>,
    /// iProduct text.
    pub product: Option<String>,
    /// iSerialNumber text.
    pub serial: Option<String>,
    /// Bus number, three digits (`001`), as NUT names it.
    pub bus: String,
    /// Device address on the bus, three digits (`002`).
    pub device: String,
    /// Port number on the bus's root hub path (`1`, or `1.4` for a hub),
    /// empty when unknown.
    pub busport: String,
}

impl DeviceInfo {
    /// `vvvv:pppp` in lower-case hex.
    pub fn ids(&self) -> String {
        format!("{:04x}:{:04x}", self.vendor_id, self.product_id)
    }
}

/// Why no device could be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// USB itself is not usable (libusb failed to start, no replay file).
    Unavailable(String),
    /// Devices were seen but none was accepted (or none is present).
    NoMatch(Vec<String>),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Unavailable(m) => f.write_str(m),
            OpenError::NoMatch(notes) => {
                f.write_str("No matching HID UPS found")?;
                for n in notes {
                    write!(f, "\n{n}")?;
                }
                Ok(())
            }
        }
    }
}

/// What the caller thinks of a device it is shown while opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Use it.
    Accept,
    /// Skip it; the text (if any) is kept for the final error message.
    Reject(Option<String>),
}

/// One open HID device.
pub trait HidTransport {
    /// Who the device is.
    fn info(&self) -> &DeviceInfo;

    /// The HID report descriptor (GET_DESCRIPTOR, type 0x22).
    fn report_descriptor(&mut self) -> Result<Vec<u8>, UsbError>;

    /// GET_REPORT: the answer starts with the report ID byte (also for
    /// devices that number no reports: the byte is then 0). `len` counts
    /// the ID byte.
    fn get_report(&mut self, kind: ReportType, report_id: u8, len: usize) -> Result<Vec<u8>, UsbError>;

    /// SET_REPORT with `data` starting with the report ID byte. Returns the
    /// number of bytes the device took.
    fn set_report(&mut self, kind: ReportType, report_id: u8, data: &[u8]) -> Result<usize, UsbError>;

    /// Read the interrupt IN endpoint. `Ok(empty)` or `Err(Timeout)` both
    /// mean "nothing happened in time".
    fn interrupt_read(&mut self, max_len: usize, timeout: Duration) -> Result<Vec<u8>, UsbError>;

    /// A USB string descriptor (index > 0).
    fn string(&mut self, index: u8) -> Result<String, UsbError>;

    /// Whether the device has an interrupt IN endpoint at all.
    fn has_interrupt_in(&self) -> bool {
        true
    }
}

/// Finds and opens devices.
pub trait Opener {
    /// Every HID-class device present (identity only, nothing claimed).
    fn enumerate(&mut self) -> Result<Vec<DeviceInfo>, OpenError>;

    /// Open the first HID device `judge` accepts.
    fn open(&mut self, judge: &mut dyn FnMut(&DeviceInfo) -> Verdict) -> Result<Box<dyn HidTransport>, OpenError>;
}
