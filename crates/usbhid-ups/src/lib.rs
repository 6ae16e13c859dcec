//! usbhid-ups
