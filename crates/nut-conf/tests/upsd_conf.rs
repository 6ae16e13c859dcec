//! Data-driven tests of the upsd.conf loader.
mod common;
use common::{assert_lines, p, render_diags};
use nut_conf::upsd::{self, CertRequest, Cidr};
use std::net::IpAddr;

fn check(input: &str, expected: &[&str]) {
    let parsed = upsd::parse(input.as_bytes(), p());
    let c = &parsed.value;
    let mut got = Vec::new();
    for l in &c.listen {
        got.push(format!("LISTEN {} {} @{}", l.addr, l.port, l.line));
    }
    for l in &c.http_listen {
        got.push(format!("HTTP_LISTEN {} {}", l.addr, l.port));
    }
    if !c.allow_from.is_empty() {
        got.push(format!("ALLOW_FROM {}", c.allow_from.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")));
    }
    let mut scalars = format!(
        "maxage={:?} tracking={:?} nodev={:?} state={:?} data={:?} maxconn={:?} debug={:?}",
        c.maxage, c.trackingdelay, c.allow_no_device, c.statepath, c.datapath, c.maxconn, c.debug_min
    );
    if c.certfile.is_some() || c.certpath.is_some() || c.certident.is_some() || c.certrequest.is_some() || c.disable_weak_ssl.is_some() {
        scalars.push_str(&format!(
            " certfile={:?} certpath={:?} ident={:?} req={:?} weak={:?}",
            c.certfile,
            c.certpath,
            c.certident.as_ref().map(|i| (&i.name, &i.password)),
            c.certrequest,
            c.disable_weak_ssl
        ));
    }
    got.push(scalars);
    got.extend(render_diags(&parsed));
    assert_lines(input, &got, expected);
}

const NONE: &str = "maxage=None tracking=None nodev=None state=None data=None maxconn=None debug=None";

#[test]
fn empty_file_means_defaults() {
    check("", &[NONE]);
    let c = upsd::parse(b"", p()).value;
    assert_eq!(c.maxage(), 15);
    assert_eq!(c.trackingdelay(), 3600);
    assert!(c.listen.is_empty());
}

#[test]
fn listen_with_and_without_port() {
    check(
        "LISTEN 127.0.0.1 3493\nLISTEN ::1\nLISTEN localhost 34931\n",
        &["LISTEN 127.0.0.1 3493 @1", "LISTEN ::1 3493 @2", "LISTEN localhost 34931 @3", NONE],
    );
}

#[test]
fn listen_bad_port_is_fatal_and_bare_listen_is_a_warning() {
    check("LISTEN 127.0.0.1 http\nLISTEN\n", &[NONE, "E1 ~port \"http\"", "W2 ~expected 'LISTEN <address> [<port>]'"]);
}

#[test]
fn nit_generated_upsd_conf() {
    // What NUT's NIT writes (section 11 of the reference).
    check(
        "STATEPATH \"/tmp/nit/run\"\nLISTEN localhost 34931\nLISTEN 127.0.0.1 34931\nLISTEN ::1 34931\nALLOW_NO_DEVICE true\n",
        &[
            "LISTEN localhost 34931 @2",
            "LISTEN 127.0.0.1 34931 @3",
            "LISTEN ::1 34931 @4",
            "maxage=None tracking=None nodev=Some(true) state=Some(\"/tmp/nit/run\") data=None maxconn=None debug=None",
        ],
    );
}

#[test]
fn scalars() {
    check(
        "MAXAGE 30\nTRACKINGDELAY 60\nALLOW_NO_DEVICE off\nSTATEPATH /run/nut\nDATAPATH /usr/share/nut\nMAXCONN 100\nDEBUG_MIN 2\n",
        &["maxage=Some(30) tracking=Some(60) nodev=Some(false) state=Some(\"/run/nut\") data=Some(\"/usr/share/nut\") maxconn=Some(100) debug=Some(2)"],
    );
}

#[test]
fn keywords_are_case_sensitive_except_debug_min() {
    // upsd 2.8.0: "upsd.conf: invalid directive maxage 5", while
    // "debug_min 1" raised the debug level.
    check(
        "maxage 5\ndebug_min 1\n",
        &["maxage=None tracking=None nodev=None state=None data=None maxconn=None debug=Some(1)", "W1 ~unknown directive maxage"],
    );
}

#[test]
fn non_numeric_maxage_is_ignored_with_warning() {
    // upsd 2.8.0: "MAXAGE has non numeric value (abc)!" and goes on.
    check("MAXAGE abc\n", &[NONE, "W1 ~MAXAGE \"abc\""]);
}

#[test]
fn unknown_and_obsolete_directives_warn() {
    check(
        "FOOBAR 1\nACCEPT all\nREJECT x\nACL a b\n",
        &[NONE, "W1 ~unknown directive FOOBAR", "W2 ~no longer supported", "W3 ~no longer supported", "W4 ~no longer supported"],
    );
}

#[test]
fn ssl_settings() {
    check(
        "CERTFILE /etc/nut/upsd.pem\nCERTPATH /etc/nut/db\nCERTIDENT \"my server\" secret\nCERTREQUEST REQUIRE\nDISABLE_WEAK_SSL yes\n",
        &[&format!("{NONE} certfile=Some(\"/etc/nut/upsd.pem\") certpath=Some(\"/etc/nut/db\") ident=Some((\"my server\", \"secret\")) req=Some(Require) weak=Some(true)")],
    );
    let c = upsd::parse(b"CERTREQUEST 1\n", p()).value;
    assert_eq!(c.certrequest, Some(CertRequest::Request));
    check("CERTREQUEST maybe\nCERTIDENT x\n", &[NONE, "W1 ~CERTREQUEST \"maybe\"", "W2 ~CERTIDENT <certificate name>"]);
}

#[test]
fn bool_words() {
    for (w, b) in [("true", true), ("YES", true), ("on", true), ("1", true), ("7", true), ("false", false), ("no", false), ("OFF", false), ("0", false)] {
        let c = upsd::parse(format!("ALLOW_NO_DEVICE {w}\n").as_bytes(), p()).value;
        assert_eq!(c.allow_no_device, Some(b), "{w}");
    }
    check("ALLOW_NO_DEVICE maybe\n", &[NONE, "W1 ~true/yes/on/1"]);
}

#[test]
fn extensions_http_listen_and_allow_from() {
    check(
        "HTTP_LISTEN 127.0.0.1 8080\nALLOW_FROM 127.0.0.1 192.168.1.0/24\nALLOW_FROM ::1 fd00::/8\n",
        &["HTTP_LISTEN 127.0.0.1 8080", "ALLOW_FROM 127.0.0.1/32 192.168.1.0/24 ::1/128 fd00::/8", NONE],
    );
    check("HTTP_LISTEN 127.0.0.1\n", &[NONE, "W1 ~HTTP_LISTEN <address> <port>"]);
}

#[test]
fn bad_allow_from_is_fatal() {
    check("ALLOW_FROM 10.0.0.0/33 banana\nALLOW_FROM\n", &[NONE, "E1 ~prefix length must be 0 to 32", "E1 ~\"banana\"", "E2 ~at least one network"]);
}

#[test]
fn cidr_matching() {
    let c: Cidr = "192.168.1.0/24".parse().unwrap();
    assert!(c.contains("192.168.1.77".parse().unwrap()));
    assert!(!c.contains("192.168.2.1".parse().unwrap()));
    assert!(c.contains("::ffff:192.168.1.5".parse().unwrap()));
    let any: Cidr = "0.0.0.0/0".parse().unwrap();
    assert!(any.contains("8.8.8.8".parse().unwrap()));
    let v6: Cidr = "fd00::/8".parse().unwrap();
    assert!(v6.contains("fd12::1".parse().unwrap()));
    assert!(!v6.contains("fe80::1".parse().unwrap()));
    assert!(!v6.contains("10.0.0.1".parse().unwrap()));
    let conf = upsd::parse(b"ALLOW_FROM 127.0.0.1\n", p()).value;
    assert!(conf.client_allowed("127.0.0.1".parse::<IpAddr>().unwrap()));
    assert!(!conf.client_allowed("127.0.0.2".parse::<IpAddr>().unwrap()));
    let open = upsd::parse(b"", p()).value;
    assert!(open.client_allowed("203.0.113.9".parse::<IpAddr>().unwrap()));
}

#[test]
fn maxconn_per_addr_is_our_extension() {
    let p = upsd::parse(b"MAXCONN 100\nMAXCONN_PER_ADDR 10\nMAXCONN_PER_ADDR 0\n", std::path::Path::new("upsd.conf"));
    assert_eq!(p.value.maxconn, Some(100));
    assert_eq!(p.value.maxconn_per_addr, Some(10));
    assert_eq!(p.diagnostics.len(), 1, "{:?}", p.diagnostics);
    assert!(p.diagnostics[0].to_string().contains("upsd.conf:3: MAXCONN_PER_ADDR \"0\" ignored"), "{}", p.diagnostics[0]);
}
