//! upsd's HTTP request-head parser: no panic on any bytes, the verdict
//! respects the caps, and a parsed head is self-contained (parsing just
//! its bytes gives the same request).
#![no_main]
use libfuzzer_sys::fuzz_target;
use nut_proto::http::{parse, percent_decode, Parse, MAX_HEAD, MAX_HEADERS};

fuzz_target!(|data: &[u8]| {
    match parse(data) {
        Parse::Incomplete => assert!(data.len() <= MAX_HEAD, "{} bytes still incomplete", data.len()),
        Parse::Bad(why) => {
            assert!(matches!(why.status(), 400 | 413 | 431 | 505));
            assert!(!why.reason().is_empty());
        }
        Parse::Done(req, used) => {
            assert!(used > 0 && used <= data.len());
            assert!(req.path.starts_with('/'), "path {:?}", req.path);
            assert!(!req.path.chars().any(char::is_control));
            assert!(req.headers.len() <= MAX_HEADERS);
            for (name, _) in &req.headers {
                assert!(!name.is_empty() && name.bytes().all(|b| !b.is_ascii_uppercase()), "{name:?}");
            }
            assert!(req.minor <= 1);
            assert_eq!(parse(&data[..used]), Parse::Done(req.clone(), used), "head not self-contained");
            let _ = req.keep_alive();
            let _ = req.query_param("since");
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(decoded) = percent_decode(text) {
            assert!(decoded.len() <= text.len());
        }
    }
});
