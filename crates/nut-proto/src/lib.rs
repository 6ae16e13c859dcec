//! Pure NUT protocol pieces: the shared word splitter, the network protocol
//! between upsd and its clients, the driver socket protocol, and the variable
//! table both sides keep. Nothing in this crate does I/O.
#![forbid(unsafe_code)]

pub mod lexer;
