//! (c) Faults on the replay transport: the device unplugged in the middle
//! of the poll cycle and replugged at a new address, short and malformed
//! reports, stalls, a report descriptor longer than the length it
//! declares, a lone timeout, an I/O error, a device that stops answering.
//! The driver must mark its data stale only when the device is really
//! unusable, recover by itself, never exit and never spin (its CPU time is
//! read from /proc/<pid>/stat).
//!
//! Each scenario runs our driver (pollinterval 1, pollfreq 2) under NUT's
//! upsd and samples `upsc` every 250 ms; the scenarios run in parallel.

mod common;

use std::time::{Duration, Instant};

use common::*;
use nut_testkit::{Impl, Sandbox};

struct Outcome {
    /// Time (s) and what upsc said: the status, or the error.
    samples: Vec<(f64, String)>,
    alive: bool,
    /// CPU used by the driver during the run, as a share of one core.
    cpu_share: f64,
    logs: String,
}

impl Outcome {
    fn stale_at(&self) -> Vec<f64> {
        self.samples.iter().filter(|(_, s)| s.contains("Data stale")).map(|(t, _)| *t).collect()
    }
    fn last(&self) -> &str {
        self.samples.last().map(|(_, s)| s.as_str()).unwrap_or("")
    }
    fn show(&self) -> String {
        let s: Vec<String> = self.samples.iter().map(|(t, s)| format!("{t:.1}s {s}")).collect();
        format!("samples: {}\ncpu {:.1}%\n{}", s.join(", "), self.cpu_share * 100.0, self.logs)
    }
}

/// Run a scenario; once more if upsd could not keep its port (parallel
/// sandboxes pick free ports independently and may collide).
fn scenario(capture: &str, script: &str, extra: &[(&str, &str)], secs: u64) -> Outcome {
    match try_scenario(capture, script, extra, secs) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("retrying after: {e}");
            try_scenario(capture, script, extra, secs).unwrap_or_else(|e| panic!("{e}"))
        }
    }
}

fn try_scenario(capture: &str, script: &str, extra: &[(&str, &str)], secs: u64) -> Result<Outcome, String> {
    let mut sb = Sandbox::new();
    let text = format!("capture {}\n{script}", corpus_hid().join(capture).display());
    let replay = sb.write_etc("fault.replay", &text);
    let mut opts = vec![("pollfreq", "2")];
    opts.extend_from_slice(extra);
    sb.write_ups_conf(&(section("ups", &replay, &opts) + "\tpollinterval = 1\n"));
    sb.write_upsd_users("");
    sb.write_upsd_conf("");
    let start = Instant::now();
    let mut cmd = sb.command(our_driver());
    cmd.args(["-a", "ups", "-F", "-D"]);
    let drv = sb.spawn("usbhid-ups", cmd);
    sb.wait_path(&sb.driver_socket("usbhid-ups", "ups"), Some(drv), Duration::from_secs(10))
?;
    let upsd = sb.try_start_upsd(Impl::Nut, &["-F"])?;
    let pid = sb.pid(drv);
    let cpu0 = cpu_ticks(pid).unwrap_or(0);
    let t0 = Instant::now();
    let mut samples = Vec::new();
    while start.elapsed() < Duration::from_secs(secs) {
        let s = match upsc(&sb, "ups") {
            Ok(v) => v.get("ups.status").cloned().unwrap_or_else(|| "(no ups.status)".into()),
            Err(e) => e,
        };
        samples.push((start.elapsed().as_secs_f64(), s));
        std::thread::sleep(Duration::from_millis(250));
    }
    let cpu1 = cpu_ticks(pid).unwrap_or(u64::MAX);
    let ticks_per_sec = 100.0;
    let cpu_share = cpu1.saturating_sub(cpu0) as f64 / ticks_per_sec / t0.elapsed().as_secs_f64();
    if sb.exited(upsd).is_some() {
        return Err(format!("upsd exited (port taken?)\n{}", sb.logs()));
    }
    let alive = sb.exited(drv).is_none();
    let logs = sb.logs();
    Ok(Outcome { samples, alive, cpu_share, logs })
}

fn healthy_run(o: &Outcome, what: &str) {
    assert!(o.alive, "{what}: the driver exited\n{}", o.show());
    assert!(o.cpu_share < 0.15, "{what}: the driver used too much CPU\n{}", o.show());
}

#[test]
fn faults_are_ridden_out() {
    let cs500 = "apc-back-ups-cs-500.txt";
    type Check = fn(&Outcome);
    #[allow(clippy::type_complexity)]
    let cases: Vec<(&str, &str, String, Vec<(&str, &str)>, u64, Check)> = vec![
        (
            "unplug in the poll cycle, replug at a new address",
            cs500,
            "at 3s unplug\nat 8s replug\n".into(),
            vec![],
            14,
            |o| {
                let stale = o.stale_at();
                assert!(!stale.is_empty(), "never stale while unplugged\n{}", o.show());
                assert!(stale.iter().all(|t| *t > 2.5 && *t < 11.0), "stale outside the outage\n{}", o.show());
                assert_eq!(o.last(), "OL", "did not recover\n{}", o.show());
                assert!(o.logs.contains("UPS reconnected"), "{}", o.show());
            },
        ),
        (
            "short, malformed and stalled reports",
            cs500,
            "at 2s short-report 0c 2\nat 2s bad-report 13 99 ff ff\nat 3s stall 3\nat 7s full-report 13\n".into(),
            vec![],
            10,
            |o| {
                assert!(o.stale_at().is_empty(), "stale on a healthy device\n{}", o.show());
                assert!(o.samples.iter().all(|(_, s)| s == "OL" || s == "WAIT"), "status changed\n{}", o.show());
            },
        ),
        (
            "report descriptor longer than declared",
            cs500,
            "descriptor-length 300\n".into(),
            vec![],
            5,
            |o| {
                assert!(o.stale_at().is_empty(), "{}", o.show());
                assert_eq!(o.last(), "OL", "{}", o.show());
            },
        ),
        (
            "a lone timeout and an I/O error",
            "eaton-3s-700.txt",
            "at 3s timeout 1\nat 5s io-error 1\nat 6s timeout 1\n".into(),
            vec![],
            9,
            |o| {
                assert!(o.stale_at().is_empty(), "stale on a lone timeout or an I/O error\n{}", o.show());
                assert!(!o.last().contains("Error"), "{}", o.show());
            },
        ),
        (
            "the device stops answering, then answers again",
            cs500,
            "at 3s hang\nat 11s answer\n".into(),
            vec![],
            17,
            |o| {
                let stale = o.stale_at();
                assert!(!stale.is_empty(), "never stale while not answering\n{}", o.show());
                assert_eq!(o.last(), "OL", "did not recover\n{}", o.show());
            },
        ),
    ];
    let handles: Vec<_> = cases
        .into_iter()
        .map(|(what, cap, script, extra, secs, check)| {
            let extra: Vec<(String, String)> = extra.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
            std::thread::spawn(move || {
                let extra: Vec<(&str, &str)> = extra.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
                let o = scenario(cap, &script, &extra, secs);
                healthy_run(&o, what);
                check(&o);
                println!("{what}: ok (stale samples {}, cpu {:.1}%)", o.stale_at().len(), o.cpu_share * 100.0);
            })
        })
        .collect();
    let mut failed = Vec::new();
    for h in handles {
        if let Err(e) = h.join() {
            failed.push(e.downcast_ref::<String>().cloned().unwrap_or_else(|| "panic".into()));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
