//! libusb-replay: a test-only stand-in for `libusb-1.0.so.0` that serves one
//! recorded HID UPS from a corpus capture file, so that NUT's own
//! `usbhid-ups` and our rusb-based driver can run without USB hardware.
//!
//! * [`script`], [`identity`] and [`model`] are pure: the script format, who
//!   the device says it is, and the simulated device (descriptors, report
//!   memory, interrupt queue, faults).
//! * [`ffi`] is the C interface with libusb's exact struct layouts and error
//!   codes; it owns the clock, the global lock and the call log. It is the
//!   only module with unsafe code, each block carrying a `SAFETY:` comment.
//!
//! Configuration is by environment: `LIBUSB_REPLAY_FILE`,
//! `LIBUSB_REPLAY_SCRIPT`, `LIBUSB_REPLAY_LOG` (see README.md).

pub mod ffi;
pub mod identity;
pub mod model;
pub mod script;
