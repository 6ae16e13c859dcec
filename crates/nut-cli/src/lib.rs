//! nut-cli
