//! Differential run over the corpus: every nut-ddl `.dev` (and NUT's own data samples) is served
//! by NUT's dummy-ups + upsd and by ours, and `upsc <ups>@127.0.0.1:PORT` (NUT's upsc for both)
//! must match byte for byte, unless docs/differences.md lists the file with a reason.
//!
//! One upsd per side serves a batch of many UPS sections (`mode=dummy-once`) to keep it fast.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use compat::LineClient;
use nut_testkit::{diff_lines, Impl, Program, Sandbox};

const BATCH: usize = 50;

fn corpus_root() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus"));
    assert!(
        p.join("nut-ddl").is_dir() && p.join("nut-main-data").is_dir(),
        "corpus not found at {} (expected shared/corpus beside the repository, with nut-ddl/ and nut-main-data/)",
        p.display()
    );
    p
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "dev") {
            out.push(p);
        }
    }
}

/// All corpus inputs, as paths relative to the corpus root.
fn corpus_files(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    collect(&root.join("nut-ddl"), &mut files);
    let mut main: Vec<PathBuf> = std::fs::read_dir(root.join("nut-main-data"))
        .expect("read nut-main-data")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    main.sort();
    files.extend(main);
    files
        .iter()
        .map(|p| p.strip_prefix(root).expect("under corpus").to_string_lossy().into_owned())
        .collect()
}

/// Glob with `*` (any run of characters, `/` included) and `?` (one character).
fn glob_match(pat: &str, s: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pat.chars().collect(), s.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Rows of the "DDL differential" table in docs/differences.md: (glob, reason).
fn known_differences() -> Vec<(String, String)> {
    let path = nut_testkit::workspace_root().join("docs/differences.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut rows = Vec::new();
    let mut in_section = false;
    for line in text.lines() {
        if line.starts_with("## ") {
            in_section = line.to_ascii_lowercase().contains("ddl differential");
            continue;
        }
        if !in_section || !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 2 {
            continue;
        }
        let key = cells[0];
        if !(key.starts_with('`') && key.ends_with('`') && key.len() > 2) {
            continue; // header or separator row
        }
        let reason = cells[1].to_string();
        assert!(!reason.is_empty(), "docs/differences.md: row {key} has no reason");
        rows.push((key.trim_matches('`').to_string(), reason));
    }
    rows
}

/// Serve `files` (relative to `root`) with one upsd of `imp` and one dummy-ups of `imp` per file;
/// return `upsc` output (NUT's upsc, rendered) per file.
fn serve_batch(imp: Impl, root: &Path, files: &[(usize, String)]) -> BTreeMap<String, String> {
    let mut sb = Sandbox::new();
    let mut conf = String::new();
    for (i, f) in files {
        let data = std::fs::read(root.join(f)).unwrap_or_else(|e| panic!("read {f}: {e}"));
        let name = format!("d{i:03}.dev");
        std::fs::write(sb.etc().join(&name), data).expect("copy corpus file");
        conf.push_str(&format!("[d{i:03}]\n\tdriver = dummy-ups\n\tport = {name}\n\tmode = dummy-once\n\n"));
    }
    sb.write_ups_conf(&conf);
    sb.write_upsd_conf("");
    sb.write_upsd_users("");
    let drv_bin = imp.path(Program::DummyUps);
    let mut drivers = Vec::new();
    for (i, _) in files {
        let ups = format!("d{i:03}");
        let mut cmd = sb.command(&drv_bin);
        cmd.args(["-a", &ups, "-F"]);
        let id = sb.spawn(&format!("drv-{ups}"), cmd);
        drivers.push((ups, id));
    }
    // Every driver either creates its socket or exits; bounded.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pending: Vec<_> = drivers
            .iter()
            .filter(|(ups, id)| !sb.driver_socket("dummy-ups", ups).exists() && sb.exited(*id).is_none())
            .map(|(u, _)| u.clone())
            .collect();
        if pending.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            // Counted per file below (their upsc output will differ), not a harness failure.
            eprintln!("{imp}: drivers without a socket after 30 s: {pending:?}");
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let upsd = sb.try_start_upsd(imp, &["-F"]).unwrap_or_else(|e| panic!("{e}"));
    let live: Vec<String> = drivers
        .iter()
        .filter(|(ups, _)| sb.driver_socket("dummy-ups", ups).exists())
        .map(|(u, _)| u.clone())
        .collect();
    let port = sb.port();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut waiting = live;
    while !waiting.is_empty() {
        if let Ok(mut c) = LineClient::connect(port) {
            waiting.retain(|ups| {
                let r = c.request(&format!("GET VAR {ups} driver.name")).unwrap_or_default();
                let st = c.request(&format!("GET VAR {ups} ups.status")).unwrap_or_default();
                !r.starts_with("VAR ") || st.contains("\"WAIT\"")
            });
        }
        if waiting.is_empty() {
            break;
        }
        if sb.exited(upsd).is_some() {
            panic!("{imp} upsd exited while serving a corpus batch\n{}", sb.logs());
        }
        if Instant::now() >= deadline {
            eprintln!("{imp}: upsd serves no data for {waiting:?} after 30 s");
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut out = BTreeMap::new();
    for (i, f) in files {
        let o = sb.run_client(Impl::Nut, Program::Upsc, &[&sb.ups_spec(&format!("d{i:03}"))]).normalized();
        out.insert(f.clone(), o.render());
    }
    out
}

/// NUT's drivers start with `synchronous = auto` and, when a write to upsd's socket would
/// block, switch to `yes` and publish it: whether that happens depends on how busy the machine
/// is. Ours queues instead of blocking and stays `auto` (docs/differences.md, dummy-ups). The
/// outputs count as the same when that one line is the only difference.
fn same_but_for_sync_switch(nut: &str, ours: &str) -> bool {
    const NUT_SWITCHED: &str = "driver.parameter.synchronous: yes\n";
    const OURS_AUTO: &str = "driver.parameter.synchronous: auto\n";
    nut.contains(NUT_SWITCHED) && ours.contains(OURS_AUTO) && nut.replacen(NUT_SWITCHED, OURS_AUTO, 1) == ours
}

/// (identical count, differing-with-reason as (file, pattern, reason), failing as (file, diff))
type Outcome = (usize, Vec<(String, String, String)>, Vec<(String, String)>);

fn differential(files: &[String], left: Impl, right: Impl) -> Outcome {
    let root = corpus_root();
    let known = known_differences();
    let mut identical = 0;
    let mut with_reason = Vec::new();
    let mut failing = Vec::new();
    let indexed: Vec<(usize, String)> = files.iter().cloned().enumerate().collect();
    for chunk in indexed.chunks(BATCH) {
        let (a, b) = std::thread::scope(|s| {
            let ha = s.spawn(|| serve_batch(left, &root, chunk));
            let hb = s.spawn(|| serve_batch(right, &root, chunk));
            (ha.join(), hb.join())
        });
        let (a, b) = match (a, b) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => std::panic::resume_unwind(e),
        };
        for (_, f) in chunk {
            let (want, got) = (&a[f], &b[f]);
            if want == got || same_but_for_sync_switch(want, got) {
                identical += 1;
            } else if let Some((pat, reason)) = known.iter().find(|(p, _)| glob_match(p, f)) {
                with_reason.push((f.clone(), pat.clone(), reason.clone()));
            } else {
                failing.push((f.clone(), diff_lines(want, got)));
            }
        }
    }
    (identical, with_reason, failing)
}

fn report(label: &str, identical: usize, with_reason: &[(String, String, String)], failing: &[(String, String)]) {
    println!(
        "{label}: {identical} identical / {} differing-with-reason / {} failing",
        with_reason.len(),
        failing.len()
    );
    for (f, pat, reason) in with_reason {
        println!("  known: {f} (`{pat}`: {reason})");
    }
    if !failing.is_empty() {
        let mut msg = String::new();
        for (f, d) in failing.iter().take(20) {
            msg.push_str(&format!("=== {f} (- NUT, + ours)\n{d}"));
        }
        if failing.len() > 20 {
            msg.push_str(&format!("... and {} more failing files\n", failing.len() - 20));
        }
        let names: Vec<&str> = failing.iter().map(|(f, _)| f.as_str()).collect();
        panic!(
            "{label}: {} corpus files differ without a reason in docs/differences.md:\n{}\n{msg}",
            failing.len(),
            names.join("\n")
        );
    }
}

#[test]
fn ddl_differential() {
    Impl::Ours.path(Program::Upsd);
    Impl::Ours.path(Program::DummyUps);
    let files = corpus_files(&corpus_root());
    assert!(files.len() > 700, "corpus looks incomplete: {} files", files.len());
    let started = Instant::now();
    let (identical, with_reason, failing) = differential(&files, Impl::Nut, Impl::Ours);
    println!("({} files in {:?})", files.len(), started.elapsed());
    report("ddl differential", identical, &with_reason, &failing);
}

/// The harness itself: NUT against NUT over one batch must be identical (proves determinism).
#[test]
fn ddl_harness_nut_vs_nut() {
    let files = corpus_files(&corpus_root());
    let sample: Vec<String> = files.iter().step_by(files.len() / BATCH).take(BATCH).cloned().collect();
    let (identical, with_reason, failing) = differential(&sample, Impl::Nut, Impl::Nut);
    report("ddl harness (NUT vs NUT sample)", identical, &with_reason, &failing);
    assert_eq!(identical, sample.len());
}

#[test]
fn glob_rules() {
    assert!(glob_match("nut-ddl/*.dev", "nut-ddl/APC/x.dev"));
    assert!(glob_match("nut-main-data/evolution500.seq", "nut-main-data/evolution500.seq"));
    assert!(!glob_match("nut-ddl/APC/*", "nut-ddl/Eaton/x.dev"));
    assert!(glob_match("*__0?.dev", "a__01.dev"));
}

/// Whole corpus NUT against NUT (slow; run with `--ignored`): shows which files are
/// nondeterministic under NUT itself (e.g. `TIMER` files).
#[test]
#[ignore]
fn ddl_full_nut_vs_nut() {
    let files = corpus_files(&corpus_root());
    let (identical, with_reason, failing) = differential(&files, Impl::Nut, Impl::Nut);
    report("ddl full NUT vs NUT", identical, &with_reason, &failing);
}

#[test]
fn sync_switch_is_the_only_accepted_difference() {
    let nut = "exit: 0\ndriver.name: dummy-ups\ndriver.parameter.synchronous: yes\nups.status: OL\n";
    let ours = "exit: 0\ndriver.name: dummy-ups\ndriver.parameter.synchronous: auto\nups.status: OL\n";
    assert!(same_but_for_sync_switch(nut, ours));
    assert!(!same_but_for_sync_switch(ours, nut), "only NUT switches to yes");
    assert!(!same_but_for_sync_switch(nut, &ours.replace("OL", "OB")), "another difference still counts");
}
