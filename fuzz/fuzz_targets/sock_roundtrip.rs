//! Driver socket protocol: each message that parses renders back to a line
//! that parses to the same message (both directions), and a state table's
//! dump rebuilds the same table.
//!
//! This target once found that names the lexer can only read from a quoted
//! word (`SETINFO "a b" "c"`) rendered bare; render now quotes them, and
//! `sock::tests::names_that_need_quotes_round_trip` keeps that fixed.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nut_proto::lexer::{split_line, split_text};
use nut_proto::sock::{render_dump, DriverMsg, ServerMsg};
use nut_proto::StateTable;

fuzz_target!(|data: &[u8]| {
    let mut table = StateTable::new();
    for line in split_text(data) {
        let Ok(words) = line.words else { continue };
        if let Ok(msg) = DriverMsg::parse(&words) {
            let text = msg.render();
            let again = split_line(&text).expect("rendered driver message lexes");
            let back = DriverMsg::parse(&again).unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
            assert_eq!(msg, back, "rendered as {text:?}");
            msg.apply(&mut table);
        }
        if let Ok(msg) = ServerMsg::parse(&words) {
            let text = msg.render();
            let again = split_line(&text).expect("rendered server message lexes");
            let back = ServerMsg::parse(&again).unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
            assert_eq!(msg, back, "rendered as {text:?}");
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
