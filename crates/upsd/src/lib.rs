//! upsd: the NUT network server. It connects to the drivers' local sockets,
//! mirrors their data, and answers clients on TCP port 3493.
//!
//! * [`server`]: the protocol logic, a state machine without I/O;
//! * [`event_loop`]: the mio loop that performs its actions;
//! * [`http`]: the optional status page, metrics and JSON API (`HTTP_LISTEN`);
//! * [`config`]: loading upsd.conf, ups.conf, upsd.users and cmdvartab;
//! * [`cli`]: the command line, as NUT 2.8.0's upsd takes it.
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod event_loop;
pub mod http;
pub mod limits;
pub mod server;
pub mod tls;

use cli::{Cli, ParsedArgs};
use event_loop::{bind_listener, EventLoop, Reloader};
use server::{Action, IdGen, Server};
use std::ffi::OsString;
use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// The first line upsd prints.
pub const BANNER: &str = "Network UPS Tools upsd 2.8.0";
/// The user upsd runs as when started by root.
pub const DEFAULT_USER: &str = "nut";

pub(crate) fn strerror(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => e.to_string(),
    }
}

fn fatal(msg: impl std::fmt::Display) -> ExitCode {
    log::error!("{msg}");
    ExitCode::FAILURE
}

fn seed() -> u64 {
    let mut b = [0u8; 8];
    if std::fs::File::open("/dev/urandom").and_then(|mut f| io::Read::read_exact(&mut f, &mut b)).is_ok() {
        return u64::from_ne_bytes(b);
    }
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    (t as u64) ^ u64::from(std::process::id()).rotate_left(32)
}

/// Resolve the LISTEN lines (or the defaults) honouring -4/-6.
fn listen_addrs(conf: &nut_conf::upsd::UpsdConf, cli: &Cli) -> Result<Vec<SocketAddr>, String> {
    let mut out = Vec::new();
    let wanted = |a: &SocketAddr| !(cli.ipv4_only && a.is_ipv6() || cli.ipv6_only && a.is_ipv4());
    if conf.listen.is_empty() {
        for a in ["127.0.0.1:3493", "[::1]:3493"] {
            let a: SocketAddr = a.parse().expect("literal address");
            if wanted(&a) {
                out.push(a);
            }
        }
        return Ok(out);
    }
    resolve(&conf.listen, cli)
}

/// Resolve LISTEN-style lines to the first address of each, honouring -4/-6.
fn resolve(lines: &[nut_conf::upsd::Listen], cli: &Cli) -> Result<Vec<SocketAddr>, String> {
    let mut out = Vec::new();
    let wanted = |a: &SocketAddr| !(cli.ipv4_only && a.is_ipv6() || cli.ipv6_only && a.is_ipv4());
    for l in lines {
        let host = l.addr.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = (host, l.port)
            .to_socket_addrs()
            .map_err(|e| format!("getaddrinfo: {e}"))?
            .filter(|a| wanted(a))
            .collect();
        if let Some(first) = addrs.first() {
            out.push(*first);
        }
    }
    Ok(out)
}

struct ConfReloader {
    confpath: PathBuf,
    datapath: PathBuf,
    tls_at_start: tls::TlsSettings,
}

impl Reloader for ConfReloader {
    fn reload(&mut self, server: &mut Server, now: Instant) -> Vec<Action> {
        match config::load_all(&self.confpath, &self.datapath) {
            Ok(loaded) => {
                if let Some(level) = loaded.upsd.debug_min {
                    nut_daemon::log::set_min_debug(level.min(255) as u8);
                }
                if let Some(notice) = self.tls_at_start.reload_notice(&tls::TlsSettings::of(&loaded.upsd)) {
                    log::warn!("{notice}");
                }
                let settings = loaded.settings();
                server.reconfigure(settings, loaded.ups, Box::new(config::Users(loaded.users)), loaded.descs, now)
            }
            Err(e) => {
                log::error!("{e}; keeping the previous configuration");
                Vec::new()
            }
        }
    }
}

/// upsd's main program.
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> ExitCode {
    let args: Vec<String> = args.into_iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let child = nut_daemon::background::is_child();
    if !child {
        println!("{BANNER}");
    }
    let cli = match cli::parse(&args[1..]) {
        ParsedArgs::Run(cli) => cli,
        ParsedArgs::Help => {
            print!("{}", cli::usage());
            return ExitCode::SUCCESS;
        }
        ParsedArgs::Version => return ExitCode::SUCCESS,
        ParsedArgs::Fatal(msg) => {
            let _ = io::stdout().flush();
            eprintln!("{msg}");
            return ExitCode::FAILURE;
        }
    };
    let _ = io::stdout().flush();
    let pidfile = nut_daemon::paths::altpidpath().join("upsd.pid");

    if let Some(cmd) = cli.control {
        return match nut_daemon::control::signal(cmd, &pidfile, cli.pid) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }

    let foreground = cli.foreground > 0 || (cli.debug > 0 && !cli.background);
    nut_daemon::log::init("upsd", nut_daemon::log::LogOptions { debug_flags: cli.debug, foreground: true });
    if cli.quiet > 0 {
        log::set_max_level(log::LevelFilter::Warn);
    }

    if let Some(pid) = nut_daemon::pidfile::running_instance(&pidfile, "upsd") {
        let _ = pid;
        eprintln!("Fatal error: A previous upsd instance is already running!");
        eprintln!("Either stop the previous instance first, or use the 'reload' command.");
        return ExitCode::FAILURE;
    }

    let detached = if foreground {
        None
    } else {
        match nut_daemon::background::detach() {
            Ok(d) => Some(d),
            Err(e) => return fatal(format!("Can't go to the background: {e}")),
        }
    };

    let confpath = nut_daemon::paths::confpath();
    let upsd_conf = match config::load_upsd_conf(&confpath) {
        Ok(c) => c,
        Err(e) => return fatal(e),
    };
    if let Some(level) = upsd_conf.debug_min {
        nut_daemon::log::set_min_debug(level.min(255) as u8);
    }
    // Certificates are read once, before privileges are dropped, so the
    // key file may stay readable by root only.
    let tls_at_start = tls::TlsSettings::of(&upsd_conf);
    let tls_config = match tls::load(&upsd_conf) {
        Ok(t) => t,
        Err(e) => return fatal(format!("Fatal error: {e}")),
    };

    // Listeners.
    let addrs = match listen_addrs(&upsd_conf, &cli) {
        Ok(a) => a,
        Err(e) => return fatal(e),
    };
    let mut listeners = Vec::new();
    let mut last_ok = false;
    for addr in &addrs {
        match bind_listener(*addr) {
            Ok(l) => {
                let port = l.local_addr().map(|a| a.port()).unwrap_or(addr.port());
                log::info!("listening on {} port {}", addr.ip(), port);
                listeners.push(l);
                last_ok = true;
            }
            Err(e) => {
                log::error!("not listening on {} port {}: {}", addr.ip(), addr.port(), strerror(&e));
                last_ok = false;
            }
        }
    }
    if listeners.is_empty() || (!last_ok && !addrs.is_empty()) {
        return fatal("Fatal error: no listening interface available");
    }
    // HTTP_LISTEN (our extension): bound here, before privileges are
    // dropped, like LISTEN. The status page is optional, so an address
    // that cannot be bound is an error in the log, not a reason to leave
    // the UPS unprotected.
    let mut http_listeners = Vec::new();
    for l in &upsd_conf.http_listen {
        match resolve(std::slice::from_ref(l), &cli) {
            Ok(addrs) if addrs.is_empty() => {
                log::error!("HTTP_LISTEN {} {}: no address of the wanted family", l.addr, l.port)
            }
            Ok(addrs) => {
                for addr in addrs {
                    match bind_listener(addr) {
                        Ok(sock) => {
                            let port = sock.local_addr().map(|a| a.port()).unwrap_or(addr.port());
                            log::info!("HTTP status page and metrics on {} port {}", addr.ip(), port);
                            http_listeners.push(sock);
                        }
                        Err(e) => log::error!("not serving HTTP on {} port {}: {}", addr.ip(), addr.port(), strerror(&e)),
                    }
                }
            }
            Err(e) => log::error!("HTTP_LISTEN {} {}: {e}", l.addr, l.port),
        }
    }

    // chroot, privileges, state directory.
    if let Some(dir) = &cli.chroot {
        if let Err(e) = nix::unistd::chroot(dir.as_path()).and_then(|_| nix::unistd::chdir("/")) {
            return fatal(format!("Can't chroot to {}: {}", dir.display(), e.desc()));
        }
    }
    let user = cli.user.clone().unwrap_or_else(|| DEFAULT_USER.to_string());
    if nut_daemon::privs::is_root() {
        if let Err(e) = nut_daemon::privs::drop_to(&user, None) {
            return fatal(e);
        }
    }
    let statepath = if std::env::var_os("NUT_STATEPATH").is_some() {
        nut_daemon::paths::statepath()
    } else {
        upsd_conf.statepath.as_ref().map(PathBuf::from).unwrap_or_else(nut_daemon::paths::statepath)
    };
    if let Err(e) = std::env::set_current_dir(&statepath) {
        return fatal(format!("Can't chdir to {}: {}", statepath.display(), strerror(&e)));
    }

    // ups.conf, cmdvartab, upsd.users.
    let ups = match config::load_ups_conf(&confpath) {
        Ok(u) => u,
        Err(e) => return fatal(e),
    };
    let allow_no_device = match std::env::var("ALLOW_NO_DEVICE") {
        Ok(v) => matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "yes" | "on")
            || v.trim().parse::<i64>().is_ok_and(|n| n != 0),
        Err(_) => upsd_conf.allow_no_device.unwrap_or(false),
    };
    if ups.is_empty() {
        log::warn!("Warning: no UPS definitions in ups.conf");
        if !allow_no_device {
            return fatal("Fatal error: at least one UPS must be defined in ups.conf");
        }
    }
    let datapath = upsd_conf.datapath.as_ref().map(PathBuf::from).unwrap_or_else(nut_daemon::paths::datapath);
    let descs = config::load_descriptions(&datapath);
    let users = match config::load_users(&confpath) {
        Ok(u) => u,
        Err(e) => return fatal(e),
    };

    let settings = server::Settings {
        maxage: u64::from(upsd_conf.maxage()),
        tracking_delay: u64::from(upsd_conf.trackingdelay()),
    };
    let mut server =
        Server::new(settings, ups, Box::new(config::Users(users)), descs, IdGen::new(seed()), Instant::now());
    server.set_tls_available(tls_config.is_some());
    let mut ev = match EventLoop::new(server, listeners) {
        Ok(ev) => ev,
        Err(e) => return fatal(format!("Can't set up the event loop: {e}")),
    };
    if let Err(e) = ev.add_http_listeners(http_listeners) {
        log::error!("Can't watch the HTTP listeners: {e}");
    }
    ev.maxconn = match upsd_conf.maxconn {
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None => nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
            .map(|(soft, _)| usize::try_from(soft).unwrap_or(usize::MAX))
            .unwrap_or(1024),
    };
    ev.per_address = match upsd_conf.maxconn_per_addr {
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None => limits::default_per_address(ev.maxconn),
    };
    let allow_conf = upsd_conf.clone();
    ev.allow = Box::new(move |ip| allow_conf.client_allowed(ip));
    ev.tls = tls_config;

    let _pid_guard = if cli.foreground == 1 || (cli.debug > 0 && cli.foreground == 0 && !cli.background) {
        log::info!("Running as foreground process, not saving a PID file");
        None
    } else {
        match nut_daemon::pidfile::write(&pidfile) {
            Ok(guard) => Some(guard),
            Err(e) => {
                log::warn!("Can't write PID file {}: {}", pidfile.display(), strerror(&e));
                None
            }
        }
    };
    if let Some(d) = detached {
        d.ready();
    }
    let mut reloader = ConfReloader { confpath, datapath, tls_at_start };
    let status = ev.run(&mut reloader);
    if status == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// For tests: the path a UPS's driver socket has in `statepath`.
pub fn driver_socket(statepath: &Path, driver: &str, ups: &str) -> PathBuf {
    statepath.join(format!("{driver}-{ups}"))
}
