//! nut-daemon
