//! upsdrvctl
