//! The shared parseconf lexer: no panic on any bytes, and every word it
//! produces obeys the limits and survives quote + re-lex unchanged.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nut_proto::lexer::{self, Lexer, Step, MAX_ARGS, MAX_WORD_LEN};

fn check_words(words: &[String]) {
    assert!(words.len() <= MAX_ARGS, "{} words", words.len());
    for w in words {
        assert!(w.len() <= MAX_WORD_LEN, "word of {} bytes", w.len());
        assert!(w.bytes().all(|b| (0x20..=0x7f).contains(&b)), "byte outside 0x20..=0x7f kept: {w:?}");
        let back = lexer::split_line(&lexer::quote(w)).expect("a quoted word always lexes");
        assert_eq!(back, vec![w.clone()], "quote/split changed {w:?}");
    }
    // The whole line, every word quoted, gives the same words back.
    let joined: Vec<String> = words.iter().map(|w| lexer::quote(w)).collect();
    assert_eq!(lexer::split_line(&joined.join(" ")).expect("quoted line lexes"), words);
    // And with quote_if_needed (what clients send).
    let joined: Vec<String> = words.iter().map(|w| lexer::quote_if_needed(w)).collect();
    assert_eq!(lexer::split_line(&joined.join("\t")).expect("line lexes"), words);
}

fuzz_target!(|data: &[u8]| {
    let mut lx = Lexer::new();
    for &b in data {
        if let Step::Line(words) = lx.push(b) {
            check_words(&words);
        }
    }
    if let Some(words) = lx.finish() {
        check_words(&words);
    }
    assert!(lx.is_idle());
    let physical = data.iter().filter(|&&b| b == b'\n').count() + 1;
    for l in lexer::split_text(data) {
        assert!(l.line >= 1 && l.line <= physical, "line {} of {physical}", l.line);
        if let Ok(words) = &l.words {
            assert!(!words.is_empty());
            check_words(words);
        }
    }
});
