//! Reading another process's counters from /proc: CPU time (utime+stime),
//! resident memory (VmRSS) and context switches. Used to charge the server,
//! not the load generator, for the work.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// utime + stime, seconds.
    pub cpu_s: f64,
    pub rss_kib: u64,
    pub voluntary: u64,
    pub involuntary: u64,
}

fn clock_ticks() -> f64 {
    match nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK) {
        Ok(Some(t)) if t > 0 => t as f64,
        _ => 100.0,
    }
}

/// utime+stime of `pid` in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: count fields
    // after the last ')'. Field 3 (state) is the first one after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / clock_ticks())
}

/// One reading of every counter; `None` when the process is gone.
pub fn sample(pid: u32) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mut s = Sample { cpu_s: cpu_seconds(pid)?, ..Default::default() };
    for line in status.lines() {
        let mut it = line.split_whitespace();
        let key = it.next().unwrap_or("");
        let val: u64 = it.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        match key {
            "VmRSS:" => s.rss_kib = val,
            "voluntary_ctxt_switches:" => s.voluntary = val,
            "nonvoluntary_ctxt_switches:" => s.involuntary = val,
            _ => {}
        }
    }
    Some(s)
}

/// CPU seconds this process (the load generator) used so far.
pub fn own_cpu_seconds() -> f64 {
    cpu_seconds(std::process::id()).unwrap_or(0.0)
}

/// Samples a process every 50 ms and keeps the largest RSS seen.
pub struct Watcher {
    pid: u32,
    pub before: Sample,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<u64>>,
}

/// What happened to the watched process between start and finish.
#[derive(Debug, Clone, Copy)]
pub struct Watched {
    pub pid: u32,
    pub before: Sample,
    pub after: Sample,
    pub rss_peak_kib: u64,
}

impl Watcher {
    pub fn start(pid: u32) -> Option<Watcher> {
        let before = sample(pid)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(Ordering::Relaxed) {
                if let Some(s) = sample(pid) {
                    peak = peak.max(s.rss_kib);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            peak
        });
        Some(Watcher { pid, before, stop, handle: Some(handle) })
    }

    /// A reading now, without stopping.
    pub fn now(&self) -> Option<Sample> {
        sample(self.pid)
    }

    pub fn finish(mut self) -> Option<Watched> {
        self.stop.store(true, Ordering::Relaxed);
        let peak = self.handle.take().and_then(|h| h.join().ok()).unwrap_or(0);
        let after = sample(self.pid)?;
        Some(Watched { pid: self.pid, before: self.before, after, rss_peak_kib: peak.max(after.rss_kib) })
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
