//! For every program we install, the options its `-h` output names and the
//! options its manual page documents are the same set.
//!
//! The programs are found, not listed: every binary of the workspace (the
//! `[[bin]]`s and the crates with `src/main.rs`) except the benchmark
//! tools (binaries of the test rigs under tests/ are not looked at). Help texts come in NUT's several styles (`  -c <cmd>\ttext`,
//! `  -a <id>        - text`, `  -C, --complete_scan: text`, and the
//! options on `usage:` lines); a manual page's options are those of its
//! SYNOPSIS and of its `.TP` tags, plus those of nutupsdrv(8) for a
//! driver whose page defers to it for the common options.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nut_testkit::{workspace_root, Impl};

/// Workspace binaries that are not installed (benchmark tools).
const NOT_INSTALLED: &[&str] = &["nut-loadgen"];

/// `-x`, `-FF`, `--rehearse`, `--usb_scan`.
fn is_flag(tok: &str) -> bool {
    let body = tok.strip_prefix("--").or_else(|| tok.strip_prefix('-'));
    match body {
        Some(b) => {
            b.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                && b.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        }
        None => false,
    }
}

/// Split `text` into candidate words: whitespace and the punctuation
/// synopses use around options; `=value` and trailing `:`/`,`/`.` cut off.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "[]()|{}\"".contains(c))
        .map(|w| w.split('=').next().unwrap_or("").trim_end_matches([':', ',', '.', ';']).to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Options named by a help text.
fn help_flags(help: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_usage = false;
    for line in help.lines() {
        let trimmed = line.trim_start();
        if trimmed.to_ascii_lowercase().starts_with("usage:") {
            in_usage = true;
        } else if trimmed.is_empty() {
            in_usage = false;
        }
        if in_usage {
            out.extend(words(trimmed).into_iter().filter(|w| is_flag(w)));
            continue;
        }
        // an option line: the flags it starts with (`-C, --complete_scan:`)
        for w in words(trimmed) {
            if !is_flag(&w) {
                break;
            }
            out.insert(w);
        }
    }
    out
}

/// roff to plain text, enough for option names.
fn deroff(line: &str) -> String {
    let mut s = line.replace("\\-", "-").replace("\\&", "").replace("\\(em", " ");
    for font in ["\\fB", "\\fI", "\\fR", "\\fP"] {
        s = s.replace(font, "");
    }
    s
}

/// Options a manual page documents.
fn man_flags(page: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_synopsis = false;
    let mut tag_next = false;
    for raw in page.lines() {
        if raw.starts_with(".SH") {
            in_synopsis = raw.contains("SYNOPSIS");
            tag_next = false;
            continue;
        }
        if raw.starts_with(".TP") {
            tag_next = true;
            continue;
        }
        let line = deroff(raw);
        if in_synopsis || tag_next {
            out.extend(words(&line).into_iter().filter(|w| is_flag(w)));
        }
        tag_next = false;
    }
    out
}

/// The installed programs: every workspace binary but the benchmarks.
fn programs(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // tests/ holds test rigs (their helper binaries are not installed)
    for dir in ["crates"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        for e in entries.flatten() {
            let Ok(toml) = std::fs::read_to_string(e.path().join("Cargo.toml")) else { continue };
            let mut lines = toml.lines().map(str::trim);
            let name_of = |l: &str| l.strip_prefix("name").map(|r| r.trim_start_matches([' ', '=']).trim_matches('"').to_string());
            let mut package = None;
            while let Some(l) = lines.next() {
                if l == "[package]" {
                    package = lines.find_map(name_of);
                } else if l == "[[bin]]" {
                    if let Some(n) = lines.find_map(name_of) {
                        out.insert(n);
                    }
                }
            }
            if e.path().join("src/main.rs").exists() {
                if let Some(p) = package {
                    out.insert(p);
                }
            }
        }
    }
    out.retain(|p| !NOT_INSTALLED.contains(&p.as_str()));
    out
}

/// `<program> -h`, stdout and stderr together, bounded in time.
fn help_of(bin: &Path) -> String {
    let mut child = Command::new(bin)
        .arg("-h")
        .env_remove("UPSNAME")
        .env_remove("NOTIFYTYPE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e} (build the workspace first)", bin.display()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{} -h did not finish", bin.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn parsers_handle_nut_styles() {
    let help = "usage: upscmd [-u <username>] [-w] <ups>\n\n  -h\t\tshow this help\n  -c <cmd>\tsignal:\n\t\t - fsd: go\n\
                \x20 -C, --complete_scan: Scan all\n  -a <id>        - autoconfig\n                 - note: -x after -a\n\
                \x20 --rehearse[=<file.seq>]\n  -FF\t\tboth\nSet delay : -x offdelay=<value>\n";
    let got: Vec<String> = help_flags(help).into_iter().collect();
    assert_eq!(got, ["--complete_scan", "--rehearse", "-C", "-FF", "-a", "-c", "-h", "-u", "-w"]);
    let page = ".SH SYNOPSIS\n.B upsmon\n.RB [ \\-D ...]\n.B upsmon \\-\\-rehearse\\fR[\\fB=\\fIfile.seq\\fR]\n\
                .SH DESCRIPTION\nrun \\-x here is prose\n.TP\n.BR \\-U \", \" \\-\\-usb_scan\nScan.\n.TP\n.BI pollfreq= n\n\
                .TP\n.BI \\-u \" user\"\n";
    let got: Vec<String> = man_flags(page).into_iter().collect();
    assert_eq!(got, ["--rehearse", "--usb_scan", "-D", "-U", "-u"]);
}

#[test]
fn help_and_manual_page_name_the_same_options() {
    let root = workspace_root();
    let progs = programs(&root);
    for must in
        ["upsd", "upsmon", "upssched", "upsc", "upscmd", "upsrw", "upsdrvctl", "dummy-ups", "usbhid-ups", "nut-scanner", "nut-check"]
    {
        assert!(progs.contains(must), "{must} not found among the workspace binaries: {progs:?}");
    }
    let bindir: PathBuf = Impl::ours_bin_dir();
    let mut problems = Vec::new();
    let mut compared = Vec::new();
    for prog in &progs {
        let page_path = root.join("man").join(format!("{prog}.8"));
        let Ok(page) = std::fs::read_to_string(&page_path) else {
            problems.push(format!("{prog}: no manual page {}", page_path.display()));
            continue;
        };
        let mut documented = man_flags(&page);
        // a driver's page defers to nutupsdrv(8) for the common options
        // (a mention under SEE ALSO alone does not count)
        let body: Vec<&str> =
            page.lines().take_while(|l| !(l.starts_with(".SH") && l.contains("SEE ALSO"))).collect();
        if body.iter().any(|l| l.starts_with(".BR nutupsdrv (8)")) {
            let common = std::fs::read_to_string(root.join("man/nutupsdrv.8")).expect("man/nutupsdrv.8");
            documented.extend(man_flags(&common));
        }
        let help = help_of(&bindir.join(prog));
        let listed = help_flags(&help);
        compared.push(format!("{prog}: {}", listed.iter().cloned().collect::<Vec<_>>().join(" ")));
        let only_help: Vec<&String> = listed.difference(&documented).collect();
        let only_man: Vec<&String> = documented.difference(&listed).collect();
        if !only_help.is_empty() || !only_man.is_empty() {
            problems.push(format!(
                "{prog}: in -h but not in man/{prog}.8: {only_help:?}; in man/{prog}.8 but not in -h: {only_man:?}"
            ));
        }
    }
    assert!(problems.is_empty(), "help and manual pages disagree:\n{}", problems.join("\n"));
    // upssched takes no option (its -h is refused like any other call
    // outside upsmon); every other program has some
    let empty: Vec<&String> = compared.iter().filter(|c| c.ends_with(": ")).collect();
    assert!(empty.iter().all(|c| c.starts_with("upssched:")), "no options found in the help of {empty:?}");
    eprintln!("{}", compared.join("\n"));
}
