//! nut-driver
