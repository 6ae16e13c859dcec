//! NUT 2.8.0's own `usbhid-ups` run on every recorded device through the
//! replay library: it is the oracle for all 22 descriptors of the corpus.
//!
//! * every device: the driver starts, claims the device with the subdriver
//!   its capture names, and publishes `ups.status` (`-d 1` dump);
//! * the two captures that are the same unit as their nut-ddl dump (APC
//!   Back-UPS CS 500, BK650M2-CH): every variable equals the dump, apart
//!   from a listed set of differences, each with its reason;
//! * a fault run: unplug mid-run makes upsd report stale data, replug
//!   brings it back (seen through NUT's upsd and upsc).
//!
//! Artifacts (published variables, stderr, USB call log per device, and a
//! summary) go to `<target>/libusb-replay-nut/`.

mod common;

use common::*;
use nut_hid::corpus::{Capture, DevDump};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// What NUT 2.8.0 is expected to do with one capture.
struct Expect {
    file: &'static str,
    /// `driver.version.data` without its version number.
    subdriver: &'static str,
    /// Extra `-x` options needed; when non-empty, a plain run (port=auto
    /// only) is expected to end in "No matching HID UPS found".
    extra: &'static [&'static str],
    /// Whether the capture's header (or paired dump) names this subdriver;
    /// false only where the header names none.
    header_names_it: bool,
    note: &'static str,
}

const EXPECT: &[Expect] = &[
    Expect { file: "apc-back-ups-bk650m2-ch", subdriver: "APC HID", extra: &[], header_names_it: true, note: "same unit as its nut-ddl dump (compared below)" },
    Expect { file: "apc-back-ups-bx1600mi", subdriver: "APC HID", extra: &[], header_names_it: true, note: "descriptor only: zeroed reports" },
    Expect { file: "apc-back-ups-cs-500", subdriver: "APC HID", extra: &[], header_names_it: true, note: "same unit as its nut-ddl dump (compared below)" },
    Expect { file: "apc-back-ups-rs-1000g", subdriver: "APC HID", extra: &[], header_names_it: true, note: "descriptor only: zeroed reports" },
    Expect { file: "apc-back-ups-xs-1400u", subdriver: "APC HID", extra: &[], header_names_it: true, note: "descriptor only: zeroed reports" },
    Expect { file: "apc-smart-ups-x-750", subdriver: "APC HID", extra: &[], header_names_it: true, note: "descriptor only; strings from its 2.7.4 dump" },
    Expect { file: "cyberpower-cp1500avrlcda", subdriver: "CyberPower HID", extra: &[], header_names_it: true, note: "descriptor only: zeroed reports" },
    Expect { file: "cyberpower-cp1500pfclcd", subdriver: "CyberPower HID", extra: &[], header_names_it: true, note: "recorded report bytes" },
    Expect { file: "cyberpower-ec850lcd", subdriver: "CyberPower HID", extra: &[], header_names_it: true, note: "values-at-capture are decoded values, not report bytes: zeroed reports" },
    Expect { file: "cyberpower-or2200lcdrt2u", subdriver: "CyberPower HID", extra: &[], header_names_it: true, note: "descriptor only: zeroed reports" },
    Expect { file: "eaton-3s-700", subdriver: "MGE HID", extra: &[], header_names_it: true, note: "recorded report bytes" },
    Expect { file: "eaton-5e", subdriver: "MGE HID", extra: &[], header_names_it: true, note: "descriptor only: zeroed reports" },
    Expect { file: "eaton-ellipse-eco", subdriver: "MGE HID", extra: &[], header_names_it: true, note: "descriptor only: zeroed reports" },
    Expect { file: "legrand-1cb0-0032", subdriver: "Legrand HID", extra: &[], header_names_it: true, note: "descriptor only: zeroed reports" },
    Expect {
        file: "liebert-gxt4",
        subdriver: "Belkin/Liebert HID",
        extra: &["productid=0000"],
        header_names_it: true,
        note: "2.8.0's belkin table lacks 10af:0000: declined unless productid is given",
    },
    Expect {
        file: "minuteman-05dd-a0a0",
        subdriver: "Delta UPS HID",
        extra: &["productid=a0a0"],
        header_names_it: false,
        note: "header names no subdriver; 05dd:a0a0 declined unless productid is given, then delta_ups claims it",
    },
    Expect { file: "powercom-0d9f-0004", subdriver: "PowerCOM HID", extra: &[], header_names_it: true, note: "descriptor only: zeroed reports" },
    Expect { file: "powerwalker-vi-1200-shl", subdriver: "Phoenixtec/Liebert HID", extra: &[], header_names_it: true, note: "value rows have no raw bytes: zeroed reports" },
    Expect { file: "santak-tg-box-850", subdriver: "MGE HID", extra: &[], header_names_it: true, note: "10 recorded feature reports" },
    Expect { file: "tripplite-09ae-3016", subdriver: "TrippLite HID", extra: &[], header_names_it: true, note: "descriptor only: zeroed reports" },
    Expect { file: "tripplite-09ae-4003", subdriver: "TrippLite HID", extra: &[], header_names_it: true, note: "recorded report bytes" },
    Expect {
        file: "unknown-5131-2007",
        subdriver: "EXPLORE HID",
        extra: &["explore", "vendorid=5131"],
        header_names_it: true,
        note: "no subdriver knows VID 5131: declined; runs only in explore mode",
    },
];

fn capture_path(file: &str) -> PathBuf {
    corpus_hid().join(format!("{file}.txt"))
}

fn paired_dev(capture: &Capture) -> Option<(PathBuf, DevDump)> {
    let rel = capture
        .paired_note
        .split_whitespace()
        .find(|w| w.starts_with("corpus/") && w.ends_with(".dev"))?;
    let p = corpus_hid().join("../..").join(rel);
    let text = fs::read_to_string(&p).ok()?;
    Some((p, DevDump::parse(&text)))
}

struct Outcome {
    file: &'static str,
    started: bool,
    subdriver: String,
    vars: BTreeMap<String, String>,
    problems: Vec<String>,
    note: String,
}

fn driver_run(sb: &Sandbox, capture: &Path, args: &[&str], tag: &str, out: &Path) -> Run {
    let mut cmd = sb.command(
        NUT_USBHID,
        capture,
        None,
        &out.join(format!("{tag}.usb.log")),
    );
    cmd.args(["-a", "ups", "-u", "root", "-d", "1"]);
    if args.contains(&"explore") {
        // Explore mode reads and prints the HID tree only at debug level 1+.
        cmd.arg("-D");
    }
    for a in args {
        cmd.args(["-x", a]);
    }
    run(cmd, out, tag, Duration::from_secs(90))
}

fn check_device(e: &Expect, out: &Path) -> Outcome {
    let path = capture_path(e.file);
    let text = fs::read_to_string(&path).expect("capture");
    let capture = Capture::parse(&text).expect("capture parses");
    let sb = Sandbox::new(e.file);
    sb.ups_conf(&[]);
    let mut problems = Vec::new();
    let mut note = e.note.to_string();

    if e.header_names_it {
        let dev_says = paired_dev(&capture)
            .and_then(|(_, d)| d.get("driver.version.data").map(str::to_string));
        // "APC HID", "EXPLORE HID", ...: the header may give the name with
        // or without its version, in any case ("none matched (explore)").
        let family = e
            .subdriver
            .split(' ')
            .next()
            .unwrap_or(e.subdriver)
            .to_lowercase();
        let named = capture.subdriver_note.to_lowercase().contains(&family)
            || dev_says.is_some_and(|d| d.starts_with(e.subdriver));
        if !named {
            problems.push(format!(
                "header says '{}', expected it to name {}",
                capture.subdriver_note, e.subdriver
            ));
        }
    }

    if !e.extra.is_empty() {
        let plain = driver_run(&sb, &path, &[], &format!("{}.plain", e.file), out);
        let declined = plain.status.is_some_and(|s| !s.success())
            && plain.stderr.contains("No matching HID UPS found");
        if !declined {
            problems.push("a plain run was expected to end in 'No matching HID UPS found'".into());
        }
        note = format!("{note}; run with -x {}", e.extra.join(" -x "));
    }

    let r = driver_run(&sb, &path, e.extra, e.file, out);
    let vars = dump_vars(&r.stdout);
    fs::write(
        out.join(format!("{}.vars", e.file)),
        vars.iter().fold(String::new(), |mut s, (k, v)| {
            let _ = writeln!(s, "{k}: {v}");
            s
        }),
    )
    .expect("artifact");
    let started = r.status.is_some_and(|s| s.success()) && !vars.is_empty();
    if !started {
        problems.push(format!(
            "driver did not run: status {:?}, stderr tail: {}",
            r.status,
            tail(&r.stderr)
        ));
    }
    let subdriver = vars.get("driver.version.data").cloned().unwrap_or_default();
    if !subdriver.starts_with(e.subdriver) {
        problems.push(format!(
            "driver.version.data is '{subdriver}', expected {}",
            e.subdriver
        ));
    }
    if !r
        .stderr
        .contains(&format!("Using subdriver: {}", e.subdriver))
    {
        problems.push("no 'Using subdriver:' line naming it".into());
    }
    let has_status = vars.get("ups.status").is_some_and(|s| !s.trim().is_empty());
    if !has_status {
        problems.push("no ups.status".into());
    }
    if let (Some(v), Some(p)) = (capture.vendor_id, capture.product_id) {
        if vars.get("ups.vendorid") != Some(&format!("{v:04x}"))
            || vars.get("ups.productid") != Some(&format!("{p:04x}"))
        {
            problems.push("ups.vendorid/ups.productid do not match the capture".into());
        }
    }
    let log = fs::read_to_string(out.join(format!("{}.usb.log", e.file))).unwrap_or_default();
    if !log.contains(&format!(
        "value=0x2200 index=0 len={} ",
        capture.descriptor.len()
    )) {
        problems.push("the driver did not read the whole report descriptor".into());
    }
    if !log.contains("type=0xa1 req=0x01") {
        problems.push("the driver read no report".into());
    }
    Outcome {
        file: e.file,
        started,
        subdriver,
        vars,
        problems,
        note,
    }
}

fn tail(s: &str) -> String {
    s.lines()
        .rev()
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn nut_driver_runs_on_every_recorded_device() {
    if !have_nut() {
        return;
    }
    let out = artifact_dir();
    let mut files: Vec<String> = fs::read_dir(corpus_hid())
        .expect("corpus")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".txt"))
        .map(|n| n.trim_end_matches(".txt").to_string())
        .collect();
    files.sort();
    let listed: Vec<&str> = EXPECT.iter().map(|e| e.file).collect();
    assert_eq!(
        files, listed,
        "every corpus capture needs an expectation row (and only those)"
    );

    let mut outcomes: Vec<Outcome> = Vec::new();
    for chunk in EXPECT.chunks(4) {
        std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|e| s.spawn(|| check_device(e, &out)))
                .collect();
            outcomes.extend(
                handles
                    .into_iter()
                    .map(|h| h.join().expect("device thread")),
            );
        });
    }

    let mut table = String::from("file\tsubdriver\tstarted\tvariables\tups.status\tnotes\n");
    let mut failures = Vec::new();
    for o in &outcomes {
        let _ = writeln!(
            table,
            "{}\t{}\t{}\t{}\t{}\t{}",
            o.file,
            o.subdriver,
            if o.started { "yes" } else { "no" },
            o.vars.len(),
            o.vars.get("ups.status").map_or("-", String::as_str),
            o.note
        );
        for p in &o.problems {
            failures.push(format!("{}: {p}", o.file));
        }
    }
    fs::write(out.join("summary.tsv"), &table).expect("summary");
    let total: usize = outcomes.iter().map(|o| o.vars.len()).sum();
    println!("{table}");
    println!(
        "NUT 2.8.0 usbhid-ups on {} recorded devices: {} started, {} variables published; artifacts in {}",
        outcomes.len(),
        outcomes.iter().filter(|o| o.started).count(),
        total,
        out.display()
    );
    assert!(failures.is_empty(), "problems:\n{}", failures.join("\n"));
}

/// One expected difference between NUT 2.8.0 on the replayed device and
/// the dump the device's owner made.
struct Known {
    var: &'static str,
    why: &'static str,
}

const CS500_KNOWN: &[Known] = &[
    Known { var: "driver.version", why: "the dump was made by a NUT 2.8.0-Windows-355 build, the oracle is Debian's 2.8.0" },
    Known { var: "driver.version.data", why: "that build has APC HID 0.100; Debian 2.8.0 has APC HID 0.98" },
    Known { var: "driver.version.internal", why: "that build's driver is 0.49; Debian 2.8.0's is 0.47" },
    Known { var: "driver.version.usb", why: "the dump ran on libusb 1.0.23; the replay library reports 1.0.26 (the installed header's API)" },
    Known { var: "driver.state", why: "published only by newer NUT builds than 2.8.0" },
];

const BK650_KNOWN: &[Known] = &[
    Known { var: "driver.version.usb", why: "the dump ran on libusb 1.0.24; the replay library reports 1.0.26 (the installed header's API)" },
    Known {
        var: "ups.load",
        why: "the debug log in the capture read PercentLoad (report 0x50) as 0; the dump was taken at another moment, at 5 %",
    },
    Known {
        var: "ups.serial",
        why: "the dump's owner redacted ups.serial to 'xxxx' but left device.serial; the replay serves the real serial string",
    },
];

fn same_unit(file: &str, known: &[Known]) {
    if !have_nut() {
        return;
    }
    let out = artifact_dir();
    let path = capture_path(file);
    let capture = Capture::parse(&fs::read_to_string(&path).expect("capture")).expect("parses");
    let (dev_path, dev) = paired_dev(&capture).expect("paired dump");
    assert!(
        capture.paired_note.contains("same unit"),
        "{file}: the corpus does not call it the same unit"
    );
    // Run with the options the dump's owner used (its driver.parameter.*),
    // which also exercises NUT's vendor/product/serial/bus matching.
    let params: Vec<(String, String)> = dev
        .vars
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("driver.parameter.")?.to_string(), v.clone())))
        .filter(|(k, _)| k != "port")
        .collect();
    let sb = Sandbox::new(&format!("same-{file}"));
    sb.ups_conf(&params);
    let tag = format!("{file}.same-unit");
    let r = driver_run(&sb, &path, &[], &tag, &out);
    assert!(
        r.status.is_some_and(|s| s.success()),
        "{file}: driver failed: {}",
        tail(&r.stderr)
    );
    let ours = dump_vars(&r.stdout);
    let theirs: BTreeMap<String, String> = dev.vars.iter().cloned().collect();

    let mut report = format!("{file} vs {}\n", dev_path.display());
    let mut unexplained = Vec::new();
    let mut seen = Vec::new();
    let names: std::collections::BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
    for name in names {
        let (a, b) = (theirs.get(name), ours.get(name));
        if a == b {
            continue;
        }
        let line = format!("{name}: dump {a:?}, NUT 2.8.0 on replay {b:?}");
        match known.iter().find(|k| k.var == name) {
            Some(k) => {
                seen.push(k.var);
                let _ = writeln!(report, "  {line}\n      because {}", k.why);
            }
            None => {
                let _ = writeln!(report, "  UNEXPLAINED {line}");
                unexplained.push(line);
            }
        }
    }
    let equal = theirs
        .iter()
        .filter(|(k, v)| ours.get(*k) == Some(v))
        .count();
    let _ = writeln!(report, "  {equal} of {} dump variables equal", theirs.len());
    fs::write(out.join(format!("{tag}.diff")), &report).expect("artifact");
    println!("{report}");
    assert!(unexplained.is_empty(), "{report}");
    let stale: Vec<&str> = known
        .iter()
        .map(|k| k.var)
        .filter(|v| !seen.contains(v))
        .collect();
    assert!(
        stale.is_empty(),
        "listed differences that did not occur (update the list): {stale:?}"
    );
}

#[test]
fn apc_back_ups_cs_500_matches_its_dump() {
    same_unit("apc-back-ups-cs-500", CS500_KNOWN);
}

#[test]
fn apc_back_ups_bk650m2_ch_matches_its_dump() {
    same_unit("apc-back-ups-bk650m2-ch", BK650_KNOWN);
}

fn upsc_status(port: u16, sb: &Sandbox) -> String {
    let o = std::process::Command::new(NUT_UPSC)
        .arg(format!("ups@127.0.0.1:{port}"))
        .arg("ups.status")
        .env("NUT_CONFPATH", sb.path("conf"))
        .stdin(Stdio::null())
        .output()
        .expect("upsc");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    text.lines()
        .filter(|l| !l.contains("SSL"))
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string()
}

#[test]
fn unplug_makes_data_stale_and_replug_recovers() {
    assert!(Path::new(NUT_UPSD).exists(), "{NUT_UPSD} is not installed: scripts/install-deps.sh installs nut-server");
    if !have_nut() {
        return;
    }
    let out = artifact_dir();
    let sb = Sandbox::new("fault");
    sb.ups_conf(&[]);
    let port = free_port();
    fs::write(
        sb.path("conf/upsd.conf"),
        format!("LISTEN 127.0.0.1 {port}\n"),
    )
    .expect("upsd.conf");
    fs::write(sb.path("conf/upsd.users"), "").expect("upsd.users");
    let script = sb.path("script");
    fs::write(
        &script,
        "# pull the cable, then plug it back in\nat 8s unplug\nat 20s replug\n",
    )
    .expect("script");
    let capture = capture_path("apc-back-ups-cs-500");
    let usb_log = out.join("fault.usb.log");
    let _ = fs::remove_file(&usb_log);

    let mut driver = sb.command(NUT_USBHID, &capture, Some(&script), &usb_log);
    driver
        .args(["-a", "ups", "-u", "root", "-DD"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(out.join("fault.driver.stderr")).expect("artifact"));
    let mut driver = driver.spawn().expect("driver");
    let socket = sb.path("state/usbhid-ups-ups");
    let t0 = Instant::now();
    while !socket.exists() && t0.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut upsd = sb.command(NUT_UPSD, &capture, None, &out.join("fault.upsd-usb.log"));
    upsd.args(["-u", "root", "-F"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(out.join("fault.upsd.stderr")).expect("artifact"));
    let mut upsd = upsd.spawn().expect("upsd");

    // Poll upsc and keep the sequence of distinct answers.
    let mut seq: Vec<(f64, String)> = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(40) {
        let s = upsc_status(port, &sb);
        if seq.last().map(|(_, l)| l) != Some(&s) {
            seq.push((t0.elapsed().as_secs_f64(), s));
        }
        let recovered = seq.iter().any(|(_, s)| s == "Error: Data stale")
            && seq.last().is_some_and(|(_, s)| s == "OL");
        if recovered {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    stop(&mut upsd);
    stop(&mut driver);

    let story: Vec<String> = seq.iter().map(|(t, s)| format!("{t:5.1}s {s}")).collect();
    println!("upsc ups.status over time:\n  {}", story.join("\n  "));
    let answers: Vec<&str> = seq
        .iter()
        .map(|(_, s)| s.as_str())
        .filter(|s| !s.starts_with("Error: Driver not connected"))
        .collect();
    let ok_idx = answers
        .iter()
        .position(|s| *s == "OL")
        .expect("OL before the unplug");
    let stale_idx = answers
        .iter()
        .skip(ok_idx)
        .position(|s| *s == "Error: Data stale")
        .map(|i| i + ok_idx);
    let stale_idx = stale_idx.unwrap_or_else(|| panic!("never stale after unplug: {story:?}"));
    assert!(
        answers[stale_idx..].contains(&"OL"),
        "never recovered after replug: {story:?}"
    );

    let upsd_log = fs::read_to_string(out.join("fault.upsd.stderr")).unwrap_or_default();
    assert!(
        upsd_log.contains("Data for UPS [ups] is stale - check driver"),
        "{upsd_log}"
    );
    assert!(
        upsd_log.contains("UPS [ups] data is no longer stale"),
        "{upsd_log}"
    );
    let drv_log = fs::read_to_string(out.join("fault.driver.stderr")).unwrap_or_default();
    assert!(
        drv_log.contains("Got to reconnect"),
        "driver debug log has no reconnect"
    );
    let usb = fs::read_to_string(&usb_log).unwrap_or_default();
    assert!(
        usb.contains("Unplug") && usb.contains("Replug"),
        "script did not run"
    );
    assert!(usb.contains("= NoDevice"), "no call saw the device gone");
    assert!(
        usb.contains("libusb_open(address 3) = 0"),
        "driver did not reopen the device at its new address"
    );
}

#[test]
fn scripted_changes_reach_nut_through_the_interrupt_pipe() {
    if !have_nut() {
        return;
    }
    let out = artifact_dir();
    let sb = Sandbox::new("script");
    sb.ups_conf(&[]);
    let script = sb.path("script");
    fs::write(
        &script,
        "# mains fail: the UPS reports it on its interrupt pipe\n\
         at 3s set UPS.PowerSummary.ACPresent 0\n\
         at 3s set UPS.PowerSummary.Discharging 1\n\
         at 3s set UPS.PowerSummary.RemainingCapacity 20\n",
    )
    .expect("script");
    let log = out.join("script.usb.log");
    let _ = fs::remove_file(&log);
    let mut cmd = sb.command(
        NUT_USBHID,
        &capture_path("apc-back-ups-cs-500"),
        Some(&script),
        &log,
    );
    cmd.args(["-a", "ups", "-u", "root", "-d", "6"]);
    let r = run(cmd, &out, "script", Duration::from_secs(60));
    assert!(r.status.is_some_and(|s| s.success()), "{}", tail(&r.stderr));
    let vars = dump_vars(&r.stdout);
    assert_eq!(
        vars.get("ups.status").map(String::as_str),
        Some("OB DISCHRG"),
        "{vars:?}"
    );
    assert_eq!(
        vars.get("battery.charge").map(String::as_str),
        Some("20"),
        "{vars:?}"
    );
    let calls = fs::read_to_string(&log).unwrap_or_default();
    assert!(
        calls.contains("libusb_interrupt_transfer(ep=0x81 len=512 timeout=750) = 0 [13 00]"),
        "{calls}"
    );
}

#[test]
fn nut_rides_out_stalls_timeouts_short_reports_and_io_errors() {
    if !have_nut() {
        return;
    }
    let out = artifact_dir();
    let sb = Sandbox::new("faults");
    sb.ups_conf(&[]);
    let script = sb.path("script");
    fs::write(
        &script,
        // NUT polls report 06 every 2.25 s (three 750 ms interrupt waits),
        // at about 2.25, 4.5, 6.75 s: the short report stays in force over
        // a whole period so that one poll always lands in it.
        "at 2.5s short-report 06\nat 2.5s stall 1\nat 5.5s full-report 06\nat 5.5s timeout 1\nat 7.5s io-error 1\n",
    )
    .expect("script");
    let log = out.join("faults.usb.log");
    let _ = fs::remove_file(&log);
    let mut cmd = sb.command(
        NUT_USBHID,
        &capture_path("apc-back-ups-cs-500"),
        Some(&script),
        &log,
    );
    cmd.args(["-a", "ups", "-u", "root", "-d", "8"]);
    let r = run(cmd, &out, "faults", Duration::from_secs(90));
    assert!(r.status.is_some_and(|s| s.success()), "{}", tail(&r.stderr));
    let vars = dump_vars(&r.stdout);
    assert_eq!(
        vars.get("ups.status").map(String::as_str),
        Some("OL"),
        "{vars:?}"
    );
    let calls = fs::read_to_string(&log).unwrap_or_default();
    for want in ["= 3 [06 00 00]", "= Pipe", "= Timeout", "= Io"] {
        assert!(
            calls.contains(want),
            "no '{want}' in the call log:\n{calls}"
        );
    }
    assert!(
        r.stderr.contains("I/O error"),
        "NUT did not report the I/O error: {}",
        tail(&r.stderr)
    );
}
