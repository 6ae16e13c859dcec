//! upsd
