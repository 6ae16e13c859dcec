//! upssched
