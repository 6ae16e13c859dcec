//! (d) NUT 2.8.0's own usbhid-ups and ours, side by side on every
//! recorded device, both talking libusb to the test-only replay library
//! (crates/libusb-replay) that stands in for libusb-1.0.so.0. Our driver
//! is built here with `--no-default-features` (system libusb, so the
//! stand-in is used) into its own target directory. Each driver dumps its
//! variables (`-d 1`, the table upsd would serve to upsc) and the dumps
//! are compared variable by variable. Every difference must be listed in
//! KNOWN below with its reason; anything else fails. nut-scanner -U is
//! compared the same way for the first device.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;

/// Differences we know of: (device or `*`, variable, reason). Every one
/// must still occur (a stale entry fails too). None is left: the nut-hid
/// tables were rewritten from what NUT 2.8.0 does on these recordings.
const KNOWN: &[(&str, &str, &str)] = &[];

fn target_root() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    exe.parent().and_then(Path::parent).and_then(Path::parent).expect("target dir").to_path_buf()
}

/// Build our binaries against the system libusb and the replay library.
/// Returns (bin dir, dir holding libusb-1.0.so.0), or why not.
fn build() -> Result<(PathBuf, PathBuf), String> {
    let dir = target_root().join("usbhid-sysusb");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "-p", "usbhid-ups", "-p", "libusb-replay", "--no-default-features", "--target-dir"])
        .arg(&dir)
        .output()
        .map_err(|e| format!("cargo: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let lib = dir.join("replay-lib");
    std::fs::create_dir_all(&lib).map_err(|e| e.to_string())?;
    let link = lib.join("libusb-1.0.so.0");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(dir.join("debug/libusb_1_0.so"), &link).map_err(|e| e.to_string())?;
    Ok((dir.join("debug"), lib))
}

/// NUT 2.8.0's driver (the oracle) and our programs built against the
/// system libusb and the replay library: (bin dir, replay library dir).
/// Without them the tests fail saying what to install.
fn prerequisites() -> (PathBuf, PathBuf) {
    assert!(
        Path::new("/lib/nut/usbhid-ups").exists(),
        "NUT 2.8.0's /lib/nut/usbhid-ups is not installed (scripts/install-deps.sh installs what this test needs)"
    );
    build().unwrap_or_else(|e| {
        panic!("cannot build against the system libusb and the replay library:\n{e} (scripts/install-deps.sh installs what this test needs)")
    })
}

fn known(device: &str, var: &str) -> Option<&'static str> {
    KNOWN.iter().find(|(d, v, _)| (*d == "*" || *d == device) && *v == var).map(|(_, _, r)| *r)
}

fn dump(program: &Path, conf: &Path, lib: &Path, capture: &Path, name: &str) -> (BTreeMap<String, String>, String) {
    let mut c = Command::new(program);
    c.args(["-a", name, "-u", "root", "-d", "1"])
        .env("NUT_CONFPATH", conf)
        .env("NUT_STATEPATH", conf)
        .env("NUT_ALTPIDPATH", conf)
        .env("LD_LIBRARY_PATH", lib)
        .env("LIBUSB_REPLAY_FILE", capture)
        .env_remove("LIBUSB_REPLAY_SCRIPT")
        .env_remove("NUT_DEBUG_LEVEL");
    let out = run_bounded(c, Duration::from_secs(30));
    (parse_vars(&out.0), out.1)
}

fn run_bounded(mut c: Command, limit: Duration) -> (String, String) {
    use std::process::Stdio;
    let mut child = c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn same_variables_as_nut_on_every_recorded_device() {
    let (bin, lib) = prerequisites();
    let conf = tempdir("dump");
    write_conf(&conf, "");
    let caps = captures();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = caps
            .chunks(6)
            .map(|chunk| {
                let (bin, lib, conf) = (&bin, &lib, &conf);
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|c| {
                            let name = ups_name(c);
                            let nut = dump(Path::new("/lib/nut/usbhid-ups"), conf, lib, c, &name);
                            let ours = dump(&bin.join("usbhid-ups"), conf, lib, c, &name);
                            (name, nut, ours)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("thread")).collect()
    });
    let mut table = Vec::new();
    let mut unexplained = Vec::new();
    let (mut devices, mut matched) = (0, 0);
    for (name, (nut, nut_err), (ours, our_err)) in &results {
        assert!(!nut.is_empty(), "{name}: NUT's driver dumped nothing:\n{nut_err}");
        assert!(!ours.is_empty(), "{name}: our driver dumped nothing:\n{our_err}");
        devices += 1;
        let keys: std::collections::BTreeSet<&String> = nut.keys().chain(ours.keys()).collect();
        for k in keys {
            let (a, b) = (nut.get(k), ours.get(k));
            if a == b {
                matched += 1;
                continue;
            }
            let row = format!("{name:<26} {k:<28} NUT {:<30} ours {:<30}", fmt(a), fmt(b));
            match known(name, k) {
                Some(r) => table.push(format!("{row} {r}")),
                None => unexplained.push(row),
            }
        }
    }
    let stale: Vec<_> = KNOWN
        .iter()
        .filter(|(d, v, _)| {
            !results.iter().any(|(name, (nut, _), (ours, _))| (*d == "*" || d == name) && nut.get(*v) != ours.get(*v))
        })
        .collect();
    println!("{devices} devices, {matched} variables identical to NUT 2.8.0's");
    println!("known differences ({}):\n{}", table.len(), table.join("\n"));
    assert!(unexplained.is_empty(), "unexplained differences ({}):\n{}", unexplained.len(), unexplained.join("\n"));
    assert!(stale.is_empty(), "KNOWN lists differences that no longer occur: {stale:?}");
    assert_eq!(devices, 22);
    let _ = std::fs::remove_dir_all(&conf);
}

/// A driver running in the foreground on a recorded device, killed on drop.
struct Served {
    child: std::process::Child,
    sock: PathBuf,
    what: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(program: &Path, conf: &Path, lib: &Path, capture: &Path, name: &str) -> Result<Served, String> {
    let who = if program.starts_with("/lib/nut") { "nut" } else { "ours" };
    serve_in(program, conf, lib, capture, name, &conf.join(format!("state-{who}-{name}")), None)
}

/// [`serve`] with its own state directory and, if given, the replay
/// library's call log.
fn serve_in(
    program: &Path,
    conf: &Path,
    lib: &Path,
    capture: &Path,
    name: &str,
    state: &Path,
    log: Option<&Path>,
) -> Result<Served, String> {
    use std::process::Stdio;
    let who = if program.starts_with("/lib/nut") { "nut" } else { "ours" };
    std::fs::create_dir_all(state).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(program);
    if let Some(l) = log {
        cmd.env("LIBUSB_REPLAY_LOG", l);
    } else {
        cmd.env_remove("LIBUSB_REPLAY_LOG");
    }
    let child = cmd
        .args(["-a", name, "-u", "root", "-F"])
        .env("NUT_CONFPATH", conf)
        .env("NUT_STATEPATH", state)
        .env("NUT_ALTPIDPATH", state)
        .env("LD_LIBRARY_PATH", lib)
        .env("LIBUSB_REPLAY_FILE", capture)
        .env_remove("LIBUSB_REPLAY_SCRIPT")
        .env_remove("NUT_DEBUG_LEVEL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    Ok(Served { child, sock: state.join(format!("usbhid-ups-{name}")), what: format!("{name} ({who})") })
}

/// `DUMPALL` on a served driver's socket (waiting up to 20 s for the
/// socket, which exists once the init walk is done): every line but
/// `DUMPDONE`, sorted.
fn dumpall(d: &Served) -> Result<Vec<String>, String> {
    use std::io::{Read, Write};
    let start = std::time::Instant::now();
    let mut answer = String::new();
    loop {
        if start.elapsed() > Duration::from_secs(20) {
            return Err(format!("{}: no DUMPDONE (got {answer:?})", d.what));
        }
        let Ok(mut s) = std::os::unix::net::UnixStream::connect(&d.sock) else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        if s.write_all(b"DUMPALL\n").is_err() {
            continue;
        }
        answer.clear();
        let mut buf = [0u8; 4096];
        while !answer.contains("DUMPDONE") {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.push_str(&String::from_utf8_lossy(&buf[..n])),
            }
        }
        if answer.contains("DUMPDONE") {
            let mut lines: Vec<String> =
                answer.lines().filter(|l| *l != "DUMPDONE" && !l.trim().is_empty()).map(str::to_string).collect();
            lines.sort();
            return Ok(lines);
        }
    }
}

/// Lines one dump has and the other lacks, both ways.
fn dump_diff(name: &str, nut: &[String], ours: &[String]) -> Vec<String> {
    let mut out: Vec<String> = nut.iter().filter(|l| !ours.contains(l)).map(|l| format!("{name}: NUT sends '{l}', ours does not")).collect();
    out.extend(ours.iter().filter(|l| !nut.contains(l)).map(|l| format!("{name}: ours sends '{l}', NUT does not")));
    out
}

/// ups.conf for every capture, plus `extra` lines in each section.
fn write_conf(dir: &Path, extra: &str) {
    let mut text = String::new();
    for c in captures() {
        let name = ups_name(&c);
        text.push_str(&format!("[{name}]\n\tdriver = usbhid-ups\n\tport = auto\n{extra}"));
        for (k, v) in device_options(&name) {
            if v.is_empty() {
                text.push_str(&format!("\t{k}\n"));
            } else {
                text.push_str(&format!("\t{k} = \"{v}\"\n"));
            }
        }
    }
    std::fs::write(dir.join("ups.conf"), text).unwrap();
}

/// Run `each` on every capture, six threads at most.
fn per_capture<T: Send>(each: &(dyn Fn(&Path, &str) -> T + Sync)) -> Vec<(String, T)> {
    let caps = captures();
    std::thread::scope(|s| {
        let handles: Vec<_> = caps
            .chunks(4)
            .map(|chunk| s.spawn(move || chunk.iter().map(|c| (ups_name(c), each(c, &ups_name(c)))).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("thread")).collect()
    })
}

/// Beyond the values: right after start-up, the same writable variables
/// (flags and string lengths), enum choices and instant commands as NUT
/// 2.8.0's driver, read from each driver's socket with `DUMPALL` (values
/// are compared by the test above).
#[test]
fn same_flags_enums_and_commands_as_nut_on_every_recorded_device() {
    let (bin, lib) = prerequisites();
    let conf = tempdir("sock");
    write_conf(&conf, "");
    let results = per_capture(&|c, name| {
        let no_values = |v: Vec<String>| v.into_iter().filter(|l| !l.starts_with("SETINFO ")).collect::<Vec<_>>();
        let nut = serve(Path::new("/lib/nut/usbhid-ups"), &conf, &lib, c, name).and_then(|d| dumpall(&d)).map(no_values);
        let ours = serve(&bin.join("usbhid-ups"), &conf, &lib, c, name).and_then(|d| dumpall(&d)).map(no_values);
        (nut, ours)
    });
    let mut problems = Vec::new();
    let (mut lines, mut commands) = (0, 0);
    for (name, (nut, ours)) in &results {
        let (nut, ours) = match (nut, ours) {
            (Ok(n), Ok(o)) => (n, o),
            (n, o) => panic!("{name}: NUT {n:?}, ours {o:?}"),
        };
        problems.extend(dump_diff(name, nut, ours));
        lines += nut.len();
        commands += nut.iter().filter(|l| l.starts_with("ADDCMD ")).count();
    }
    println!("{} devices, {lines} flag/aux/enum/command lines compared ({commands} commands)", results.len());
    assert!(commands > 100, "NUT announced only {commands} commands on 22 devices: the dumps were not read");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(results.len(), 22);
    let _ = std::fs::remove_dir_all(&conf);
}

/// After full polls (`pollfreq = 1`, both drivers running side by side
/// for 6 s, more than a poll interval past the first full poll): the whole
/// `DUMPALL` is the same, values included. This is where `ups.alarm` and
/// the `ALARM` status word appear (NUT computes them on full polls only).
#[test]
fn same_dump_as_nut_after_full_polls() {
    let (bin, lib) = prerequisites();
    let conf = tempdir("full");
    write_conf(&conf, "\tpollfreq = 1\n");
    let results = per_capture(&|c, name| -> Result<(Vec<String>, Vec<String>), String> {
        let nut = serve(Path::new("/lib/nut/usbhid-ups"), &conf, &lib, c, name)?;
        let ours = serve(&bin.join("usbhid-ups"), &conf, &lib, c, name)?;
        // Both are up (socket answers), then let full polls happen.
        dumpall(&nut)?;
        dumpall(&ours)?;
        std::thread::sleep(Duration::from_secs(6));
        Ok((dumpall(&nut)?, dumpall(&ours)?))
    });
    let mut problems = Vec::new();
    let (mut lines, mut alarms) = (0, 0);
    for (name, r) in &results {
        let (nut, ours) = r.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        problems.extend(dump_diff(name, nut, ours));
        lines += nut.len();
        alarms += nut.iter().filter(|l| l.starts_with("SETINFO ups.alarm ")).count();
    }
    println!("{} devices, {lines} DUMPALL lines after full polls, {alarms} with ups.alarm", results.len());
    assert!(alarms > 0, "no device shows ups.alarm: the full polls did not happen");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(results.len(), 22);
    let _ = std::fs::remove_dir_all(&conf);
}

/// Recorded devices with one value changed, to compare what both drivers
/// make of values no recording holds: (name, capture, text to replace in
/// every row, replacement, extra value row appended).
fn probes() -> Vec<(String, &'static str, String, String, Option<String>)> {
    let mut v = Vec::new();
    // Eaton PowerConverter.ConverterType (report 0x0c, second byte) -> ups.type.
    for n in [0, 2, 3, 4, 5, 6] {
        v.push((
            format!("probe-type-{n}"),
            "eaton-3s-700",
            "\t0c 01 01 01 02 64 64 04\t".to_string(),
            format!("\t0c 01 {n:02x} 01 02 64 64 04\t"),
            None,
        ));
    }
    // Eaton Flow.[4].ConfigVoltage -> output.voltage.nominal and its choices.
    for volts in [0, 99, 100, 120, 127, 128, 199, 200, 208, 240, 241] {
        v.push((
            format!("probe-nominal-{volts}"),
            "eaton-3s-700",
            "\t12 e6\t".to_string(),
            format!("\t12 {volts:02x}\t"),
            None,
        ));
    }
    // Delta DeltaOutputSource (report 0x51) -> input.source.
    for n in 1..=9 {
        v.push((
            format!("probe-source-{n}"),
            "minuteman-05dd-a0a0",
            String::new(),
            String::new(),
            Some(format!("Feature\t0x51\t0\t8\t{n}\t51 {n:02x}\tUPS.OutletSystem.Outlet.DeltaOutputSource")),
        ));
    }
    // Eaton 5E PowerSummary.Voltage (report 0x07, second byte) without a nominal.
    for raw in [1, 13, 136] {
        v.push((
            format!("probe-battvolt-{raw}"),
            "eaton-5e",
            String::new(),
            String::new(),
            Some(format!("Feature\t0x07\t8\t8\t{raw}\t07 00 {raw:02x} 00 00 00 00 00\tUPS.PowerSummary.Voltage")),
        ));
    }
    v
}

/// The probes: NUT 2.8.0's driver and ours serve each changed recording
/// and `DUMPALL` (values, flags, enum choices, commands) must agree.
#[test]
fn same_dump_as_nut_on_changed_recordings() {
    let (bin, lib) = prerequisites();
    let dir = tempdir("probe");
    let mut conf = String::new();
    let mut runs = Vec::new();
    for (name, base, from, to, row) in probes() {
        let mut text = std::fs::read_to_string(corpus_hid().join(format!("{base}.txt"))).expect("capture");
        if !from.is_empty() {
            assert!(text.contains(&from), "{name}: '{from}' is not in {base}");
            text = text.replace(&from, &to);
        }
        if let Some(r) = row {
            text.push_str(&format!(
                "\n[nut-values] type\treport_id\tbit_offset\tbit_size\tnut_value\traw_report_bytes(first=ID)\tnut_path\n{r}\n"
            ));
        }
        let file = dir.join(format!("{name}.txt"));
        std::fs::write(&file, text).unwrap();
        conf.push_str(&format!("[{name}]\n\tdriver = usbhid-ups\n\tport = auto\n"));
        for (k, v) in device_options(base) {
            conf.push_str(&format!("\t{k} = \"{v}\"\n"));
        }
        runs.push((name, file));
    }
    std::fs::write(dir.join("ups.conf"), conf).unwrap();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .chunks(5)
            .map(|chunk| {
                let (bin, lib, dir) = (&bin, &lib, &dir);
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(name, file)| {
                            let nut = serve(Path::new("/lib/nut/usbhid-ups"), dir, lib, file, name).and_then(|d| dumpall(&d));
                            let ours = serve(&bin.join("usbhid-ups"), dir, lib, file, name).and_then(|d| dumpall(&d));
                            (name.clone(), nut, ours)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("thread")).collect()
    });
    let mut problems = Vec::new();
    let mut lines = 0;
    for (name, nut, ours) in &results {
        let (nut, ours) = match (nut, ours) {
            (Ok(n), Ok(o)) => (n, o),
            (n, o) => panic!("{name}: NUT {n:?}, ours {o:?}"),
        };
        problems.extend(dump_diff(name, nut, ours));
        lines += nut.len();
    }
    // The probes change what they should (else they prove nothing).
    let line = |name: &str, var: &str| {
        results.iter().find(|(n, _, _)| n == name).and_then(|(_, nut, _)| {
            nut.as_ref().ok()?.iter().find(|l| l.starts_with(&format!("SETINFO {var} "))).cloned()
        })
    };
    assert_eq!(line("probe-type-2", "ups.type").as_deref(), Some("SETINFO ups.type \"online\""));
    assert_eq!(line("probe-source-8", "input.source").as_deref(), Some("SETINFO input.source \"on eco\""));
    assert_eq!(line("probe-nominal-120", "output.voltage.nominal").as_deref(), Some("SETINFO output.voltage.nominal \"120\""));
    println!("{} changed recordings, {lines} DUMPALL lines, all the same as NUT 2.8.0's", results.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The SET_REPORTs NUT's driver and ours send for one socket line, from
/// the replay library's logs: two fresh drivers side by side, the line sent
/// to each once its socket answers, then 1 s for the writes (a
/// shutdown.return with its 125 ms pause takes well under that). Timeouts
/// are left out (NUT waits 5 s, we 2 s).
fn writes_for(programs: [&Path; 2], conf: &Path, lib: &Path, capture: &Path, name: &str, dir: &Path, line: &str) -> Result<[Vec<String>; 2], String> {
    use std::io::Write;
    let mut served = Vec::new();
    for (i, p) in programs.iter().enumerate() {
        let state = dir.join(if i == 0 { "nut" } else { "ours" });
        let log = state.join("usb.log");
        served.push((serve_in(p, conf, lib, capture, name, &state, Some(&log))?, log));
    }
    let (mut marks, mut conns) = (Vec::new(), Vec::new());
    for (d, log) in &served {
        dumpall(d)?;
        marks.push(std::fs::read_to_string(log).map_err(|e| e.to_string())?.lines().count());
        let mut s = std::os::unix::net::UnixStream::connect(&d.sock).map_err(|e| format!("{}: {e}", d.what))?;
        s.write_all(format!("{line}\n").as_bytes()).map_err(|e| e.to_string())?;
        // Kept open, as upsd keeps its connection.
        conns.push(s);
    }
    let logs: Vec<PathBuf> = served.iter().map(|(_, log)| log.clone()).collect();
    let read = |log: &Path, before: usize| -> Result<Vec<String>, String> {
        let text = std::fs::read_to_string(log).map_err(|e| e.to_string())?;
        Ok(text
            .lines()
            .skip(before)
            .filter(|l| l.contains("type=0x21 req=0x09"))
            .map(|l| {
                let l = l.split_once("] ").map(|(_, r)| r).unwrap_or(l);
                match (l.find(" timeout="), l.find(") = ")) {
                    (Some(a), Some(b)) if a < b => format!("{}{}", &l[..a], &l[b..]),
                    _ => l.to_string(),
                }
            })
            .collect())
    };
    // Both drivers write at once when they handle the line: wait until
    // both logs show writes that stay the same for 300 ms (a line neither
    // driver writes for waits the whole 1.5 s).
    let deadline = std::time::Instant::now() + Duration::from_millis(1500);
    let (mut last, mut steady) = (None, 0);
    while std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        let now = [read(&logs[0], marks[0])?, read(&logs[1], marks[1])?];
        if !now[0].is_empty() && !now[1].is_empty() && last.as_ref() == Some(&now) {
            steady += 1;
            if steady >= 3 {
                break;
            }
        } else {
            steady = 0;
        }
        last = Some(now);
    }
    drop(conns);
    drop(served);
    Ok([read(&logs[0], marks[0])?, read(&logs[1], marks[1])?])
}

/// A socket line and the report writes NUT's driver and ours made for it.
type CommandWrites = (String, Vec<String>, Vec<String>);

/// A value to SET a writable variable to, from NUT's `DUMPALL`: the last
/// enum choice, a date, the current number plus one, or the current text
/// (a text none of the variable's choices is refused by ours, where NUT
/// writes -1: see docs/differences.md).
fn probe_value(dump: &[String], var: &str) -> String {
    let enums: Vec<&str> = dump
        .iter()
        .filter_map(|l| l.strip_prefix(&format!("ADDENUM {var} ")))
        .map(|v| v.trim_matches('"'))
        .collect();
    if let Some(last) = enums.last() {
        return last.to_string();
    }
    if var.ends_with(".date") {
        return "2021/02/03".to_string();
    }
    let now = dump.iter().find_map(|l| l.strip_prefix(&format!("SETINFO {var} "))).map(|v| v.trim_matches('"'));
    match (now, now.and_then(|v| v.parse::<f64>().ok())) {
        (_, Some(n)) => format!("{}", n as i64 + 1),
        (Some(text), None) if !text.is_empty() => text.to_string(),
        _ => "probe".to_string(),
    }
}

/// Every instant command NUT 2.8.0's driver announces on every recorded
/// device, and a SET of every variable it marks writable: sent to a fresh
/// NUT driver and a fresh one of ours, the reports they write to the device
/// (ID, length, bytes) must be the same.
#[test]
fn same_writes_as_nut_for_every_command_and_setting() {
    let (bin, lib) = prerequisites();
    let conf = tempdir("cmd");
    write_conf(&conf, "");
    let nut = Path::new("/lib/nut/usbhid-ups");
    let ours = bin.join("usbhid-ups");
    // The lines to try on each device, from NUT's own DUMPALL.
    let plans = per_capture(&|c, name| -> Result<(PathBuf, Vec<String>), String> {
        let dump = dumpall(&serve(nut, &conf, &lib, c, name)?)?;
        let mut lines: Vec<String> =
            dump.iter().filter_map(|l| l.strip_prefix("ADDCMD ").map(|c| format!("INSTCMD {c}"))).collect();
        for var in dump.iter().filter_map(|l| l.strip_prefix("SETFLAGS ")?.strip_suffix(" RW STRING").or_else(|| l.strip_prefix("SETFLAGS ")?.strip_suffix(" RW"))) {
            lines.push(format!("SET {var} \"{}\"", probe_value(&dump, var)));
        }
        Ok((c.to_path_buf(), lines))
    });
    let mut jobs = Vec::new();
    for (name, plan) in &plans {
        let (capture, lines) = plan.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        for (i, line) in lines.iter().enumerate() {
            jobs.push((name.clone(), capture.clone(), i, line.clone()));
        }
    }
    // Each job starts a fresh pair of drivers and mostly waits for them, so
    // a dozen run at once even on 2 CPUs.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: std::sync::Mutex<Vec<(String, Result<CommandWrites, String>)>> = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..12 {
            s.spawn(|| loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((name, capture, i, line)) = jobs.get(k) else { break };
                let dir = conf.join(format!("{name}-{i}"));
                let r = writes_for([nut, &ours], &conf, &lib, capture, name, &dir, line).map(|[a, b]| (line.clone(), a, b));
                done.lock().expect("results").push((name.clone(), r));
            });
        }
    });
    let mut by_device: std::collections::BTreeMap<String, Result<Vec<CommandWrites>, String>> = Default::default();
    for (name, r) in done.into_inner().expect("results") {
        let entry = by_device.entry(name).or_insert_with(|| Ok(Vec::new()));
        match (entry, r) {
            (Ok(list), Ok(w)) => list.push(w),
            (entry @ Ok(_), Err(e)) => *entry = Err(e),
            (Err(_), _) => {}
        }
    }
    let results: Vec<(String, Result<Vec<CommandWrites>, String>)> = by_device.into_iter().collect();
    let mut problems = Vec::new();
    let (mut commands, mut sets, mut writes) = (0, 0, 0);
    for (name, r) in &results {
        for (line, nut, ours) in r.as_ref().unwrap_or_else(|e| panic!("{name}: {e}")) {
            if line.starts_with("SET ") {
                sets += 1;
            } else {
                commands += 1;
            }
            writes += nut.len();
            if nut != ours {
                problems.push(format!("{name}: {line}: NUT writes {nut:?}, ours {ours:?}"));
            }
        }
    }
    println!(
        "{commands} commands and {sets} settings on {} devices, {writes} report writes, the same as NUT 2.8.0's",
        plans.len()
    );
    assert_eq!(plans.len(), 22);
    assert!(commands > 100 && sets > 50 && writes > 100, "only {commands} commands, {sets} settings and {writes} writes");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let _ = std::fs::remove_dir_all(&conf);
}

fn fmt(v: Option<&String>) -> String {
    match v {
        Some(v) => format!("'{v}'"),
        None => "(absent)".into(),
    }
}

/// A fresh directory of this test process; `tag` keeps tests running at
/// the same time apart.
fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("usbhid-vs-nut-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// nut-scanner -U: NUT's (its libusb path bind-mounted over by the replay
/// library in a private mount namespace) and ours (LD_LIBRARY_PATH) print
/// the same ups.conf section for a recorded device.
#[test]
fn nut_scanner_prints_what_nut_prints() {
    assert!(
        Path::new("/usr/bin/nut-scanner").exists() && Path::new("/usr/lib/x86_64-linux-gnu/libusb-1.0.so.0.3.0").exists(),
        "NUT's nut-scanner or the system libusb is not installed (scripts/install-deps.sh installs what this test needs)"
    );
    let (bin, lib) = prerequisites();
    let so = std::fs::canonicalize(lib.join("libusb-1.0.so.0")).unwrap();
    let mut compared = 0;
    for name in ["apc-back-ups-cs-500", "eaton-3s-700", "cyberpower-cp1500pfclcd", "liebert-gxt4"] {
        let cap = corpus_hid().join(format!("{name}.txt"));
        let mut nut = Command::new("unshare");
        nut.args([
            "-m",
            "sh",
            "-c",
            &format!("mount --bind {} /usr/lib/x86_64-linux-gnu/libusb-1.0.so.0.3.0 && exec nut-scanner -U -q", so.display()),
        ])
        .env("LIBUSB_REPLAY_FILE", &cap);
        let (nut_out, nut_err) = run_bounded(nut, Duration::from_secs(30));
        let mut ours = Command::new(bin.join("nut-scanner"));
        ours.args(["-U", "-q"]).env("LD_LIBRARY_PATH", &lib).env("LIBUSB_REPLAY_FILE", &cap);
        let (our_out, our_err) = run_bounded(ours, Duration::from_secs(30));
        assert_eq!(our_out, nut_out, "{name}: nut-scanner -U differs\nNUT stderr: {nut_err}\nour stderr: {our_err}");
        compared += 1;
    }
    println!("nut-scanner -U: {compared} devices, same output as NUT 2.8.0");
}
