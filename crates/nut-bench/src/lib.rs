//! Benchmark tools for NUT-protocol servers: `nut-loadgen`, a closed-loop
//! load generator that only ever talks to loopback addresses and always
//! stops by itself, plus helpers the benchmark script uses (start-up wait,
//! a fake driver to time status propagation, /proc sampling of the server).
//!
//! Timing belongs in `scripts/bench.sh`, never in unit tests: the tests here
//! only check arithmetic and argument handling.
#![forbid(unsafe_code)]

pub mod engine;
pub mod fakedrv;
pub mod hist;
pub mod opts;
pub mod procstat;

use engine::{Script, Shared, Tally, Worker};
use opts::{Mix, Opts, OptsError};
use procstat::{Watched, Watcher};
use serde_json::{json, Map, Value};
use std::ffi::OsString;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Entry point of the `nut-loadgen` binary.
pub fn loadgen_main(args: Vec<OsString>) -> ExitCode {
    let opts = match opts::parse(&args) {
        Ok(o) => o,
        Err(OptsError::Help) => {
            print!("{}", opts::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(OptsError::Bad(msg)) => {
            eprintln!("nut-loadgen: {msg}");
            return ExitCode::from(2);
        }
    };
    raise_nofile(opts.clients + 64);
    let result = match opts.mix {
        Mix::Get | Mix::List | Mix::Login => run_load(&opts),
        Mix::Burst => run_burst(&opts),
        Mix::Idle => run_idle(&opts),
        Mix::Wait => run_wait(&opts),
        Mix::Propagate => run_propagate(&opts),
    };
    match result {
        Ok(mut report) => {
            let ok = report.get("errors_total").and_then(Value::as_u64).unwrap_or(0) == 0
                || report.get("ok").and_then(Value::as_u64).unwrap_or(0) > 0;
            if let Some(label) = &opts.label {
                report.insert("label".into(), json!(label));
            }
            if opts.json {
                println!("{}", Value::Object(report));
            } else {
                print_text(&report);
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(msg) => {
            eprintln!("nut-loadgen: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Lift our own RLIMIT_NOFILE soft limit so thousands of clients fit.
fn raise_nofile(want: usize) {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let want = (want as u64).min(hard);
        if soft < want {
            let _ = setrlimit(Resource::RLIMIT_NOFILE, want, hard);
        }
    }
}

fn base(opts: &Opts) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("mix".into(), json!(opts.mix.name()));
    m.insert("addr".into(), json!(opts.addr.to_string()));
    m.insert("ups".into(), json!(opts.ups));
    m.insert("clients".into(), json!(opts.clients));
    m
}

fn us(ns: u64) -> f64 {
    (ns as f64 / 100.0).round() / 10.0
}

fn add_tally(m: &mut Map<String, Value>, t: &Tally) {
    m.insert("ok".into(), json!(t.ok));
    m.insert("errors_total".into(), json!(t.errors.total()));
    m.insert(
        "errors".into(),
        json!({
            "reply": t.errors.reply, "connect": t.errors.connect, "closed": t.errors.closed,
            "io": t.errors.io, "timeout": t.errors.timeout,
        }),
    );
    if let Some(e) = &t.first_error {
        m.insert("first_error".into(), json!(e));
    }
    m.insert(
        "latency_us".into(),
        json!({
            "p50": us(t.hist.quantile(0.50)), "p90": us(t.hist.quantile(0.90)),
            "p99": us(t.hist.quantile(0.99)), "max": us(t.hist.max()), "mean": us(t.hist.mean()),
        }),
    );
}

fn add_server(m: &mut Map<String, Value>, w: Option<Watched>, ops: u64) {
    let Some(w) = w else { return };
    let cpu = (w.after.cpu_s - w.before.cpu_s).max(0.0);
    m.insert(
        "server".into(),
        json!({
            "pid": w.pid,
            "cpu_s": cpu,
            "cpu_us_per_op": if ops > 0 { cpu * 1e6 / ops as f64 } else { 0.0 },
            "rss_before_kib": w.before.rss_kib,
            "rss_peak_kib": w.rss_peak_kib,
            "rss_after_kib": w.after.rss_kib,
            "voluntary_ctxt": w.after.voluntary.saturating_sub(w.before.voluntary),
            "involuntary_ctxt": w.after.involuntary.saturating_sub(w.before.involuntary),
        }),
    );
}

fn watch(opts: &Opts) -> Result<Option<Watcher>, String> {
    match opts.server_pid {
        None => Ok(None),
        Some(pid) => Watcher::start(pid).map(Some).ok_or_else(|| format!("cannot read /proc/{pid}")),
    }
}

fn split(clients: usize, threads: usize) -> Vec<usize> {
    (0..threads).map(|t| clients / threads + usize::from(t < clients % threads)).collect()
}

fn run_threads(
    opts: &Opts,
    script: &Script,
    shared: &Shared,
    body: impl Fn(&mut Worker) -> std::io::Result<()> + Sync,
) -> Result<Tally, String> {
    let parts = split(opts.clients, opts.threads);
    let results: Vec<Result<Tally, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter()
            .map(|&n| {
                let body = &body;
                s.spawn(move || {
                    let mut w = Worker::new(n, script, shared, opts).map_err(|e| e.to_string())?;
                    let r = body(&mut w);
                    if r.is_err() {
                        shared.request_stop();
                    }
                    r.map_err(|e| e.to_string())?;
                    Ok(w.tally)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("client thread panicked".into()))).collect()
    });
    let mut total = Tally::default();
    for r in results {
        total.merge(&r?);
    }
    Ok(total)
}

fn run_load(opts: &Opts) -> Result<Map<String, Value>, String> {
    let script = Script::for_opts(opts);
    let start = Instant::now();
    let shared = Shared::new(None, opts.requests);
    let mut watched: Result<Option<Watched>, String> = Ok(None);
    let mut cpu0 = 0.0;
    let mut connect_s = 0.0;
    let tally = std::thread::scope(|s| {
        let h = s.spawn(|| run_threads(opts, &script, &shared, |w| w.run_load()));
        // The clock: every client connected (or --timeout), warm-up, then
        // the measured window.
        while shared.connected.load(std::sync::atomic::Ordering::Relaxed) < opts.clients
            && start.elapsed() < opts.timeout.max(Duration::from_secs(10))
            && !shared.stopping()
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        connect_s = start.elapsed().as_secs_f64();
        shared.go.store(true, std::sync::atomic::Ordering::Release);
        let warm_end = Instant::now() + opts.warmup;
        while Instant::now() < warm_end && !shared.stopping() {
            std::thread::sleep(Duration::from_millis(5));
        }
        let watcher = watch(opts);
        cpu0 = procstat::own_cpu_seconds();
        let from = shared.start_measuring();
        let end = from + opts.duration;
        while !shared.stopping() {
            let now = Instant::now();
            if now >= end {
                break;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(5)));
        }
        shared.request_stop();
        let tally = h.join().unwrap_or_else(|_| Err("client threads panicked".into()));
        watched = watcher.map(|w| w.and_then(Watcher::finish));
        tally
    })?;
    let watched = watched?;
    let stopped = *shared.stopped_at.get().expect("stop was requested");
    let from = *shared.measure_from.get_or_init(|| stopped);
    let elapsed = stopped.saturating_duration_since(from).as_secs_f64().max(1e-9);
    let mut m = base(opts);
    m.insert("threads".into(), json!(opts.threads));
    m.insert("connected".into(), json!(shared.connected.load(std::sync::atomic::Ordering::Relaxed)));
    m.insert("connect_s".into(), json!(connect_s));
    m.insert("warmup_s".into(), json!(opts.warmup.as_secs_f64()));
    m.insert("elapsed_s".into(), json!(elapsed));
    m.insert("rate_per_s".into(), json!((tally.ok as f64 / elapsed).round()));
    add_tally(&mut m, &tally);
    if opts.mix == Mix::List && tally.ok > 0 {
        m.insert("items_per_list".into(), json!(tally.list_items as f64 / tally.ok as f64));
    }
    m.insert("client_cpu_s".into(), json!(procstat::own_cpu_seconds() - cpu0));
    add_server(&mut m, watched, tally.ok);
    Ok(m)
}

fn run_burst(opts: &Opts) -> Result<Map<String, Value>, String> {
    let script = Script::for_opts(opts);
    let watcher = watch(opts)?;
    let t0 = Instant::now();
    let shared = Shared::new(Some(t0), None);
    let deadline = t0 + opts.timeout;
    let tally = run_threads(opts, &script, &shared, |w| {
        let n = w.len();
        w.run_all_once(n, deadline, false)
    })?;
    let total = tally.last_done.map(|t| t.duration_since(t0).as_secs_f64());
    let mut m = base(opts);
    m.insert("threads".into(), json!(opts.threads));
    m.insert("answered".into(), json!(tally.ok));
    m.insert("all_answered".into(), json!(tally.ok as usize == opts.clients));
    m.insert("total_s".into(), json!(total));
    add_tally(&mut m, &tally);
    add_server(&mut m, watcher.and_then(Watcher::finish), tally.ok);
    Ok(m)
}

fn run_idle(opts: &Opts) -> Result<Map<String, Value>, String> {
    let script = Script::for_opts(opts);
    let watcher = watch(opts)?;
    let t0 = Instant::now();
    let shared = Shared::new(Some(t0), None);
    let mut w = Worker::new(opts.clients, &script, &shared, opts).map_err(|e| e.to_string())?;
    w.run_all_once(opts.connect_batch, t0 + opts.duration, false).map_err(|e| e.to_string())?;
    let established = w.open_good();
    let connect_s = t0.elapsed().as_secs_f64();
    let rss_established = watcher.as_ref().and_then(Watcher::now);
    w.hold_until(Instant::now() + opts.hold).map_err(|e| e.to_string())?;
    let rss_held = watcher.as_ref().and_then(Watcher::now);
    let still_open = w.open_good();
    w.run_all_once(opts.connect_batch, Instant::now() + opts.timeout, true).map_err(|e| e.to_string())?;
    let answered_after_hold = w.open_good();
    let mut m = base(opts);
    m.insert("established".into(), json!(established));
    m.insert("connect_s".into(), json!(connect_s));
    m.insert("hold_s".into(), json!(opts.hold.as_secs_f64()));
    m.insert("open_after_hold".into(), json!(still_open));
    m.insert("answered_after_hold".into(), json!(answered_after_hold));
    add_tally(&mut m, &w.tally);
    let watched = watcher.and_then(Watcher::finish);
    if let (Some(wd), Some(e), Some(h)) = (watched, rss_established, rss_held) {
        let grown = h.rss_kib.saturating_sub(wd.before.rss_kib);
        m.insert("rss_established_kib".into(), json!(e.rss_kib));
        m.insert("rss_held_kib".into(), json!(h.rss_kib));
        m.insert(
            "kib_per_idle_client".into(),
            json!(if answered_after_hold > 0 { grown as f64 / answered_after_hold as f64 } else { 0.0 }),
        );
    }
    add_server(&mut m, watched, w.tally.ok);
    drop(w);
    Ok(m)
}

fn run_wait(opts: &Opts) -> Result<Map<String, Value>, String> {
    let waited = fakedrv::wait_ready(opts.addr, &opts.ups, &opts.var, opts.duration, opts.ready_ver)?;
    let mut m = base(opts);
    m.insert("ready".into(), json!(if opts.ready_ver { "ver" } else { "data" }));
    m.insert("waited_ms".into(), json!(waited.as_secs_f64() * 1e3));
    if let Some(since) = opts.since_ns {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        m.insert("ready_ms".into(), json!(now.saturating_sub(since) as f64 / 1e6));
    }
    Ok(m)
}

fn run_propagate(opts: &Opts) -> Result<Map<String, Value>, String> {
    let socket = opts.driver_socket.as_deref().expect("checked by opts");
    let dev = opts.dev.as_deref().expect("checked by opts");
    let p = fakedrv::propagate(opts.addr, &opts.ups, socket, dev, opts.rounds, opts.timeout)?;
    let mut h = hist::Histogram::new();
    for &ns in &p.samples_ns {
        h.record(ns);
    }
    let mut m = base(opts);
    m.insert("rounds".into(), json!(opts.rounds));
    m.insert("ok".into(), json!(p.samples_ns.len()));
    m.insert("errors_total".into(), json!(p.timeouts));
    m.insert("gets".into(), json!(p.gets));
    m.insert(
        "latency_us".into(),
        json!({
            "p50": us(h.quantile(0.5)), "p90": us(h.quantile(0.9)), "p99": us(h.quantile(0.99)),
            "max": us(h.max()), "mean": us(h.mean()),
        }),
    );
    Ok(m)
}

fn print_text(m: &Map<String, Value>) {
    let get = |k: &str| m.get(k).cloned().unwrap_or(Value::Null);
    println!(
        "mix {} against {} ups {} with {} client(s)",
        get("mix").as_str().unwrap_or(""),
        get("addr").as_str().unwrap_or(""),
        get("ups").as_str().unwrap_or(""),
        get("clients")
    );
    for (k, v) in m {
        if matches!(k.as_str(), "mix" | "addr" | "ups" | "clients") {
            continue;
        }
        match v {
            Value::Object(o) => {
                let parts: Vec<String> = o.iter().map(|(a, b)| format!("{a}={b}")).collect();
                println!("  {k}: {}", parts.join(" "));
            }
            _ => println!("  {k}: {v}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_split_evenly() {
        assert_eq!(split(10, 3), vec![4, 3, 3]);
        assert_eq!(split(1, 1), vec![1]);
        assert_eq!(split(1000, 4).iter().sum::<usize>(), 1000);
    }

    #[test]
    fn non_loopback_is_refused_before_any_connection() {
        let args: Vec<OsString> = ["--addr", "192.0.2.1:3493"].iter().map(OsString::from).collect();
        assert_eq!(loadgen_main(args), ExitCode::from(2));
    }
}
