//! upsd's HTTP_LISTEN extension: /metrics, the JSON API and the status page,
//! end to end, while our dummy-ups plays a power cut; plus its limits
//! (garbage, head size, MAXCONN, ALLOW_FROM, idle) and NUT 2.8.0 loading
//! the same upsd.conf with only a warning.
//!
//! Needs `/usr/bin/python3` with `prometheus_client` (Debian
//! python3-prometheus-client) to parse /metrics with the reference parser,
//! and `chromium` to run the page's JavaScript. scripts/install-deps.sh
//! installs both; a missing one fails the test.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nut_testkit::{Impl, LineClient, ProcId, Program, Sandbox, CLIENT_TIMEOUT};

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

const PYTHON: &str = "/usr/bin/python3";
const CHROMIUM: &str = "chromium";

/// A power cut with long enough stages to be seen: on line for 8 s, then
/// on battery and, from 12 s on, low battery for good.
const POWER_CUT: &str = "\
device.mfr: Demo Power
device.model: Simulated 1500VA
battery.charge: 100
battery.runtime: 1800
input.voltage: 230.4
output.voltage: 230.0
ups.load: 23
ups.status: OL
TIMER 8
input.voltage: 0.0
battery.charge: 61
battery.runtime: 700
ups.status: OB DISCHRG
TIMER 4
battery.charge: 18
battery.runtime: 120
ups.status: OB DISCHRG LB
TIMER 600
";

struct Rig {
    sb: Sandbox,
    upsd: ProcId,
    http: u16,
}

/// Our dummy-ups playing `seq` as UPS `demo`, our upsd with HTTP_LISTEN;
/// `ready`: wait until upsd serves the data (over the NUT port).
fn rig(seq: &str, upsd_extra: &str) -> Rig {
    rig_with(seq, upsd_extra, true)
}

fn rig_with(seq: &str, upsd_extra: &str, ready: bool) -> Rig {
    Impl::Ours.path(Program::Upsd);
    Impl::Ours.path(Program::DummyUps);
    let mut sb = Sandbox::new();
    let http = free_port();
    sb.write_etc("power-cut.seq", seq);
    sb.write_ups_conf("[demo]\n\tdriver = dummy-ups\n\tport = power-cut.seq\n\tdesc = \"Simulated power cut\"\n");
    sb.write_upsd_conf(&format!("HTTP_LISTEN 127.0.0.1 {http}\n{upsd_extra}"));
    sb.write_upsd_users("");
    sb.start_dummy(Impl::Ours, "demo");
    let upsd = sb.start_upsd(Impl::Ours);
    if ready {
        sb.wait_ups_ready("demo", Some(upsd)).unwrap_or_else(|e| panic!("{e}\n{}", sb.logs()));
    }
    Rig { sb, upsd, http }
}

/// One HTTP exchange on a fresh connection: (status, headers, body).
fn http_get(port: u16, path: &str, extra: &str) -> Result<(u16, String, String), String> {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra}\r\n");
    exchange(port, raw.as_bytes())
}

fn exchange(port: u16, raw: &[u8]) -> Result<(u16, String, String), String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
    s.write_all(raw).map_err(|e| format!("send: {e}"))?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8(buf).map_err(|e| format!("answer is not UTF-8: {e}"))?;
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| format!("no header end in {text:?}"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    Ok((status, head.to_string(), body.to_string()))
}

fn metrics(port: u16) -> String {
    match http_get(port, "/metrics", "") {
        Ok((200, _, body)) => body,
        other => panic!("GET /metrics: {other:?}"),
    }
}

/// The value of one exact series line (`name{labels}`) in exposition text.
fn series(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| l.strip_prefix(key).and_then(|rest| rest.strip_prefix(' ')).map(str::to_string))
}

fn wait_metrics(rig: &mut Rig, what: &str, want: &[(&str, &str)]) -> String {
    let port = rig.http;
    let want: Vec<(String, String)> = want.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    rig.sb
        .wait_for(what, Some(rig.upsd), Duration::from_secs(20), move |_| {
            let text = http_get(port, "/metrics", "").ok()?.2;
            want.iter().all(|(k, v)| series(&text, k).as_deref() == Some(v.as_str())).then_some(text)
        })
        .unwrap_or_else(|e| panic!("{e}\nlast /metrics:\n{}", metrics(port)))
}

/// Parse exposition text with prometheus_client's own parsers (text
/// format and OpenMetrics) and print `family type value` per sample.
fn python_parse(sb: &Sandbox, text: &str, openmetrics: bool) -> String {
    let script = "\
import sys
from prometheus_client.parser import text_string_to_metric_families as prom
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
data = open(sys.argv[2]).read()
parse = om if sys.argv[1] == 'om' else prom
for fam in parse(data):
    for s in fam.samples:
        labels = ','.join('%s=%s' % kv for kv in sorted(s.labels.items()))
        print(fam.name, fam.type, s.name, labels, s.value)
";
    let file = sb.root().join(if openmetrics { "metrics.om" } else { "metrics.prom" });
    std::fs::write(&file, text).expect("write metrics file");
    let script_path = sb.root().join("parse_metrics.py");
    std::fs::write(&script_path, script).expect("write script");
    assert!(
        Path::new(PYTHON).exists(),
        "{PYTHON} is missing: run scripts/install-deps.sh (python3-prometheus-client)"
    );
    let out = sb.run_path(
        Path::new(PYTHON),
        &[&script_path.to_string_lossy(), if openmetrics { "om" } else { "prom" }, &file.to_string_lossy()],
        CLIENT_TIMEOUT,
    );
    assert!(
        out.success(),
        "prometheus_client rejected our {} output (is python3-prometheus-client installed? scripts/install-deps.sh):\n{}\n--- text:\n{text}",
        if openmetrics { "OpenMetrics" } else { "Prometheus" },
        out.render()
    );
    out.stdout
}

fn chromium_path() -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(CHROMIUM))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| panic!("{CHROMIUM} is not installed: run scripts/install-deps.sh (Debian package chromium)"))
}

fn artifacts_dir() -> PathBuf {
    // Our binaries live in <target>/debug; keep artifacts beside it.
    let bin = Impl::Ours.path(Program::Upsd);
    let target = bin.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_else(std::env::temp_dir);
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

fn chromium(sb: &Sandbox, url: &str, extra: &[&str]) -> nut_testkit::Output {
    let profile = sb.root().join("chromium-profile");
    let profile_arg = format!("--user-data-dir={}", profile.display());
    let mut args = vec![
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--virtual-time-budget=4000",
        "--window-size=1100,800",
        profile_arg.as_str(),
    ];
    args.extend_from_slice(extra);
    args.push(url);
    sb.run_path(&chromium_path(), &args, Duration::from_secs(30))
}

#[test]
fn power_cut_shows_in_metrics_json_and_the_page() {
    let mut rig = rig(POWER_CUT, "");
    let port = rig.http;

    // On line power first.
    let before = wait_metrics(
        &mut rig,
        "OL in /metrics",
        &[
            ("nut_ups_status{ups=\"demo\",flag=\"OL\"}", "1"),
            ("nut_ups_status{ups=\"demo\",flag=\"OB\"}", "0"),
            ("nut_battery_charge{ups=\"demo\"}", "100"),
        ],
    );
    for line in [
        "# TYPE nut_battery_charge gauge",
        "nut_ups_data_stale{ups=\"demo\"} 0",
        "nut_input_voltage{ups=\"demo\"} 230.4",
        "nut_ups_load{ups=\"demo\"} 23",
    ] {
        assert!(before.lines().any(|l| l == line), "missing {line:?} in:\n{before}");
    }
    let info = before.lines().find(|l| l.starts_with("nut_ups_info{")).expect("nut_ups_info line");
    assert!(info.contains("driver_parameter_port=\"power-cut.seq\"") && info.ends_with("} 1"), "{info}");

    // The reference parsers accept both formats.
    let parsed = python_parse(&rig.sb, &before, false);
    assert!(parsed.lines().any(|l| l == "nut_battery_charge gauge nut_battery_charge ups=demo 100.0"), "{parsed}");
    assert!(parsed.lines().any(|l| l == "nut_ups_status gauge nut_ups_status flag=OL,ups=demo 1.0"), "{parsed}");
    let (status, head, om) =
        http_get(port, "/metrics", "Accept: application/openmetrics-text; version=1.0.0\r\n").expect("OpenMetrics");
    assert_eq!(status, 200);
    assert!(head.contains("Content-Type: application/openmetrics-text; version=1.0.0"), "{head}");
    let parsed = python_parse(&rig.sb, &om, true);
    assert!(parsed.lines().any(|l| l.starts_with("nut_ups info nut_ups_info ") && l.contains("driver_name=dummy-ups")), "{parsed}");

    // /api/ups/demo is what `upsc -j demo` prints (retried across a change of data).
    let upsc = Impl::Ours.path(Program::Upsc);
    let spec = rig.sb.ups_spec("demo");
    let mut same = false;
    for _ in 0..10 {
        let a = rig.sb.run_path(&upsc, &["-j", &spec], CLIENT_TIMEOUT);
        let (code, _, body) = http_get(port, "/api/ups/demo", "").expect("GET /api/ups/demo");
        let b = rig.sb.run_path(&upsc, &["-j", &spec], CLIENT_TIMEOUT);
        assert!(a.success(), "upsc -j: {}", a.render());
        assert_eq!(code, 200);
        if a.stdout == b.stdout {
            assert_eq!(body, a.stdout, "/api/ups/demo differs from upsc -j");
            same = true;
            break;
        }
    }
    assert!(same, "the data never held still for three requests");
    let (code, _, body) = http_get(port, "/api/ups/nosuch", "").expect("GET unknown");
    assert_eq!((code, body.as_str()), (404, "{\"error\": \"Unknown UPS\"}\n"));

    // The power goes: OB, then LB.
    let after = wait_metrics(
        &mut rig,
        "OB and LB in /metrics",
        &[
            ("nut_ups_status{ups=\"demo\",flag=\"OL\"}", "0"),
            ("nut_ups_status{ups=\"demo\",flag=\"OB\"}", "1"),
            ("nut_ups_status{ups=\"demo\",flag=\"LB\"}", "1"),
            ("nut_battery_charge{ups=\"demo\"}", "18"),
        ],
    );
    assert_eq!(series(&after, "nut_battery_runtime{ups=\"demo\"}").as_deref(), Some("120"));
    let (code, _, hist) = http_get(port, "/api/history", "").expect("GET /api/history");
    assert_eq!(code, 200);
    assert!(hist.starts_with("{\"interval\":10,") && hist.contains("\"demo\":[["), "{hist}");

    // The page, rendered by a real browser running its JavaScript.
    let url = format!("http://127.0.0.1:{port}/");
    let dom = chromium(&rig.sb, &url, &["--dump-dom"]);
    assert!(dom.success(), "chromium --dump-dom failed:\n{}", dom.render());
    let html = dom.stdout;
    for needle in [
        "data-ups=\"demo\"",
        // The status in words, styled as bad news.
        "<span class=\"status bad\">On battery, Discharging, Low battery</span>",
        "class=\"charge\">18 %",
        "class=\"runtime\">2 min 0 s",
        "<h2>demo</h2>",
        "class=\"input-voltage\">0 V",
        "<path class=\"charge\"",
    ] {
        assert!(html.contains(needle), "rendered page lacks {needle:?}:\n{html}");
    }

    let png = artifacts_dir().join("status-page.png");
    let _ = std::fs::remove_file(&png);
    let shot_arg = format!("--screenshot={}", png.display());
    let shot = chromium(&rig.sb, &url, &[&shot_arg]);
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot at {}: {e}\n{}", png.display(), shot.render()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000, "not a real screenshot: {} bytes", bytes.len());
    println!("status page screenshot: {}", png.display());
}

#[test]
fn garbage_oversized_heads_and_other_methods_are_refused() {
    let rig = rig(POWER_CUT, "");
    let port = rig.http;
    // Not HTTP at all (a NUT command, a TLS hello): 400 and closed.
    for raw in [&b"LIST UPS\r\n\r\n"[..], b"\x16\x03\x01\x00\x05hello\r\n\r\n", b"GET /\r\n\r\n"] {
        let (code, head, _) = exchange(port, raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
        assert_eq!(code, 400, "{raw:?}");
        assert!(head.contains("Connection: close"), "{head}");
    }
    let mut big = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 10_000));
    big.extend_from_slice(b"\r\n\r\n");
    assert_eq!(exchange(port, &big).map(|r| r.0), Ok(431));
    let (code, head, _) = exchange(port, b"DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").expect("DELETE");
    assert_eq!(code, 405);
    assert!(head.contains("Allow: GET, HEAD"), "{head}");
    assert_eq!(http_get(port, "/nowhere", "").map(|r| r.0), Ok(404));

    // Keep-alive: two requests on one connection, then HEAD without a body.
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    s.write_all(b"GET /api/list HTTP/1.1\r\nHost: x\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut all = String::new();
    s.read_to_string(&mut all).expect("read");
    assert_eq!(all.matches("HTTP/1.1 200 OK").count(), 2, "{all}");
    assert!(all.contains("\"demo\": \"Simulated power cut\""), "{all}");
    assert!(all.ends_with("Connection: close\r\n\r\n"), "HEAD must not send a body:\n{all}");

    // 2000 pipelined requests (about 5 MB of answers, more than the socket
    // buffers hold): upsd stops reading past 64 KiB of unsent answers,
    // resumes as they are written, and answers every one in order.
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut burst = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1999);
    burst.push_str("GET /api/list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.write_all(burst.as_bytes()).expect("send burst");
    std::thread::sleep(Duration::from_millis(300));
    let mut all = String::new();
    s.read_to_string(&mut all).expect("read burst answers");
    assert!(all.len() > 2000 * 1000, "only {} bytes came back", all.len());
    assert_eq!(all.matches("HTTP/1.1 200 OK\r\n").count(), 2000);
    assert!(all.ends_with("\"demo\": \"Simulated power cut\"\n}\n"), "last answer is not /api/list");

    // upsd still serves NUT clients and HTTP after all that.
    let mut c = LineClient::connect(rig.sb.port()).expect("connect NUT port");
    assert!(c.request("GET VAR demo driver.name").expect("reply").starts_with("VAR demo driver.name"));
    assert_eq!(http_get(port, "/api/ups", "").map(|r| r.0), Ok(200));
}

#[test]
fn http_connections_count_against_maxconn_and_obey_allow_from() {
    // 1 driver of MAXCONN 3 (listeners do not count, as in NUT): two more.
    let mut rig = rig(POWER_CUT, "MAXCONN 3\n");
    let port = rig.http;
    // The NUT connections of the readiness check must be gone first.
    std::thread::sleep(Duration::from_millis(300));
    let idle: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(("127.0.0.1", port)).expect("connect")).collect();
    // Let upsd accept both before the third arrives.
    std::thread::sleep(Duration::from_millis(300));
    let mut third = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    third.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let _ = third.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut buf = Vec::new();
    let _ = third.read_to_end(&mut buf);
    assert!(buf.is_empty(), "a connection past MAXCONN was served: {}", String::from_utf8_lossy(&buf));
    let mut nut = LineClient::connect(rig.sb.port()).expect("connect");
    assert!(nut.is_closed(Duration::from_secs(3)), "a NUT client past MAXCONN (counting HTTP) was kept");
    drop(idle);
    let rig_port = port;
    rig.sb
        .wait_for("HTTP served again", Some(rig.upsd), Duration::from_secs(5), move |_| {
            http_get(rig_port, "/api/ups", "").ok().filter(|r| r.0 == 200)
        })
        .unwrap_or_else(|e| panic!("{e}"));

    // ALLOW_FROM without loopback: the HTTP peer is closed unanswered.
    let denied = rig_with(POWER_CUT, "ALLOW_FROM 192.0.2.0/24\n", false);
    let mut s = TcpStream::connect(("127.0.0.1", denied.http)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(buf.is_empty(), "ALLOW_FROM did not apply to HTTP: {}", String::from_utf8_lossy(&buf));
}

#[test]
fn idle_http_connections_are_closed() {
    let rig = rig(POWER_CUT, "");
    let mut s = TcpStream::connect(("127.0.0.1", rig.http)).expect("connect");
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n").expect("send half a request");
    s.set_read_timeout(Some(Duration::from_secs(25))).expect("timeout");
    let start = Instant::now();
    let mut buf = Vec::new();
    let r = s.read_to_end(&mut buf);
    assert!(r.is_ok() && buf.is_empty(), "expected a silent close, got {r:?} {:?}", String::from_utf8_lossy(&buf));
    assert!(start.elapsed() >= Duration::from_secs(10), "closed before the idle limit: {:?}", start.elapsed());
}

#[test]
fn nut_upsd_loads_an_upsd_conf_with_http_listen_with_a_warning() {
    Impl::Nut.path(Program::Upsd);
    let mut sb = Sandbox::new();
    sb.write_etc("power-cut.seq", POWER_CUT);
    sb.write_ups_conf("[demo]\n\tdriver = dummy-ups\n\tport = power-cut.seq\n");
    sb.write_upsd_conf(&format!("HTTP_LISTEN 127.0.0.1 {}\n", free_port()));
    sb.write_upsd_users("");
    sb.start_dummy(Impl::Nut, "demo");
    let upsd = sb.start_upsd(Impl::Nut);
    sb.wait_ups_ready("demo", Some(upsd)).unwrap_or_else(|e| panic!("{e}\n{}", sb.logs()));
    let logs = sb.proc_logs(upsd);
    assert!(logs.contains("upsd.conf: invalid directive HTTP_LISTEN 127.0.0.1"), "no warning from NUT's upsd:\n{logs}");
    assert!(sb.exited(upsd).is_none(), "NUT's upsd stopped:\n{logs}");
}
