//! nut-hid
