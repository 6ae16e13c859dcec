//! The client against a scripted fake server on a loopback port.

use super::*;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::thread;

/// A server that answers each expected request line with the given bytes,
/// then closes. Returns the port and the thread (which yields the requests
/// it saw).
fn fake(script: Vec<(&'static str, Vec<u8>)>) -> (u16, thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = thread::spawn(move || {
        let (sock, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(sock.try_clone().expect("clone"));
        let mut writer = sock;
        let mut seen = Vec::new();
        for (want, reply) in script {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let line = line.trim_end_matches('\n').to_string();
            assert_eq!(line, want, "request");
            seen.push(line);
            if writer.write_all(&reply).is_err() {
                break;
            }
        }
        seen
    });
    (port, handle)
}

fn client(port: u16) -> Client {
    let opts = ConnectOptions { io_timeout: Some(Duration::from_secs(5)), ..ConnectOptions::default() };
    Client::connect_with("127.0.0.1", port, &opts).expect("connect")
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

#[test]
fn get_var_and_errors() {
    let (port, h) = fake(vec![
        ("GET VAR ups ups.status", b("VAR ups ups.status \"OL\"\n")),
        ("GET VAR ups nosuch.var", b("ERR VAR-NOT-SUPPORTED\n")),
        ("GET VAR ups battery.charge", b("VAR ups ups.status \"OL\"\n")),
        ("GET VAR ups x.y", b("ERR SOMETHING-NEW\n")),
    ]);
    let mut c = client(port);
    assert_eq!(c.get_var("ups", "ups.status").unwrap(), "OL");
    let e = c.get_var("ups", "nosuch.var").unwrap_err();
    assert_eq!(e.to_string(), "Variable not supported by UPS");
    assert_eq!(e.code(), Some(ErrCode::VarNotSupported));
    assert_eq!(c.get_var("ups", "battery.charge").unwrap_err().to_string(), "Protocol error");
    assert_eq!(c.get_var("ups", "x.y").unwrap_err().to_string(), "Unknown error");
    h.join().unwrap();
}

#[test]
fn lists_check_their_frame() {
    let (port, h) = fake(vec![
        (
            "LIST VAR ups",
            b("BEGIN LIST VAR ups\nVAR ups a.b \"1\"\nVAR ups c.d \"x \\\"y\\\"\"\nEND LIST VAR ups\n"),
        ),
        ("LIST UPS", b("BEGIN LIST UPS\nUPS ups \"Description unavailable\"\nEND LIST UPS\n")),
        ("LIST CMD ups", b("BEGIN LIST CMD ups\nCMD ups load.off\nEND LIST CMD ups\n")),
        ("LIST CLIENT ups", b("BEGIN LIST CLIENT ups\nEND LIST CLIENT ups\n")),
        ("LIST RANGE ups v.x", b("BEGIN LIST RANGE ups v.x\nRANGE ups v.x \"1\" \"5\"\nEND LIST RANGE ups v.x\n")),
        ("LIST VAR nosuch", b("ERR UNKNOWN-UPS\n")),
        ("LIST RW ups", b("BEGIN LIST VAR ups\nEND LIST VAR ups\n")),
    ]);
    let mut c = client(port);
    assert_eq!(
        c.list_vars("ups").unwrap(),
        vec![("a.b".to_string(), "1".to_string()), ("c.d".to_string(), "x \"y\"".to_string())]
    );
    assert_eq!(c.list_ups().unwrap(), vec![("ups".to_string(), "Description unavailable".to_string())]);
    assert_eq!(c.list_cmd("ups").unwrap(), vec!["load.off".to_string()]);
    assert!(c.list_client("ups").unwrap().is_empty());
    assert_eq!(c.list_range("ups", "v.x").unwrap(), vec![("1".to_string(), "5".to_string())]);
    assert_eq!(c.list_vars("nosuch").unwrap_err().to_string(), "Unknown UPS");
    assert_eq!(c.list_rw("ups").unwrap_err().to_string(), "Protocol error");
    h.join().unwrap();
}

#[test]
fn raw_requests_and_lists() {
    let (port, h) = fake(vec![
        ("VER", b("Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/\n")),
        ("FOO", b("ERR UNKNOWN-COMMAND\n")),
        ("LIST UPS", b("BEGIN LIST UPS\nUPS a \"b\"\nEND LIST UPS\n")),
    ]);
    let mut c = client(port);
    assert!(c.request("VER").unwrap().starts_with("Network UPS Tools upsd"));
    assert_eq!(c.request("FOO").unwrap(), "ERR UNKNOWN-COMMAND");
    assert_eq!(c.request_list("LIST UPS").unwrap(), vec!["UPS a \"b\"".to_string()]);
    h.join().unwrap();
}

#[test]
fn arguments_are_quoted_only_when_needed() {
    let (port, h) = fake(vec![
        ("INSTCMD ups load.off", b("OK\n")),
        ("INSTCMD ups test.x \"a b\"", b("OK TRACKING F4F78A1F-D59B-4F21-82C6-9729871FA9DC\n")),
        ("SET VAR ups ups.id \"a\\\"b\"", b("ERR READONLY\n")),
        ("USERNAME admin", b("OK\n")),
        ("PASSWORD \"p w\"", b("OK\n")),
    ]);
    let mut c = client(port);
    assert_eq!(c.instcmd("ups", "load.off", None).unwrap(), None);
    assert_eq!(
        c.instcmd("ups", "test.x", Some("a b")).unwrap().as_deref(),
        Some("F4F78A1F-D59B-4F21-82C6-9729871FA9DC")
    );
    let e = c.set_var("ups", "ups.id", "a\"b").unwrap_err();
    assert_eq!(e.to_string(), "Read-only variable");
    assert_eq!(e.reply_line(), Some("ERR READONLY"));
    c.username("admin").unwrap();
    c.password("p w").unwrap();
    h.join().unwrap();
}

#[test]
fn primary_falls_back_to_master() {
    let (port, h) = fake(vec![
        ("PRIMARY ups", b("ERR UNKNOWN-COMMAND\n")),
        ("MASTER ups", b("OK MASTER-GRANTED\n")),
        ("PRIMARY ups", b("OK PRIMARY-GRANTED\n")),
        ("FSD ups", b("OK FSD-SET\n")),
        ("LOGIN ups", b("ERR ACCESS-DENIED\n")),
    ]);
    let mut c = client(port);
    assert_eq!(c.primary("ups").unwrap(), Grant::Master);
    assert_eq!(c.primary("ups").unwrap(), Grant::Primary);
    c.fsd("ups").unwrap();
    assert_eq!(c.login("ups").unwrap_err().to_string(), "Access denied");
    h.join().unwrap();
}

#[test]
fn tracking_and_starttls() {
    let (port, h) = fake(vec![
        ("SET TRACKING ON", b("OK\n")),
        ("GET TRACKING", b("ON\n")),
        ("GET TRACKING abc", b("PENDING\n")),
        ("GET TRACKING abc", b("ERR UNKNOWN\n")),
        ("GET TRACKING abc", b("SUCCESS\n")),
        ("STARTTLS", b("ERR FEATURE-NOT-CONFIGURED\n")),
        ("LOGOUT", b("OK Goodbye\n")),
    ]);
    let mut c = client(port);
    c.set_tracking(true).unwrap();
    assert!(c.tracking_enabled().unwrap());
    assert_eq!(c.get_tracking("abc").unwrap(), TrackingStatus::Pending);
    let st = c.get_tracking("abc").unwrap();
    assert_eq!(st.line(), "ERR UNKNOWN");
    assert!(matches!(st, TrackingStatus::Failed { code: Some(ErrCode::Unknown), .. }));
    assert_eq!(c.get_tracking("abc").unwrap(), TrackingStatus::Success);
    assert!(matches!(c.starttls(&TlsClientConfig::unverified()).unwrap(), StartTls::Refused { .. }));
    assert!(!c.is_tls());
    c.logout().unwrap();
    h.join().unwrap();
}

#[test]
fn starttls_accepted_then_no_tls_is_an_error_not_a_hang() {
    let (port, h) = fake(vec![("STARTTLS", b("OK STARTTLS\n"))]);
    let mut c = client(port);
    let e = c.starttls(&TlsClientConfig::unverified()).unwrap_err();
    assert!(e.to_string().starts_with("SSL error: "), "{e}");
    assert!(e.is_fatal());
    assert!(c.get_var("ups", "a.b").is_err());
    h.join().unwrap();
}

#[test]
fn hostile_megabyte_line_is_an_error() {
    let mut huge = vec![b'A'; 1 << 20];
    huge.push(b'\n');
    let (port, h) = fake(vec![("GET VAR ups a.b", huge)]);
    let mut c = client(port);
    let e = c.get_var("ups", "a.b").unwrap_err();
    assert!(matches!(e, ClientError::LineTooLong { .. }), "{e:?}");
    drop(c);
    let _ = h.join();
}

#[test]
fn disconnect_mid_reply() {
    let (port, h) = fake(vec![("LIST VAR ups", b("BEGIN LIST VAR ups\nVAR ups a.b \"1\"\n"))]);
    let mut c = client(port);
    assert_eq!(c.list_vars("ups").unwrap_err().to_string(), "Server disconnected");
    h.join().unwrap();
}

#[test]
fn connection_refused_and_unknown_host() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = Client::connect("127.0.0.1", port).unwrap_err();
    assert_eq!(e.to_string(), "Connection failure: Connection refused");
    let e = Client::connect("nonexistent.invalid", 3493).unwrap_err();
    assert_eq!(e.to_string(), "No such host");
}

#[test]
fn read_timeout_is_a_read_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let opts = ConnectOptions { io_timeout: Some(Duration::from_millis(200)), ..ConnectOptions::default() };
    let mut c = Client::connect_with("127.0.0.1", port, &opts).unwrap();
    let e = c.request("VER").unwrap_err();
    assert_eq!(e.to_string(), "Read error: Connection timed out");
    drop(listener);
}

#[test]
fn type_words_and_timeouts() {
    let t = VarType { words: vec!["RW".into(), "ENUM".into(), "STRING:32".into()] };
    assert!(t.is_rw() && t.is_enum() && !t.is_range());
    assert_eq!(t.string_max(), Some(32));
    assert_eq!(VarType { words: vec!["NUMBER".into()] }.string_max(), None);
    assert_eq!(parse_timeout_secs("2.5"), Some(Duration::from_millis(2500)));
    assert_eq!(parse_timeout_secs("-1"), None);
    assert_eq!(parse_timeout_secs("x"), None);
    assert_eq!(tracking_id("OK TRACKING abc"), Some("abc".to_string()));
    assert_eq!(tracking_id("OK"), None);
}
