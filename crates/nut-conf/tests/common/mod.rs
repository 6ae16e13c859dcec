//! Helpers shared by the data-driven tests.
#![allow(dead_code)]

use nut_conf::{Parsed, Severity};
use std::path::{Path, PathBuf};

/// Diagnostics as `W3 message` / `E3 message` lines.
pub fn render_diags<T>(p: &Parsed<T>) -> Vec<String> {
    p.diagnostics
        .iter()
        .map(|d| {
            let s = match d.severity {
                Severity::Warning => 'W',
                Severity::Error => 'E',
            };
            format!("{s}{} {}", d.line, d.message)
        })
        .collect()
}

/// Compare rendered output with the expectation, where an expected
/// diagnostic line `W3 ~text` only needs to contain `text`.
pub fn assert_lines(input: &str, got: &[String], expected: &[&str]) {
    let ok = got.len() == expected.len()
        && got.iter().zip(expected).all(|(g, e)| match e.split_once(" ~") {
            Some((head, needle)) => g.starts_with(&format!("{head} ")) && g.contains(needle),
            None => g == e,
        });
    assert!(ok, "input:\n{input}\n--- got:\n{}\n--- expected:\n{}\n", got.join("\n"), expected.join("\n"));
}

/// The shared corpus next to the repository; panics with a clear message
/// when it is missing (CI always has it).
pub fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus"));
    assert!(
        dir.is_dir(),
        "test corpus not found at {}: check out the shared/ folder next to the repository",
        dir.display()
    );
    dir
}

/// Every file under `dir` whose name ends with one of `exts`, sorted.
pub fn files_with_ext(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| exts.contains(&e))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

pub fn p() -> &'static Path {
    Path::new("test.conf")
}
