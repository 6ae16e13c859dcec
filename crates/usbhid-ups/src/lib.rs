//! usbhid-ups: the NUT driver for USB HID Power Devices (UPSes that
//! speak the HID Power Device Class), and the USB part of `nut-scanner`.
//!
//! Code map:
//!
//! * [`transport`]: the device behind two traits, [`transport::Opener`]
//!   (find and open a device, again after an unplug) and
//!   [`transport::HidTransport`] (one open device: descriptor, reports,
//!   interrupt pipe, strings).
//! * [`usb`]: the libusb implementation (through `rusb`, explicit
//!   context). [`replay`]: a recorded device served from a file
//!   (`-x replay=FILE`), with scripted changes and faults.
//! * [`driver`]: options, matching, the poll cycle, reconnection,
//!   SET/INSTCMD and `-k`, on `nut_hid::HidUps` (the pure HID-to-NUT
//!   mapping) and the `nut_driver` framework (socket, state table, loop).
//! * [`scanner`]: `nut-scanner -U`.
//! * [`regex`]: the POSIX-style matcher for the matching options.
//!
//! Invariants: nothing here exits on a device fault (the driver marks its
//! data stale and retries once per poll interval); every transfer has a
//! timeout; no USB call is made outside the transports.

#![forbid(unsafe_code)]

pub mod driver;
pub mod regex;
pub mod replay;
pub mod scanner;
pub mod transport;
pub mod usb;

pub use driver::UsbHidUps;

/// Run the driver with `args` (program name first); the process status.
pub fn run(args: Vec<String>) -> std::process::ExitCode {
    nut_driver::run(UsbHidUps::default(), args)
}
