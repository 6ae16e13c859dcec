//! nut-testkit
