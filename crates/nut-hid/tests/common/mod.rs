//! Shared helpers: where the corpus is and how to load it.
#![allow(dead_code)]

use nut_hid::corpus::Capture;
use std::path::PathBuf;

/// `/work/shared/corpus` relative to the workspace root.
pub fn corpus_dir() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus"));
    assert!(
        p.join("hid").is_dir(),
        "corpus not found at {} (expected ../shared/corpus beside the workspace); \
         these tests read the recorded UPS data from there",
        p.display()
    );
    p
}

/// Every capture file, sorted by name.
pub fn captures() -> Vec<(String, Capture)> {
    let dir = corpus_dir().join("hid");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("read corpus/hid")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(dir.join(&n)).expect("read capture");
            let c = Capture::parse(&text).unwrap_or_else(|e| panic!("{n}: {e}"));
            (n, c)
        })
        .collect()
}
