//! nut-client
