//! Network protocol: any line that parses as a request renders back to a
//! line that parses to the same request (and renders the same again); reply
//! values survive quoting.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nut_proto::lexer::split_line;
use nut_proto::net::{render_request, value_line, Command, Request};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(words) = split_line(&text) else { return };
    if let Some(cmd) = words.first().and_then(|w| Command::from_word(w)) {
        let _ = cmd.needs_user();
        assert_eq!(Command::from_word(cmd.as_str()), Some(cmd));
    }
    for w in &words {
        let mut out = String::new();
        value_line(&mut out, "VAR", &["ups", "ups.status"], w);
        let back = split_line(&out).expect("a VAR line lexes");
        assert_eq!(back.len(), 4, "{out:?}");
        assert_eq!(&back[3], w, "{out:?}");
    }
    let Ok(req) = Request::parse(&words) else { return };
    let line = render_request(&req);
    assert!(line.ends_with('\n') && line.matches('\n').count() == 1, "{line:?}");
    let words2 = split_line(&line).expect("a rendered request lexes");
    let req2 = Request::parse(&words2).unwrap_or_else(|e| panic!("rendered {line:?} does not parse: {e:?}"));
    assert_eq!(req, req2, "rendered as {line:?}");
    assert_eq!(render_request(&req2), line);
});
