//! upssched: upsmon's NOTIFYCMD helper with timers, as NUT 2.8.0 runs it.
//!
//! A short-lived `upssched` is started by upsmon for each event (env
//! `UPSNAME`, `NOTIFYTYPE`); it runs every matching `AT` line of
//! upssched.conf in file order. `EXECUTE` runs CMDSCRIPT at once; timer
//! lines talk to the timer daemon on PIPEFN (a Unix stream socket),
//! starting it when needed under LOCKFN. The daemon is this same program
//! re-run in the background ([`DAEMON_ENV`]); it fires timers once a second
//! and exits after ~15 s with nothing to do.
//!
//! * [`timers`]: the timer queue and the wire (pure, unit-tested).
#![forbid(unsafe_code)]

pub mod timers;

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime};

use nut_conf::upssched::{Action, UpsschedConf};
use nut_daemon::log::LogOptions;

use timers::{Effect, Request, TimerQueue};

/// Marks the re-executed timer daemon.
pub const DAEMON_ENV: &str = "UPSSCHED_RS_DAEMON";
/// How many times a client tries to reach (or start) the daemon.
const MAX_TRIES: u32 = 30;
/// A lock file older than this is left over from a dead starter.
const STALE_LOCK: Duration = Duration::from_secs(10);

fn fatal(lines: &[&str]) -> ExitCode {
    for l in lines {
        log::error!("{l}");
    }
    ExitCode::FAILURE
}

/// Run upssched (`args` as from `std::env::args`; 2.8.0 reads no options).
pub fn run(_args: Vec<String>) -> ExitCode {
    let daemon = std::env::var_os(DAEMON_ENV).is_some();
    nut_daemon::log::init("upssched", LogOptions { debug_flags: 0, foreground: !daemon });
    nut_daemon::log::also_syslog(true);
    let confpath = nut_daemon::paths::confpath().join("upssched.conf");
    let conf = match load(&confpath) {
        Ok(c) => c,
        Err(e) => return fatal(&[&e]),
    };
    if daemon {
        std::env::remove_var(DAEMON_ENV);
        return run_daemon(&conf);
    }
    let (Ok(upsname), Ok(ntype)) = (std::env::var("UPSNAME"), std::env::var("NOTIFYTYPE")) else {
        // printed on stdout, as 2.8.0 does
        println!("Error: UPSNAME and NOTIFYTYPE must be set.");
        println!("This program should only be run from upsmon.");
        return ExitCode::FAILURE;
    };
    run_client(&conf, &upsname, &ntype)
}

fn load(path: &Path) -> Result<UpsschedConf, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("Can't open {}: {}", path.display(), nut_client_text(&e)))?;
    let parsed = nut_conf::upssched::parse(&bytes, path);
    for d in &parsed.diagnostics {
        log::warn!("{d}");
    }
    if parsed.has_errors() {
        let first = parsed.errors().next().map(|d| d.message.clone()).unwrap_or_default();
        return Err(first);
    }
    Ok(parsed.value)
}

fn nut_client_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The command line CMDSCRIPT runs as: `<script words> <arg>` through the
/// shell, unquoted, as 2.8.0's `system()` call.
pub fn script_line(conf: &UpsschedConf, arg: &str) -> Option<String> {
    let words = conf.cmdscript.as_ref()?;
    Some(format!("{} {arg}", words.join(" ")))
}

fn exec_cmd(conf: &UpsschedConf, arg: &str) {
    let Some(line) = script_line(conf, arg) else { return };
    match Command::new("/bin/sh").arg("-c").arg(&line).stdin(Stdio::null()).status() {
        Ok(s) if s.success() => {}
        Ok(s) => match s.code() {
            Some(code) => log::error!("exec_cmd({line}) returned {code}"),
            None => log::error!("exec_cmd({line}) terminated by a signal"),
        },
        Err(e) => log::error!("Execute command failure: {line}: {e}"),
    }
}

fn run_client(conf: &UpsschedConf, upsname: &str, ntype: &str) -> ExitCode {
    for at in conf.matching(ntype, upsname) {
        match &at.action {
            Action::Execute { cmd } => {
                if cmd.is_empty() {
                    log::error!("Empty EXECUTE command argument");
                    continue;
                }
                log::info!("Executing command: {cmd}");
                exec_cmd(conf, cmd);
            }
            Action::StartTimer { name, secs } | Action::StartTimerShared { name, secs } => {
                let req = Request::Start { name: name.clone(), secs: i64::from(*secs) };
                if let Err(e) = send(conf, &req, true) {
                    return fatal(&[&e]);
                }
            }
            Action::CancelTimer { name, cmd } | Action::CancelTimerMatched { name, cmd } => {
                log::info!("Cancel {name}, event: {ntype}");
                let req = Request::Cancel { name: name.clone(), cmd: cmd.clone() };
                // no daemon and nothing to run instead: nothing to do
                if let Err(e) = send(conf, &req, cmd.is_some()) {
                    return fatal(&[&e]);
                }
            }
        }
    }
    ExitCode::SUCCESS
}

fn try_request(pipefn: &Path, req: &Request) -> Result<bool, ()> {
    let mut s = UnixStream::connect(pipefn).map_err(|_| ())?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    s.write_all(req.to_line().as_bytes()).map_err(|_| ())?;
    let mut reply = String::new();
    BufReader::new(&mut s).read_line(&mut reply).map_err(|_| ())?;
    Ok(reply.starts_with("OK"))
}

/// Deliver `req`, starting the daemon when `may_start`.
fn send(conf: &UpsschedConf, req: &Request, may_start: bool) -> Result<(), String> {
    let (Some(pipefn), Some(lockfn)) = (&conf.pipefn, &conf.lockfn) else {
        return Err("PIPEFN must be set before any ATs in the config file!".to_string());
    };
    let pipefn = PathBuf::from(pipefn);
    let lockfn = PathBuf::from(lockfn);
    for _ in 0..MAX_TRIES {
        match try_request(&pipefn, req) {
            Ok(true) => return Ok(()),
            Ok(false) => log::warn!("read confirmation failed, trying again"),
            Err(()) => {
                if !may_start {
                    return Ok(());
                }
                start_daemon(&lockfn, &pipefn);
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err("Unable to connect to daemon and unable to start daemon".to_string())
}

/// Take LOCKFN and start the daemon; when another starter holds the lock,
/// let it finish (a lock left by a dead starter is removed after a while).
fn start_daemon(lockfn: &Path, pipefn: &Path) {
    match OpenOptions::new().write(true).create_new(true).open(lockfn) {
        Ok(_) => {}
        Err(_) => {
            let stale = std::fs::metadata(lockfn)
                .and_then(|m| m.modified())
                .map(|t| SystemTime::now().duration_since(t).unwrap_or_default() > STALE_LOCK)
                .unwrap_or(false);
            if stale {
                let _ = std::fs::remove_file(lockfn);
            }
            return;
        }
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            log::error!("Failed to connect to parent and failed to create parent: {e}");
            let _ = std::fs::remove_file(lockfn);
            return;
        }
    };
    let spawned = Command::new(exe)
        .env(DAEMON_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match spawned {
        Ok(_child) => {
            // the daemon removes the lock once its socket listens
            let deadline = Instant::now() + Duration::from_secs(5);
            while lockfn.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = pipefn;
        }
        Err(e) => {
            log::error!("Failed to connect to parent and failed to create parent: {e}");
            let _ = std::fs::remove_file(lockfn);
        }
    }
}

struct Conn {
    stream: UnixStream,
    buf: Vec<u8>,
}

fn run_daemon(conf: &UpsschedConf) -> ExitCode {
    let _ = nix::unistd::setsid();
    let (Some(pipefn), Some(lockfn)) = (conf.pipefn.as_ref().map(PathBuf::from), conf.lockfn.as_ref().map(PathBuf::from)) else {
        return fatal(&["PIPEFN must be set before any ATs in the config file!"]);
    };
    let _ = std::fs::remove_file(&pipefn);
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o007));
    let listener = UnixListener::bind(&pipefn);
    nix::sys::stat::umask(old);
    let listener = match listener {
        Ok(l) => l,
        Err(e) => {
            let _ = std::fs::remove_file(&lockfn);
            return fatal(&[&format!("bind {} failed: {e}", pipefn.display())]);
        }
    };
    let _ = std::fs::set_permissions(&pipefn, std::fs::Permissions::from_mode(0o660));
    let _ = listener.set_nonblocking(true);
    let _ = std::fs::remove_file(&lockfn);
    let _pid = nut_daemon::pidfile::write(&nut_daemon::paths::pidpath().join("upssched.pid")).ok();
    log::info!("Timer daemon started");

    let start = Instant::now();
    let mut queue = TimerQueue::default();
    let mut conns: Vec<Conn> = Vec::new();
    let mut next_check = Duration::from_secs(1);
    loop {
        // wait for a request or the next once-a-second check
        {
            use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
            let wait = next_check.saturating_sub(start.elapsed());
            let ms = u16::try_from(wait.as_millis()).unwrap_or(1000);
            let mut fds = vec![PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
            for c in &conns {
                fds.push(PollFd::new(c.stream.as_fd(), PollFlags::POLLIN));
            }
            let _ = poll(&mut fds, PollTimeout::from(ms));
        }
        while let Ok((stream, _)) = listener.accept() {
            let _ = stream.set_nonblocking(true);
            if conns.len() < 64 {
                conns.push(Conn { stream, buf: Vec::new() });
            }
        }
        let now = start.elapsed();
        let mut effects = Vec::new();
        conns.retain_mut(|c| {
            let mut chunk = [0u8; 512];
            loop {
                match c.stream.read(&mut chunk) {
                    Ok(0) => return false,
                    Ok(n) => {
                        c.buf.extend_from_slice(&chunk[..n]);
                        if c.buf.len() > 4096 {
                            return false;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(_) => return false,
                }
            }
            while let Some(pos) = c.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = c.buf.drain(..=pos).collect();
                let text = String::from_utf8_lossy(&line).into_owned();
                match Request::parse(&text) {
                    Ok(req) => {
                        effects.extend(queue.request(req, now));
                        let _ = c.stream.write_all(b"OK\n");
                    }
                    Err(msg) => log::error!("{msg}"),
                }
            }
            true
        });
        if start.elapsed() >= next_check {
            next_check += Duration::from_secs(1);
            effects.extend(queue.check(start.elapsed()));
        }
        for e in effects {
            match e {
                Effect::Log(l) => log::info!("{l}"),
                Effect::Run(arg) => exec_cmd(conf, &arg),
                Effect::Exit => {
                    let _ = std::fs::remove_file(&pipefn);
                    return ExitCode::SUCCESS;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdscript_line_is_unquoted() {
        let conf = nut_conf::upssched::parse(
            b"CMDSCRIPT /usr/bin/cmd\nPIPEFN /tmp/p\nLOCKFN /tmp/l\nAT ONBATT * START-TIMER onbatt 30\n",
            Path::new("upssched.conf"),
        )
        .value;
        assert_eq!(script_line(&conf, "onbatt").as_deref(), Some("/usr/bin/cmd onbatt"));
    }
}
