//! Pure NUT protocol pieces: the shared word splitter, the network protocol
//! between upsd and its clients, the driver socket protocol, the variable
//! table both sides keep, and the HTTP request heads of upsd's status page.
//! Nothing in this crate does I/O.
#![forbid(unsafe_code)]

pub mod lexer;
pub mod net;
pub mod calendar;
pub mod errcode;
pub mod http;
pub mod sock;
pub mod state;
pub mod upsspec;

pub use errcode::ErrCode;
pub use lexer::{quote, split_line, Lexer, Step};
pub use state::{StateTable, Var, VarFlags};
pub use upsspec::UpsSpec;
