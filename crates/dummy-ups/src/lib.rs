//! dummy-ups
