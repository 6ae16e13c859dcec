//! WEBHOOK and NTFY delivery end to end: our dummy-ups plays a power cut
//! behind our upsd, our upsmon (`-p -F`) watches it, and HTTP servers run
//! by the test (plain `TcpListener`s) receive the notifications.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use nut_testkit::{Impl, ProcId, Sandbox};

/// One request as the test server saw it.
#[derive(Debug, Clone)]
struct Request {
    head: String,
    body: String,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
    fn path(&self) -> &str {
        self.head.split_whitespace().nth(1).unwrap_or("")
    }
}

/// How the test server answers.
#[derive(Clone, Copy)]
enum Answer {
    /// This status, to every request.
    Status(u16),
    /// 500 to the first `n` requests for each event, then 200.
    FailFirst(usize),
    /// Read the request and never answer (the connection stays open).
    Never,
}

struct Server {
    url: String,
    got: Arc<Mutex<Vec<Request>>>,
    /// Connections the client has closed (EOF seen) while unanswered.
    closed_unanswered: Arc<Mutex<usize>>,
}

fn read_request(s: &mut impl Read) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = text[..end].to_string();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.split_once(':')
                        .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                })
                .and_then(|(_, v)| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned();
                return Some(Request { head, body });
            }
        }
    }
}

fn serve(answer: Answer) -> Server {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let closed = Arc::new(Mutex::new(0));
    let (g, c) = (got.clone(), closed.clone());
    thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            let (g, c) = (g.clone(), c.clone());
            thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(120)));
                let Some(req) = read_request(&mut s) else {
                    return;
                };
                let n = {
                    let mut g = g.lock().unwrap();
                    let event = events(std::slice::from_ref(&req));
                    let n = 1 + g
                        .iter()
                        .filter(|r| events(std::slice::from_ref(r)) == event)
                        .count();
                    g.push(req);
                    n
                };
                let code = match answer {
                    Answer::Status(code) => code,
                    Answer::FailFirst(k) if n <= k => 500,
                    Answer::FailFirst(_) => 200,
                    Answer::Never => {
                        // hold the connection until the client gives up
                        let mut rest = [0u8; 64];
                        while matches!(s.read(&mut rest), Ok(n) if n > 0) {}
                        *c.lock().unwrap() += 1;
                        return;
                    }
                };
                let _ = write!(
                    s,
                    "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            });
        }
    });
    Server {
        url,
        got,
        closed_unanswered: closed,
    }
}

/// Our dummy-ups + upsd serving `seq`, and an upsmon.conf with `extra`.
fn rig(seq: &str, extra: &str, env: &[(&str, &Path)]) -> (Sandbox, ProcId) {
    let mut sb = Sandbox::new();
    sb.write_etc("power.seq", seq);
    sb.write_ups_conf(
        "[ups]\n\tdriver = dummy-ups\n\tport = power.seq\n\tpollinterval = 1\n\tdesc = \"test\"\n",
    );
    sb.write_upsd_users("[mon]\n\tpassword = pass\n\tupsmon primary\n");
    sb.write_upsd_conf("");
    let root = sb.root().display().to_string();
    sb.write_etc(
        "upsmon.conf",
        &format!(
            "MONITOR ups@127.0.0.1:{port} 1 mon pass primary\nMINSUPPLIES 1\n\
             SHUTDOWNCMD \"touch {root}/shutdown-ran\"\nPOLLFREQ 1\nPOLLFREQALERT 1\nFINALDELAY 1\n{extra}",
            port = sb.port()
        ),
    );
    sb.start_dummy(Impl::Ours, "ups");
    sb.start_upsd(Impl::Ours);
    let mut c = sb.command(env!("CARGO_BIN_EXE_upsmon"));
    c.env("NUT_PIDPATH", sb.run()).args(["-p", "-F", "-D"]);
    for (k, v) in env {
        c.env(k, v);
    }
    let id = sb.spawn("upsmon", c);
    (sb, id)
}

fn upsmon_log(sb: &Sandbox) -> String {
    let mut out = String::new();
    for e in std::fs::read_dir(sb.log()).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.contains("upsmon") {
            out.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    out
}

fn marker(root: &Path) -> bool {
    root.join("shutdown-ran").exists()
}

fn events(reqs: &[Request]) -> Vec<String> {
    reqs.iter()
        .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
        .filter_map(|v| v["event"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn power_cut_reaches_webhook_and_ntfy() {
    let hook = serve(Answer::Status(200));
    let ntfy = serve(Answer::Status(200));
    let extra = format!("WEBHOOK {}/hook\nNTFY {}/nas-ups\n", hook.url, ntfy.url);
    let seq = "ups.status: OL\nTIMER 3\nups.status: OB\nTIMER 3\nups.status: OB LB\nTIMER 600\n";
    let (mut sb, id) = rig(seq, &extra, &[]);
    let port = sb.port();
    sb.wait_for("SHUTDOWNCMD", Some(id), Duration::from_secs(60), |s| {
        marker(s.root()).then_some(())
    })
    .unwrap();
    let want = ["ONBATT", "LOWBATT", "SHUTDOWN"];
    let hook_got = sb
        .wait_for("three webhook posts", None, Duration::from_secs(20), |_| {
            let g = hook.got.lock().unwrap().clone();
            (events(&g).len() >= 3).then_some(g)
        })
        .unwrap();
    assert_eq!(events(&hook_got), want, "{hook_got:#?}");
    let ups = format!("ups@127.0.0.1:{port}");
    for r in &hook_got {
        assert_eq!(r.path(), "/hook");
        assert_eq!(r.head.split_whitespace().next(), Some("POST"));
        assert_eq!(r.header("Content-Type"), Some("application/json"));
    }
    let json: Vec<serde_json::Value> = hook_got
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    assert_eq!(json[0]["ups"], ups.as_str());
    assert_eq!(json[0]["message"], format!("UPS {ups} on battery"));
    assert_eq!(json[0]["status"], "OB");
    assert_eq!(json[0]["priority"], "high");
    assert_eq!(json[1]["status"], "OB LB");
    assert!(
        json[2]["ups"].is_null(),
        "SHUTDOWN concerns this host: {}",
        json[2]
    );
    assert_eq!(json[2]["message"], "Auto logout and shutdown proceeding");
    for j in &json {
        assert!(!j["host"].as_str().unwrap_or("").is_empty(), "{j}");
        let t = j["time"].as_str().unwrap_or("");
        assert!(
            t.len() == 20 && t.ends_with('Z') && t.as_bytes()[10] == b'T',
            "{t}"
        );
        assert!(j["timestamp"].as_u64().unwrap_or(0) > 1_600_000_000);
    }

    let ntfy_got = sb
        .wait_for("three ntfy posts", None, Duration::from_secs(20), |_| {
            let g = ntfy.got.lock().unwrap().clone();
            (g.len() >= 3).then_some(g)
        })
        .unwrap();
    assert_eq!(ntfy_got.len(), 3, "{ntfy_got:#?}");
    assert_eq!(ntfy_got[0].path(), "/nas-ups");
    assert_eq!(ntfy_got[0].body, format!("UPS {ups} on battery"));
    assert_eq!(ntfy_got[1].body, format!("UPS {ups} battery is low"));
    for r in &ntfy_got {
        assert_eq!(r.header("Priority"), Some("high"), "{r:?}");
        assert!(r.header("Title").is_some_and(|t| !t.is_empty()));
        assert!(r.header("Tags").is_some_and(|t| t.contains("ups")));
    }
    assert!(ntfy_got[0].header("Title").unwrap().contains("ONBATT"));
}

/// A webhook that accepts and never answers must not hold SHUTDOWNCMD
/// back: the marker appears while that first request is still unanswered
/// (its attempt has a 10-second deadline and the worker sends nothing
/// else to it before then). A webhook that fails with 500 gets retried,
/// and the retries are in the log.
#[test]
fn hanging_or_failing_endpoints_do_not_delay_shutdown() {
    let seq = "ups.status: OL\nTIMER 3\nups.status: OB LB\nTIMER 600\n";
    let hang = thread::spawn(|| {
        let server = serve(Answer::Never);
        let (mut sb, id) = rig(seq, &format!("WEBHOOK {}/hook\n", server.url), &[]);
        sb.wait_for("SHUTDOWNCMD", Some(id), Duration::from_secs(60), |s| {
            marker(s.root()).then_some(())
        })
        .unwrap();
        // the causal check: the shutdown ran before any attempt to the
        // hanging server ended
        let received = events(&server.got.lock().unwrap());
        let closed = *server.closed_unanswered.lock().unwrap();
        assert!(
            !received.is_empty(),
            "the webhook saw the first request\n{}",
            sb.logs()
        );
        assert_eq!(
            closed,
            0,
            "SHUTDOWNCMD waited for the webhook\n{}",
            upsmon_log(&sb)
        );
        assert!(!received.contains(&"SHUTDOWN".to_string()), "{received:?}");
        // upsmon still exits by itself, after a bounded wait for delivery
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while sb.exited(id).is_none() && std::time::Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(
            sb.exited(id).and_then(|s| s.code()),
            Some(0),
            "{}",
            upsmon_log(&sb)
        );
        assert!(
            upsmon_log(&sb).contains("notification(s) not delivered"),
            "{}",
            upsmon_log(&sb)
        );
    });
    let fail = thread::spawn(|| {
        let server = serve(Answer::FailFirst(2));
        let (mut sb, id) = rig(seq, &format!("WEBHOOK {}/hook\n", server.url), &[]);
        sb.wait_for("SHUTDOWNCMD", Some(id), Duration::from_secs(60), |s| {
            marker(s.root()).then_some(())
        })
        .unwrap();
        let log = sb
            .wait_for("retries in the log", None, Duration::from_secs(30), |s| {
                let log = upsmon_log(s);
                let onbatt = events(&server.got.lock().unwrap())
                    .iter()
                    .filter(|e| *e == "ONBATT")
                    .count();
                (log.contains("attempt 2 of 4") && onbatt >= 3).then_some(log)
            })
            .unwrap();
        assert!(
            log.contains("failed (attempt 1 of 4): HTTP 500; retrying in 1 s"),
            "{log}"
        );
        assert!(
            log.contains("failed (attempt 2 of 4): HTTP 500; retrying in 2 s"),
            "{log}"
        );
        // ONBATT got through on its third try
        let got = events(&server.got.lock().unwrap());
        assert_eq!(got.iter().filter(|e| *e == "ONBATT").count(), 3, "{got:?}");
        for e in ["LOWBATT", "SHUTDOWN"] {
            assert!(got.iter().any(|g| g == e), "{e} missing from {got:?}");
        }
        let _ = id;
    });
    hang.join().expect("hanging webhook scenario");
    fail.join().expect("failing webhook scenario");
}

// ---- https:// ----------------------------------------------------------

fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl: {e} (apt-get install openssl)"));
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `<name>-ca.pem` and `<name>.pem` (a certificate for localhost signed by
/// that CA, with its key) under `dir`.
fn make_pki(dir: &Path, name: &str) {
    let ca = format!("{name}-ca");
    openssl(
        dir,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", &format!("{ca}.key"), "-out",
            &format!("{ca}.pem"), "-days", "2", "-subj", &format!("/CN=alerts test {ca}"), "-addext",
            "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    std::fs::write(
        dir.join(format!("{name}.ext")),
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", &format!("{name}.key"), "-out",
            &format!("{name}.csr"), "-subj", "/CN=localhost",
        ],
    );
    openssl(
        dir,
        &[
            "x509", "-req", "-in", &format!("{name}.csr"), "-CA", &format!("{ca}.pem"), "-CAkey",
            &format!("{ca}.key"), "-CAcreateserial", "-days", "2", "-extfile", &format!("{name}.ext"), "-out",
            &format!("{name}.crt"),
        ],
    );
    let pem = [format!("{name}.crt"), format!("{name}.key")]
        .iter()
        .map(|f| std::fs::read_to_string(dir.join(f)).unwrap())
        .collect::<String>();
    std::fs::write(dir.join(format!("{name}.pem")), pem).unwrap();
}

/// An HTTPS server with the certificate and key in `pem`, answering 200.
fn serve_tls(pem: &Path) -> Server {
    let chain = nut_client::tls::load_certs(pem).unwrap();
    let key = nut_client::tls::load_private_key(pem).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(nut_client::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap(),
    );
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://localhost:{}", l.local_addr().unwrap().port());
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(s) = conn else { continue };
            let (g, config) = (g.clone(), config.clone());
            thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
                let Ok(tls) = rustls::ServerConnection::new(config) else { return };
                let mut stream = rustls::StreamOwned::new(tls, s);
                let Some(req) = read_request(&mut stream) else { return };
                g.lock().unwrap().push(req);
                let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                let _ = stream.flush();
                stream.conn.send_close_notify();
                let _ = stream.flush();
            });
        }
    });
    Server { url, got, closed_unanswered: Arc::new(Mutex::new(0)) }
}

/// https:// receivers are checked against the CA bundle ($SSL_CERT_FILE
/// here): one whose certificate our CA signed gets every notification,
/// one signed by another CA gets nothing and the log says why.
#[test]
fn https_receivers_are_verified() {
    let pki = std::env::temp_dir().join(format!("upsmon-alerts-pki-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pki);
    std::fs::create_dir_all(&pki).unwrap();
    make_pki(&pki, "good");
    make_pki(&pki, "rogue");
    let good = serve_tls(&pki.join("good.pem"));
    let rogue = serve_tls(&pki.join("rogue.pem"));
    let extra = format!("WEBHOOK {}/hook\nNTFY {}/topic\n", good.url, rogue.url);
    let seq = "ups.status: OL\nTIMER 3\nups.status: OB LB\nTIMER 600\n";
    let ca = pki.join("good-ca.pem");
    let (mut sb, id) = rig(seq, &extra, &[("SSL_CERT_FILE", ca.as_path())]);
    sb.wait_for("SHUTDOWNCMD", Some(id), Duration::from_secs(60), |s| marker(s.root()).then_some(()))
        .unwrap();
    let got = sb
        .wait_for("three https posts", None, Duration::from_secs(20), |_| {
            let g = good.got.lock().unwrap().clone();
            (events(&g).len() >= 3).then_some(g)
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", upsmon_log(&sb)));
    assert_eq!(events(&got), ["ONBATT", "LOWBATT", "SHUTDOWN"]);
    assert_eq!(got[0].header("Host"), Some(format!("localhost:{}", good.url.rsplit(':').next().unwrap()).as_str()));
    let log = sb
        .wait_for("the refused certificate in the log", None, Duration::from_secs(20), |s| {
            let log = upsmon_log(s);
            log.contains(&format!("to NTFY {}/topic failed (attempt 1 of 4)", rogue.url)).then_some(log)
        })
        .unwrap();
    assert!(log.contains("invalid peer certificate: UnknownIssuer; retrying in 1 s"), "{log}");
    assert!(rogue.got.lock().unwrap().is_empty(), "the rogue server got a request");
    let _ = std::fs::remove_dir_all(&pki);
}
