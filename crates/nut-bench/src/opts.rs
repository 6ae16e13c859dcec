//! Command line of `nut-loadgen`. Hand-written (a dozen flags do not need a
//! parser crate); every value is checked here so the engine can trust it.

use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// What each simulated client does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// `GET VAR <ups> <var>` in a loop on one connection.
    Get,
    /// `LIST VAR <ups>` in a loop on one connection.
    List,
    /// A new connection per operation: USERNAME, PASSWORD, LOGIN, GET VAR, LOGOUT.
    Login,
    /// Open the connections, ask `VER` once on each, hold them, check them again.
    Idle,
    /// Connect all clients at once; each asks one `GET VAR`.
    Burst,
    /// Poll until the server answers `GET VAR` with data (start-up time).
    Wait,
    /// Play a driver on a Unix socket, change `ups.status`, time until the
    /// server shows it.
    Propagate,
}

impl Mix {
    fn from_word(word: &str) -> Option<Mix> {
        Some(match word {
            "get" => Mix::Get,
            "list" => Mix::List,
            "login" => Mix::Login,
            "idle" => Mix::Idle,
            "burst" => Mix::Burst,
            "wait" => Mix::Wait,
            "propagate" => Mix::Propagate,
            _ => return None,
        })
    }

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mix::Get => "get",
            Mix::List => "list",
            Mix::Login => "login",
            Mix::Idle => "idle",
            Mix::Burst => "burst",
            Mix::Wait => "wait",
            Mix::Propagate => "propagate",
        }
    }
}

/// Everything the run needs.
#[derive(Debug, Clone)]
pub struct Opts {
    pub addr: SocketAddr,
    pub ups: String,
    pub var: String,
    pub mix: Mix,
    pub clients: usize,
    pub threads: usize,
    /// Upper bound on the measured run (always set: the program stops by itself).
    pub duration: Duration,
    /// Stop after this many operations (counted from the end of the warm-up).
    pub requests: Option<u64>,
    pub warmup: Duration,
    pub timeout: Duration,
    pub user: String,
    pub password: String,
    pub server_pid: Option<u32>,
    pub json: bool,
    pub hold: Duration,
    pub connect_batch: usize,
    pub driver_socket: Option<PathBuf>,
    pub dev: Option<PathBuf>,
    pub rounds: usize,
    pub since_ns: Option<u128>,
    pub label: Option<String>,
    /// Wait mix: a `VER` answer is enough (instead of `GET VAR` data).
    pub ready_ver: bool,
}

/// Longest run we accept, whatever the flags say.
pub const MAX_DURATION_S: f64 = 3600.0;

pub const USAGE: &str = "\
nut-loadgen: closed-loop load for a NUT-protocol server on a loopback address

usage: nut-loadgen [options]

  -a, --addr HOST:PORT   server address (loopback only; default 127.0.0.1:3493)
  -u, --ups NAME         UPS name (default: ups)
      --var NAME         variable for GET (default: ups.status)
  -m, --mix MIX          get | list | login | idle | burst | wait | propagate (default get)
  -c, --clients N        concurrent clients (default 1)
  -t, --threads N        client threads (default: one per 256 clients, at most 4)
  -d, --duration SECS    measured time (default 10; with --requests: a cap of 600);
                         idle: limit for opening the connections
  -n, --requests N       stop after N operations
      --warmup SECS      unmeasured time before the measurement (default 0)
      --timeout SECS     one operation's time limit (default 10)
      --user NAME        user for the login mix (default: bench)
      --password PW      password for the login mix (default: bench)
  -p, --server-pid PID   sample this process's CPU time, RSS and context switches
      --hold SECS        idle mix: how long to hold the connections (default 5)
      --connect-batch N  connections being opened at a time (default 16, NUT's
                         listen backlog; burst ignores it)
      --driver-socket P  propagate mix: Unix socket path to serve as the driver
      --dev FILE         propagate mix: dummy-ups data file for the dump
      --rounds N         propagate mix: status changes to time (default 50)
      --since-ns NS      wait mix: count from this CLOCK_REALTIME time in ns (date +%s%N)
      --ready ver|data   wait mix: until VER answers, or until GET VAR has data (default)
      --label TEXT       copied into the report
      --json             one JSON object on stdout instead of text
  -h, --help             this text

Operations: get and list count one request each; login counts one whole
session (connect to 'OK Goodbye'); burst counts one connect+GET per client.
";

/// Why the command line was refused.
#[derive(Debug)]
pub enum OptsError {
    Help,
    Bad(String),
}

fn bad(msg: impl Into<String>) -> OptsError {
    OptsError::Bad(msg.into())
}

fn num<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, OptsError> {
    v.parse::<T>().map_err(|_| bad(format!("{flag}: '{v}' is not a valid number")))
}

fn secs(flag: &str, v: &str) -> Result<f64, OptsError> {
    let s: f64 = num(flag, v)?;
    if !s.is_finite() || s < 0.0 || s > MAX_DURATION_S {
        return Err(bad(format!("{flag}: {v} is outside 0..{MAX_DURATION_S} seconds")));
    }
    Ok(s)
}

/// Resolve the address and refuse anything that is not loopback: this tool
/// must never be pointed at somebody else's server.
pub fn loopback_addr(text: &str) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = match text.parse::<SocketAddr>() {
        Ok(a) => vec![a],
        Err(_) => text
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve '{text}': {e}"))?
            .collect(),
    };
    let Some(first) = addrs.first().copied() else {
        return Err(format!("'{text}' resolves to no address"));
    };
    if let Some(other) = addrs.iter().find(|a| !is_loopback(a.ip())) {
        return Err(format!(
            "refusing {text} ({}): nut-loadgen only targets loopback addresses (127.0.0.0/8, ::1)",
            other.ip()
        ));
    }
    if first.port() == 0 {
        return Err(format!("'{text}': port 0 is not a server"));
    }
    Ok(first)
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Parse the arguments (program name excluded).
pub fn parse(args: &[OsString]) -> Result<Opts, OptsError> {
    let mut addr_text = "127.0.0.1:3493".to_string();
    let mut o = Opts {
        addr: "127.0.0.1:3493".parse().expect("literal"),
        ups: "ups".into(),
        var: "ups.status".into(),
        mix: Mix::Get,
        clients: 1,
        threads: 0,
        duration: Duration::ZERO,
        requests: None,
        warmup: Duration::ZERO,
        timeout: Duration::from_secs(10),
        user: "bench".into(),
        password: "bench".into(),
        server_pid: None,
        json: false,
        hold: Duration::from_secs(5),
        connect_batch: 16,
        driver_socket: None,
        dev: None,
        rounds: 50,
        since_ns: None,
        label: None,
        ready_ver: false,
    };
    let mut duration: Option<f64> = None;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].to_str().ok_or_else(|| bad("arguments must be UTF-8"))?.to_string();
        i += 1;
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if matches!(flag.as_str(), "-h" | "--help") {
            return Err(OptsError::Help);
        }
        if flag == "--json" {
            o.json = true;
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                let v = args
                    .get(i)
                    .ok_or_else(|| bad(format!("{flag} needs a value")))?
                    .to_str()
                    .ok_or_else(|| bad("arguments must be UTF-8"))?
                    .to_string();
                i += 1;
                v
            }
        };
        let v = value.as_str();
        match flag.as_str() {
            "-a" | "--addr" => addr_text = value.clone(),
            "-u" | "--ups" => o.ups = value.clone(),
            "--var" => o.var = value.clone(),
            "-m" | "--mix" => {
                o.mix = Mix::from_word(v).ok_or_else(|| bad(format!("unknown mix '{v}'")))?
            }
            "-c" | "--clients" => o.clients = num(&flag, v)?,
            "-t" | "--threads" => o.threads = num(&flag, v)?,
            "-d" | "--duration" => duration = Some(secs(&flag, v)?),
            "-n" | "--requests" => o.requests = Some(num(&flag, v)?),
            "--warmup" => o.warmup = Duration::from_secs_f64(secs(&flag, v)?),
            "--timeout" => o.timeout = Duration::from_secs_f64(secs(&flag, v)?.max(0.001)),
            "--user" => o.user = value.clone(),
            "--password" => o.password = value.clone(),
            "-p" | "--server-pid" => o.server_pid = Some(num(&flag, v)?),
            "--hold" => o.hold = Duration::from_secs_f64(secs(&flag, v)?),
            "--connect-batch" => o.connect_batch = num::<usize>(&flag, v)?.max(1),
            "--driver-socket" => o.driver_socket = Some(PathBuf::from(v)),
            "--dev" => o.dev = Some(PathBuf::from(v)),
            "--rounds" => o.rounds = num(&flag, v)?,
            "--since-ns" => o.since_ns = Some(num(&flag, v)?),
            "--label" => o.label = Some(value.clone()),
            "--ready" => {
                o.ready_ver = match v {
                    "ver" => true,
                    "data" => false,
                    _ => return Err(bad("--ready takes 'ver' or 'data'")),
                }
            }
            _ => return Err(bad(format!("unknown option '{flag}' (try --help)"))),
        }
    }
    o.addr = loopback_addr(&addr_text).map_err(OptsError::Bad)?;
    if o.clients == 0 || o.clients > 1_000_000 {
        return Err(bad("--clients must be 1..1000000"));
    }
    for (what, word) in [("--ups", &o.ups), ("--var", &o.var), ("--user", &o.user), ("--password", &o.password)] {
        if word.is_empty() || word.bytes().any(|b| !b.is_ascii_graphic() || matches!(b, b'"' | b'\\' | b'#' | b'=')) {
            return Err(bad(format!("{what} must be a plain word (no spaces, quotes, '#', '=' or '\\')")));
        }
    }
    if o.requests == Some(0) {
        return Err(bad("--requests must be at least 1"));
    }
    let d = match (duration, o.requests) {
        (Some(d), _) => d,
        (None, Some(_)) => 600.0,
        (None, None) => 10.0,
    };
    o.duration = Duration::from_secs_f64(d);
    if o.threads == 0 {
        o.threads = o.clients.div_ceil(256).clamp(1, 4);
    }
    o.threads = o.threads.min(o.clients).max(1);
    if !matches!(o.mix, Mix::Idle) {
        // The batch is shared out between the threads.
        o.connect_batch = o.connect_batch.div_ceil(o.threads);
    }
    if o.mix == Mix::Propagate && (o.driver_socket.is_none() || o.dev.is_none()) {
        return Err(bad("--mix propagate needs --driver-socket and --dev"));
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn refuses_non_loopback_addresses() {
        for a in ["10.0.0.1:3493", "192.168.1.1:3493", "[2001:db8::1]:3493", "0.0.0.0:3493", "[::]:3493"] {
            let e = parse(&args(&["--addr", a])).unwrap_err();
            assert!(matches!(e, OptsError::Bad(ref m) if m.contains("loopback")), "{a}: {e:?}");
        }
    }

    #[test]
    fn accepts_loopback_addresses() {
        for a in ["127.0.0.1:3493", "127.1.2.3:1", "[::1]:3493", "[::ffff:127.0.0.1]:9"] {
            let o = parse(&args(&["--addr", a])).unwrap_or_else(|_| panic!("{a}"));
            assert_eq!(o.addr, a.parse::<SocketAddr>().unwrap());
        }
    }

    #[test]
    fn always_bounded() {
        assert_eq!(parse(&args(&[])).unwrap().duration, Duration::from_secs(10));
        assert_eq!(parse(&args(&["-n", "5"])).unwrap().duration, Duration::from_secs(600));
        assert!(parse(&args(&["-d", "1e9"])).is_err());
        assert!(parse(&args(&["-d", "NaN"])).is_err());
    }

    #[test]
    fn threads_follow_clients() {
        assert_eq!(parse(&args(&["-c", "1"])).unwrap().threads, 1);
        assert_eq!(parse(&args(&["-c", "1000"])).unwrap().threads, 4);
        assert_eq!(parse(&args(&["-c", "2", "-t", "8"])).unwrap().threads, 2);
    }

    #[test]
    fn words_that_would_break_the_request_line_are_refused() {
        assert!(parse(&args(&["--ups", "a b"])).is_err());
        assert!(parse(&args(&["--ups", "a\"b"])).is_err());
        assert!(parse(&args(&["--ups="])).is_err());
    }
}
