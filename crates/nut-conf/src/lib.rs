//! nut-conf
