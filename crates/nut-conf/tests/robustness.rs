//! No loader panics, whatever bytes it is given.
mod common;
use nut_conf::{cmdvartab, devfile, nutconf, ups, upsd, upsmon, upssched, users};
use std::path::Path;

fn all(text: &[u8]) {
    let p = Path::new("fuzz");
    let _ = ups::parse(text, p);
    let _ = upsd::parse(text, p);
    let _ = users::parse(text, p);
    let _ = upsmon::parse(text, p);
    let _ = upssched::parse(text, p);
    let _ = nutconf::parse(text, p);
    let _ = devfile::parse(text, p);
    let _ = cmdvartab::parse(text, p);
}

/// Words that steer the loaders into their less common branches.
const WORDS: &[&[u8]] = &[
    b"[", b"]", b"[a]", b"=", b"\"", b"\\", b"#", b"\n", b" ", b"\t", b"\r", b"\xc3\xa9", b"\x00", b":", b"@", b"[::1]",
    b"MONITOR", b"AT", b"LISTEN", b"ALLOW_FROM", b"NOTIFYFLAG", b"NOTIFYMSG", b"CERTHOST", b"TIMER", b"ALARM",
    b"upsmon", b"actions", b"password", b"MODE", b"'", b"$", b"START-TIMER", b"CANCEL-TIMER", b"EXECUTE", b"-1",
    b"99999999999999999999", b"0", b"1", b"ONBATT", b"*", b"+", b"SYSLOG", b"/", b"/33", b"VARDESC", b"driver.x:",
    b"SHUTDOWNCHARGE", b"%", b"export", b"ups@h:", b"x@[::1]:0",
];

#[test]
fn random_word_soup() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let mut text = Vec::new();
        let n = next() % 40;
        for _ in 0..n {
            let w = WORDS[(next() % WORDS.len() as u64) as usize];
            text.extend_from_slice(w);
            if next() % 3 == 0 {
                text.push(b' ');
            }
        }
        all(&text);
    }
}

#[test]
fn every_prefix_of_the_shipped_examples() {
    let root = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../etc"));
    // etc/ and its example setups (etc/examples/<setup>/...), every file.
    let mut dirs = vec![root];
    let mut files = 0;
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("etc/ readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read(&path).expect("file readable");
            for end in 0..=text.len() {
                all(&text[..end]);
            }
            files += 1;
        }
    }
    assert!(files >= 10, "only {files} sample files found under etc/");
}
