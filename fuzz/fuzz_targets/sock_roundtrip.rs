//! Driver socket protocol: each message that parses renders back to a line
//! that parses to the same message (both directions), and a state table's
//! dump rebuilds the same table.
//!
//! Known issue (found by this target, reported to the nut-proto owner):
//! `DriverMsg::render` and `ServerMsg::DumpValue` write variable, command
//! and tracking names without quoting, so a name the lexer can only produce
//! from a quoted or escaped word (`SETINFO "a b" "c"`) renders as a
//! different message. Until render quotes names (`quote_if_needed`), such
//! messages are skipped unless NUT_FUZZ_STRICT_NAMES is set at build time.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nut_proto::lexer::{split_line, split_text};
use nut_proto::sock::{render_dump, DriverMsg, ServerMsg};
use nut_proto::StateTable;

const STRICT_NAMES: bool = option_env!("NUT_FUZZ_STRICT_NAMES").is_some();

/// A name that survives being written as a bare word.
fn plain(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\\' | b'#' | b'='))
}

fn driver_names(m: &DriverMsg) -> Vec<&str> {
    match m {
        DriverMsg::SetInfo { var, .. }
        | DriverMsg::DelInfo { var }
        | DriverMsg::AddEnum { var, .. }
        | DriverMsg::DelEnum { var, .. }
        | DriverMsg::AddRange { var, .. }
        | DriverMsg::DelRange { var, .. }
        | DriverMsg::SetAux { var, .. }
        | DriverMsg::SetFlags { var, .. } => vec![var],
        DriverMsg::AddCmd { cmd } | DriverMsg::DelCmd { cmd } => vec![cmd],
        DriverMsg::Tracking { id, .. } => vec![id],
        _ => vec![],
    }
}

fn server_names(m: &ServerMsg) -> Vec<&str> {
    match m {
        ServerMsg::DumpValue { var } => vec![var],
        _ => vec![],
    }
}

fuzz_target!(|data: &[u8]| {
    let mut table = StateTable::new();
    for line in split_text(data) {
        let Ok(words) = line.words else { continue };
        if let Ok(msg) = DriverMsg::parse(&words) {
            if STRICT_NAMES || driver_names(&msg).into_iter().all(plain) {
                let text = msg.render();
                let again = split_line(&text).expect("rendered driver message lexes");
                let back = DriverMsg::parse(&again).unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
                assert_eq!(msg, back, "rendered as {text:?}");
                msg.apply(&mut table);
            }
        }
        if let Ok(msg) = ServerMsg::parse(&words) {
            if STRICT_NAMES || server_names(&msg).into_iter().all(plain) {
                let text = msg.render();
                let again = split_line(&text).expect("rendered server message lexes");
                let back = ServerMsg::parse(&again).unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
                assert_eq!(msg, back, "rendered as {text:?}");
            }
        }
    }
    for stale in [false, true] {
        let dump = render_dump(&table, stale);
        let mut copy = StateTable::new();
        for line in split_text(dump.as_bytes()) {
            let words = line.words.expect("dump lines lex");
            let msg = DriverMsg::parse(&words).unwrap_or_else(|e| panic!("dump line {words:?}: {e}"));
            msg.apply(&mut copy);
        }
        assert_eq!(table, copy, "dump:\n{dump}");
    }
});
