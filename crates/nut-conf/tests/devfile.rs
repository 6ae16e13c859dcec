//! Data-driven tests of the dummy-ups data file loader, and the corpus.
mod common;
use common::{assert_lines, corpus_dir, files_with_ext, p, render_diags};
use nut_conf::devfile::{self, Entry, MAX_VALUE_LEN};

fn check(input: &[u8], expected: &[&str]) {
    let parsed = devfile::parse(input, p());
    let mut got: Vec<String> = parsed
        .value
        .entries
        .iter()
        .map(|l| match &l.entry {
            Entry::Set { var, value } => format!("{} set {var} = {value:?}", l.line),
            Entry::Delete { var } => format!("{} del {var}", l.line),
            Entry::Timer { secs } => format!("{} timer {secs}", l.line),
            Entry::Alarm { text } => format!("{} alarm {text:?}", l.line),
        })
        .collect();
    got.extend(render_diags(&parsed));
    assert_lines(&String::from_utf8_lossy(input), &got, expected);
}

#[test]
fn set_lines() {
    check(
        b"# comment\nbattery.charge: 90\nups.status: OB  LB\nups.mfr: \"EATON\"\n",
        &["2 set battery.charge = \"90\"", "3 set ups.status = \"OB LB\"", "4 set ups.mfr = \"EATON\""],
    );
}

#[test]
fn words_rejoined_with_single_spaces() {
    // dummy-ups 2.8.0 published `a b  c d = e` for this line (live check):
    // the quoted word keeps its inner spaces, `=` is a word of its own.
    check(b"ups.model:    a    \"b  c\"   d=e\n", &["1 set ups.model = \"a b  c d = e\""]);
}

#[test]
fn inline_comment_and_non_ascii() {
    // Live 2.8.0: `abc #COMMENT` -> "abc", `caf\xc3\xa9` -> "caf".
    check(b"device.serial: abc #COMMENT\nups.id: caf\xc3\xa9\n", &["1 set device.serial = \"abc\"", "2 set ups.id = \"caf\""]);
}

#[test]
fn value_is_cut_to_127_bytes() {
    // Live 2.8.0: a 200-character value came back 127 characters long.
    let line = format!("ups.mfr: {}\n", "x".repeat(200));
    let parsed = devfile::parse(line.as_bytes(), p());
    match &parsed.value.entries[0].entry {
        Entry::Set { value, .. } => assert_eq!(value.len(), 127),
        other => panic!("{other:?}"),
    }
    assert_eq!(MAX_VALUE_LEN, 127);
}

#[test]
fn empty_value_deletes_and_driver_vars_are_skipped() {
    check(
        b"driver.name: usbhid-ups\ndriver.parameter.port: auto\nups.alarm:\ndevice.serial:    \n",
        &["3 del ups.alarm", "4 del device.serial"],
    );
}

#[test]
fn colon_cut_at_first_colon_and_missing_colon() {
    check(b"ups.status OL\nvar:x: 1\n: 5\n", &["1 set ups.status = \"OL\"", "2 set var = \"1\"", "W3 ~expected '<variable>: <value>'"]);
}

#[test]
fn timers_and_alarms() {
    check(
        b"ups.status: OB\nTIMER 5\nups.status: OL\nTIMER\nTIMER x\nTIMER -3\nALARM Replace battery!\nALARM\n",
        &[
            "1 set ups.status = \"OB\"",
            "2 timer 5",
            "3 set ups.status = \"OL\"",
            "4 timer 0",
            "5 timer 0",
            "6 timer 0",
            "7 alarm Some(\"Replace battery!\")",
            "8 alarm None",
            "W4 ~TIMER without a number",
            "W5 ~TIMER \"x\"",
        ],
    );
    let f = devfile::parse(b"a: 1\nTIMER 5\nb: 2\n", p()).value;
    assert!(f.has_timers());
    assert_eq!(f.until_first_timer().len(), 1);
}

#[test]
fn nit_dummy_seq() {
    check(b"ups.status: OB\nTIMER 5\nups.status: OL\nTIMER 5\n", &["1 set ups.status = \"OB\"", "2 timer 5", "3 set ups.status = \"OL\"", "4 timer 5"]);
}

#[test]
fn lexer_error_skips_line() {
    // The lexer resumes after the bad '#', as NUT's does, so the tail `b"`
    // reads as a variable with no value.
    check(b"ups.mfr: \"a#b\"\nups.model: m\n", &["1 del b\"", "2 set ups.model = \"m\"", "W1 ~line ignored"]);
}

#[test]
fn crlf_lines() {
    check(b"ups.status: OL\r\nbattery.charge: 100\r\n", &["1 set ups.status = \"OL\"", "2 set battery.charge = \"100\""]);
}

#[test]
fn whole_corpus_parses() {
    let dir = corpus_dir();
    let mut files = files_with_ext(&dir.join("nut-ddl"), &["dev", "seq"]);
    files.extend(files_with_ext(&dir.join("nut-main-data"), &["dev", "seq"]));
    assert!(files.len() >= 700, "expected the whole NUT DDL in the corpus, found {} files", files.len());
    let (mut sets, mut deletes, mut timers, mut diags) = (0usize, 0usize, 0usize, 0usize);
    for file in &files {
        let text = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let parsed = devfile::parse(&text, file);
        assert!(!parsed.has_errors(), "{}: {:?}", file.display(), parsed.diagnostics);
        diags += parsed.diagnostics.len();
        assert!(!parsed.value.entries.is_empty(), "{}: no entries", file.display());
        for l in &parsed.value.entries {
            match &l.entry {
                Entry::Set { var, value } => {
                    assert!(!var.is_empty() && !var.starts_with("driver."));
                    assert!(value.len() <= MAX_VALUE_LEN && value.is_ascii());
                    sets += 1;
                }
                Entry::Delete { .. } => deletes += 1,
                Entry::Timer { .. } => timers += 1,
                Entry::Alarm { .. } => {}
            }
        }
    }
    eprintln!("{} files: {sets} set, {deletes} delete, {timers} timer entries, {diags} diagnostics", files.len());
    assert!(sets > 20_000, "only {sets} variables in the corpus");
    assert!(deletes > 0, "the corpus has empty values");
    assert!(timers > 0, "evolution500.seq has TIMER lines");
}

#[test]
fn evolution500_sequence() {
    let path = corpus_dir().join("nut-main-data/evolution500.seq");
    let text = std::fs::read(&path).expect("evolution500.seq");
    let parsed = devfile::parse(&text, &path);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let f = parsed.value;
    assert!(f.has_timers());
    let first = f.until_first_timer();
    assert!(first.iter().any(|l| l.entry == Entry::Set { var: "battery.charge".into(), value: "90".into() }));
}
