//! Pure NUT protocol pieces: the shared word splitter, the network protocol
//! between upsd and its clients, the driver socket protocol, and the variable
//! table both sides keep. Nothing in this crate does I/O.
#![forbid(unsafe_code)]

pub mod lexer;
pub mod net;
pub mod errcode;
pub mod sock;
pub mod state;
pub mod upsspec;

pub use errcode::ErrCode;
pub use lexer::{quote, split_line, Lexer, Step};
pub use state::{StateTable, Var, VarFlags};
pub use upsspec::UpsSpec;
