//! `upsd.conf`: settings of the network server.
//!
//! One directive per line, `NAME arg...`. Names are case-sensitive, except
//! `DEBUG_MIN`. Following NUT, an unknown or malformed directive is only a
//! warning and upsd goes on; the errors reported here are the problems that
//! stop NUT's upsd at start-up (an unusable `LISTEN` port) and problems in
//! our own security extension `ALLOW_FROM` (an allow-list we cannot read
//! must not silently let everyone in).
//!
//! Our extensions (NUT 2.8.0 would warn about them and ignore them):
//!
//! * `HTTP_LISTEN <addr> <port>`: where to serve the status/metrics page;
//!   repeatable.
//! * `ALLOW_FROM <cidr>...`: only clients whose address falls in one of the
//!   listed networks may connect; repeatable, lists add up. Without it,
//!   every client may connect, as in NUT.

use crate::diag::{Diags, Parsed};
use crate::util::{lex, parse_bool, parse_port, parse_u32, parse_uint};
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::str::FromStr;

/// NUT's TCP port.
pub const DEFAULT_PORT: u16 = 3493;
/// Default `MAXAGE`, seconds.
pub const DEFAULT_MAXAGE: u32 = 15;
/// Default `TRACKINGDELAY`, seconds.
pub const DEFAULT_TRACKINGDELAY: u32 = 3600;

/// One `LISTEN` (or `HTTP_LISTEN`) line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    /// Address or host name as written (resolving it is the daemon's job).
    pub addr: String,
    /// Port, [`DEFAULT_PORT`] when not written.
    pub port: u16,
    /// Line it came from.
    pub line: usize,
}

/// `CERTREQUEST` levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertRequest {
    /// 0 / `NO`: do not ask clients for a certificate.
    #[default]
    No,
    /// 1 / `REQUEST`: ask, accept without.
    Request,
    /// 2 / `REQUIRE`: a valid client certificate is required.
    Require,
}

/// `CERTIDENT <name> <password>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertIdent {
    /// Certificate name in the database.
    pub name: String,
    /// Password of the key database.
    pub password: String,
}

/// An IPv4 or IPv6 network for `ALLOW_FROM` (our extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// Network address (host bits may be set; they are ignored).
    pub addr: IpAddr,
    /// Prefix length: up to 32 for IPv4, 128 for IPv6.
    pub prefix: u8,
}

impl Cidr {
    /// True when `ip` is inside this network. An IPv4-mapped IPv6 address
    /// (`::ffff:a.b.c.d`) matches the IPv4 network it maps to.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;
    /// `addr` (a single host) or `addr/prefix`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or network (e.g. 192.168.1.0/24 or fd00::/8)"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match parse_uint(p) {
                Some(n) if n <= u64::from(max) => n as u8,
                _ => return Err(format!("{s:?}: prefix length must be 0 to {max}")),
            },
        };
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A whole upsd.conf. `None` / empty means "not set, use the default".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsdConf {
    /// `LISTEN` lines in file order; empty means the defaults
    /// (`127.0.0.1` and `::1` on port 3493).
    pub listen: Vec<Listen>,
    /// `MAXAGE` seconds (default [`DEFAULT_MAXAGE`]).
    pub maxage: Option<u32>,
    /// `TRACKINGDELAY` seconds (default [`DEFAULT_TRACKINGDELAY`]).
    pub trackingdelay: Option<u32>,
    /// `ALLOW_NO_DEVICE` (the environment variable of the same name wins).
    pub allow_no_device: Option<bool>,
    /// `ALLOW_NOT_ALL_LISTENERS` (newer NUT; accepted).
    pub allow_not_all_listeners: Option<bool>,
    /// `STATEPATH`: driver socket directory.
    pub statepath: Option<String>,
    /// `DATAPATH`: where cmdvartab is.
    pub datapath: Option<String>,
    /// `MAXCONN`: most connections polled at once.
    pub maxconn: Option<u64>,
    /// `MAXCONN_PER_ADDR`: most client connections from one address (our
    /// extension; the default is three quarters of MAXCONN).
    pub maxconn_per_addr: Option<u64>,
    /// `CERTFILE`: PEM certificate (+key) that enables STARTTLS.
    pub certfile: Option<String>,
    /// `CERTPATH`: certificate database / CA directory.
    pub certpath: Option<String>,
    /// `CERTIDENT`.
    pub certident: Option<CertIdent>,
    /// `CERTREQUEST`.
    pub certrequest: Option<CertRequest>,
    /// `DISABLE_WEAK_SSL`.
    pub disable_weak_ssl: Option<bool>,
    /// `DEBUG_MIN`.
    pub debug_min: Option<u32>,
    /// `HTTP_LISTEN` lines (our extension).
    pub http_listen: Vec<Listen>,
    /// `ALLOW_FROM` networks, all lines together (our extension); empty
    /// means no restriction.
    pub allow_from: Vec<Cidr>,
}

impl UpsdConf {
    /// When STARTTLS stays off because the file only has NUT's NSS
    /// settings (`CERTPATH`/`CERTIDENT` naming a certificate database, no
    /// `CERTFILE`): why, and the commands that export the certificate as
    /// the PEM file `CERTFILE` wants.
    pub fn nss_only_hint(&self) -> Option<String> {
        if self.certfile.is_some() || (self.certpath.is_none() && self.certident.is_none()) {
            return None;
        }
        let dir = self.certpath.as_deref().unwrap_or("<CERTPATH>");
        let name = self.certident.as_ref().map_or("<CERTIDENT name>", |c| c.name.as_str());
        Some(format!(
            "CERTPATH/CERTIDENT name an NSS certificate database (NUT's NSS build), which this upsd does not \
             read, so STARTTLS stays disabled. Export the certificate and its key as PEM and use CERTFILE \
             instead: pk12util -d sql:{dir} -n \"{name}\" -o upsd.p12 && \
             openssl pkcs12 -in upsd.p12 -nodes -out upsd.pem (then CERTFILE /etc/nut/upsd.pem, mode 0600)"
        ))
    }

    /// `MAXAGE` or its default.
    pub fn maxage(&self) -> u32 {
        self.maxage.unwrap_or(DEFAULT_MAXAGE)
    }
    /// `TRACKINGDELAY` or its default.
    pub fn trackingdelay(&self) -> u32 {
        self.trackingdelay.unwrap_or(DEFAULT_TRACKINGDELAY)
    }
    /// True when `ip` may connect: no `ALLOW_FROM` at all, or a listed
    /// network contains it.
    pub fn client_allowed(&self, ip: IpAddr) -> bool {
        self.allow_from.is_empty() || self.allow_from.iter().any(|c| c.contains(ip))
    }
}

/// Parse upsd.conf text; `path` is only used in diagnostics.
pub fn parse(text: &[u8], path: &Path) -> Parsed<UpsdConf> {
    let mut diags = Diags::new(path);
    let mut conf = UpsdConf::default();
    for (line, words) in lex(text, &mut diags) {
        directive(&mut conf, line, &words, &mut diags);
    }
    diags.finish(conf)
}

fn directive(conf: &mut UpsdConf, line: usize, words: &[String], diags: &mut Diags) {
    let name = words[0].as_str();
    let args = &words[1..];
    let arg = args.first().map(String::as_str);
    let want = |n: usize, usage: &str, diags: &mut Diags| -> bool {
        if args.len() < n {
            diags.warn(line, format!("{name} ignored: expected '{usage}'"));
            false
        } else {
            true
        }
    };
    match name {
        "LISTEN" | "HTTP_LISTEN" => {
            let usage = if name == "LISTEN" { "LISTEN <address> [<port>]" } else { "HTTP_LISTEN <address> <port>" };
            if !want(if name == "LISTEN" { 1 } else { 2 }, usage, diags) {
                return;
            }
            let port = match args.get(1) {
                None => DEFAULT_PORT,
                Some(p) => match parse_port(p) {
                    Some(p) => p,
                    None => {
                        diags.error(line, format!("{name} {}: port {p:?} is not a number from 1 to 65535", args[0]));
                        return;
                    }
                },
            };
            let entry = Listen { addr: args[0].clone(), port, line };
            if name == "LISTEN" {
                conf.listen.push(entry);
            } else {
                conf.http_listen.push(entry);
            }
        }
        "MAXAGE" | "TRACKINGDELAY" | "DEBUG_MIN" => number(conf, name, line, arg, diags),
        _ if name.eq_ignore_ascii_case("DEBUG_MIN") => number(conf, "DEBUG_MIN", line, arg, diags),
        "MAXCONN" | "MAXCONN_PER_ADDR" => {
            if want(1, &format!("{name} <count>"), diags) {
                match parse_uint(&args[0]) {
                    Some(n) if n > 0 && name == "MAXCONN" => conf.maxconn = Some(n),
                    Some(n) if n > 0 => conf.maxconn_per_addr = Some(n),
                    _ => diags.warn(line, format!("{name} {:?} ignored: expected a number above 0", args[0])),
                }
            }
        }
        "ALLOW_NO_DEVICE" | "ALLOW_NOT_ALL_LISTENERS" | "DISABLE_WEAK_SSL" => {
            if !want(1, &format!("{name} true|false"), diags) {
                return;
            }
            let Some(b) = parse_bool(&args[0]) else {
                diags.warn(line, format!("{name} {:?} ignored: expected true/yes/on/1 or false/no/off/0", args[0]));
                return;
            };
            match name {
                "ALLOW_NO_DEVICE" => conf.allow_no_device = Some(b),
                "ALLOW_NOT_ALL_LISTENERS" => conf.allow_not_all_listeners = Some(b),
                _ => conf.disable_weak_ssl = Some(b),
            }
        }
        "STATEPATH" | "DATAPATH" | "CERTFILE" | "CERTPATH" => {
            if want(1, &format!("{name} <path>"), diags) {
                let v = Some(args[0].clone());
                match name {
                    "STATEPATH" => conf.statepath = v,
                    "DATAPATH" => conf.datapath = v,
                    "CERTFILE" => conf.certfile = v,
                    _ => conf.certpath = v,
                }
            }
        }
        "CERTIDENT" => {
            if want(2, "CERTIDENT <certificate name> <database password>", diags) {
                conf.certident = Some(CertIdent { name: args[0].clone(), password: args[1].clone() });
            }
        }
        "CERTREQUEST" => {
            if !want(1, "CERTREQUEST 0|1|2 (or NO|REQUEST|REQUIRE)", diags) {
                return;
            }
            let level = match args[0].to_ascii_uppercase().as_str() {
                "0" | "NO" => CertRequest::No,
                "1" | "REQUEST" => CertRequest::Request,
                "2" | "REQUIRE" => CertRequest::Require,
                _ => {
                    diags.warn(line, format!("CERTREQUEST {:?} ignored: expected 0 (NO), 1 (REQUEST) or 2 (REQUIRE)", args[0]));
                    return;
                }
            };
            conf.certrequest = Some(level);
        }
        "ACCEPT" | "REJECT" | "ACL" => {
            diags.warn(line, format!("{name} is no longer supported; use LISTEN to choose addresses (and ALLOW_FROM to restrict clients)"));
        }
        "ALLOW_FROM" => {
            if args.is_empty() {
                diags.error(line, "ALLOW_FROM needs at least one network, e.g. 'ALLOW_FROM 127.0.0.1 192.168.1.0/24'");
                return;
            }
            for a in args {
                match a.parse::<Cidr>() {
                    Ok(c) => conf.allow_from.push(c),
                    Err(msg) => diags.error(line, format!("ALLOW_FROM: {msg}")),
                }
            }
        }
        _ => diags.warn(line, format!("unknown directive {name} ignored")),
    }
}

fn number(conf: &mut UpsdConf, name: &str, line: usize, arg: Option<&str>, diags: &mut Diags) {
    let Some(arg) = arg else {
        diags.warn(line, format!("{name} ignored: expected '{name} <number>'"));
        return;
    };
    let Some(n) = parse_u32(arg) else {
        diags.warn(line, format!("{name} {arg:?} ignored: expected a whole number"));
        return;
    };
    match name {
        "MAXAGE" => conf.maxage = Some(n),
        "TRACKINGDELAY" => conf.trackingdelay = Some(n),
        _ => conf.debug_min = Some(n),
    }
}
