//! nut-conf `nutconf` loader: never panics; diagnostics point at real lines.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let parsed = nut_conf::nutconf::parse(data, Path::new("fuzz.conf"));
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    for d in &parsed.diagnostics {
        assert!(d.line <= lines, "diagnostic on line {} of {lines}: {d}", d.line);
        let shown = d.to_string();
        assert!(shown.starts_with("fuzz.conf:"), "{shown}");
    }
    let _ = format!("{:?}", parsed.value);
    let _ = parsed.has_errors();
});
