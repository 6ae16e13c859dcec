//! Session scripts shared by the transcript tests.
//!
//! A script line is `<conn>: <request>`, where `<conn>` is a letter naming a
//! client connection (opened on first use). `$LAST` in a request stands for
//! the last tracking id this connection was given. Directives:
//! `<conn>: !sleep <seconds>` and `<conn>: !close`.
//!
//! A transcript shows each request as `<conn>> <request>` (as written in
//! the script), each reply line as `<conn>< <line>`, tracking ids replaced
//! by `<UUID>`, `(no reply)` when nothing came, `EOF` when the server closed
//! the connection after `OK Goodbye`. Directives are copied as they are.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("data")
}

pub fn read_data(name: &str) -> String {
    std::fs::read_to_string(data_dir().join(name)).expect("test data file")
}

#[derive(Debug, Clone)]
pub enum Step {
    Request { conn: char, text: String },
    Sleep { conn: char, secs: f64 },
    Close { conn: char },
}

pub fn parse_script(text: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (conn, rest) = line.split_once(':').expect("script line has a ':'");
        let conn = conn.chars().next().expect("connection letter");
        let req = rest.strip_prefix(' ').unwrap_or(rest);
        if let Some(secs) = req.strip_prefix("!sleep ") {
            steps.push(Step::Sleep { conn, secs: secs.trim().parse().expect("seconds") });
        } else if req == "!close" {
            steps.push(Step::Close { conn });
        } else {
            steps.push(Step::Request { conn, text: req.to_string() });
        }
    }
    steps
}

/// Find an upper-case UUIDv4 in `line`.
pub fn find_uuid(line: &str) -> Option<(usize, String)> {
    let b = line.as_bytes();
    if b.len() < 36 {
        return None;
    }
    'outer: for start in 0..=b.len() - 36 {
        for (i, &c) in b[start..start + 36].iter().enumerate() {
            let ok = match i {
                8 | 13 | 18 | 23 => c == b'-',
                14 => c == b'4',
                19 => matches!(c, b'8' | b'9' | b'A' | b'B'),
                _ => c.is_ascii_digit() || (b'A'..=b'F').contains(&c),
            };
            if !ok {
                continue 'outer;
            }
        }
        return Some((start, line[start..start + 36].to_string()));
    }
    None
}

/// Replace a tracking id by `<UUID>`, returning the id found.
pub fn normalize(line: &str) -> (String, Option<String>) {
    match find_uuid(line) {
        Some((at, id)) => (format!("{}<UUID>{}", &line[..at], &line[at + 36..]), Some(id)),
        None => (line.to_string(), None),
    }
}

/// Print a readable difference and fail.
pub fn assert_same(want: &str, got: &str, what: &str) {
    if want == got {
        return;
    }
    let w: Vec<&str> = want.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    let mut msg = format!("{what}: transcripts differ\n");
    for i in 0..w.len().max(g.len()) {
        let a = w.get(i).copied().unwrap_or("<missing>");
        let b = g.get(i).copied().unwrap_or("<missing>");
        if a != b {
            msg.push_str(&format!("line {}:\n  want: {a}\n  got:  {b}\n", i + 1));
            if msg.len() > 4000 {
                break;
            }
        }
    }
    panic!("{msg}");
}
