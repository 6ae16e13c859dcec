//! The upsmon program around the state machine: start-up checks, the
//! privilege split, the polling loop and signals.
//!
//! Privilege split without `fork()`: the process started as root re-runs
//! its own binary as the monitoring child (marked by [`ROLE_ENV`]) with
//! two pipes: the child's stdout carries the single shutdown byte to the
//! root parent, and the child's stdin stays open as long as the parent
//! lives (end of file there means NOPARENT). The child writes the pid
//! file, drops to RUN_AS_USER and does all the work; the parent only waits
//! for the byte, then writes POWERDOWNFLAG and runs SHUTDOWNCMD.

use std::io::Read;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nut_conf::upsmon::UpsmonConf;
use nut_daemon::control;
use nut_daemon::log::LogOptions;
use nut_daemon::{debugx, paths, pidfile, privs};

use crate::backend::{perform, Backend, Live, ShutdownMode};
use crate::cli::{self, Options};
use crate::config::{self, FlagState};
use crate::monitor::{ups_line, Event, Monitor};

/// Marks the re-executed monitoring child (`fg` or `bg`).
pub const ROLE_ENV: &str = "UPSMON_RS_CHILD";
/// The user the unprivileged child runs as when nothing else is said.
pub const DEFAULT_USER: &str = "nut";
/// The version we stand in for.
pub const NUT_VERSION: &str = "2.8.0";

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    log::error!("{msg}");
    ExitCode::FAILURE
}

fn config_path(o: &Options) -> PathBuf {
    o.config.as_ref().map(PathBuf::from).unwrap_or_else(|| paths::confpath().join("upsmon.conf"))
}

/// Load upsmon.conf; fatal problems come back as the text to print.
fn load_conf(path: &Path, quiet: bool) -> Result<UpsmonConf, String> {
    let parsed = config::load(path)?;
    if !quiet {
        config::log_diagnostics(&parsed);
    }
    if parsed.has_errors() {
        return Err("Fatal error: unusable configuration".to_string());
    }
    Ok(parsed.value)
}

/// `upsmon [options]`. `args` excludes the program name.
pub fn run(progname: &str, args: &[String]) -> ExitCode {
    let child_role = std::env::var(ROLE_ENV).ok();
    if child_role.is_some() {
        std::env::remove_var(ROLE_ENV);
    }
    let o = cli::parse(args);
    if child_role.is_none() && !nut_daemon::background::is_child() {
        println!("Network UPS Tools upsmon {NUT_VERSION}");
    }
    if o.help {
        print!("{}", cli::help_text(progname));
        return ExitCode::SUCCESS;
    }
    if o.version_only {
        return ExitCode::SUCCESS;
    }
    if o.test_config {
        return nut_check::check_upsmon(&config_path(&o));
    }
    let foreground = o.stays_in_foreground() || o.command.is_some() || o.check_flag || o.rehearse.is_some();
    let child_bg = child_role.as_deref() == Some("bg");
    nut_daemon::log::init("upsmon", LogOptions { debug_flags: o.debug, foreground: foreground && !child_bg });

    if let Some(role) = child_role {
        return run_child(&o, role == "bg");
    }

    let pidpath = paths::pidpath().join("upsmon.pid");
    if let Some(cmd) = o.command {
        return match control::signal(cmd, &pidpath, o.pid) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                log::error!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    if o.rehearse.is_none() && pidfile::running_instance(&pidpath, "upsmon").is_some() {
        println!("Fatal error: A previous upsmon instance is already running!");
        println!("Either stop the previous instance first, or use the 'reload' command.");
        return ExitCode::FAILURE;
    }

    let path = config_path(&o);
    let conf = match load_conf(&path, false) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if let Some(level) = conf.debug_min {
        nut_daemon::log::set_min_debug(level.min(255) as u8);
    }
    for m in crate::config::monitor_config(&conf, false).ups.iter() {
        log::info!("{}", ups_line(m));
    }
    if let Some(flag) = &conf.powerdownflag {
        log::info!("Using power down flag file {flag}");
    }
    for warning in crate::tls::TlsPolicy::startup_warnings(&conf) {
        log::warn!("{warning}");
    }

    if let Some(script) = &o.rehearse {
        return crate::rehearse::run(&conf, script.as_deref());
    }

    let mut powerdownflag = conf.powerdownflag.as_ref().map(PathBuf::from);
    if o.check_flag {
        return match config::flag_state(powerdownflag.as_deref()) {
            FlagState::Set => {
                log::info!("Power down flag is set");
                ExitCode::SUCCESS
            }
            FlagState::Absent => fail("Power down flag is not set"),
            FlagState::Foreign => fail(format!(
                "POWERDOWNFLAG ({}) does not contain the upsmon magic string",
                powerdownflag.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
            )),
        };
    }

    if conf.shutdowncmd.is_none() {
        println!("Warning: no shutdown command defined!");
    }
    match config::flag_state(powerdownflag.as_deref()) {
        FlagState::Set => {
            if let Some(p) = &powerdownflag {
                let _ = std::fs::remove_file(p);
            }
        }
        FlagState::Foreign => {
            log::error!(
                "POWERDOWNFLAG ({}) does not contain the upsmon magic string - disabling!",
                powerdownflag.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
            );
            powerdownflag = None;
        }
        FlagState::Absent => {}
    }
    if let Err(e) = conf.check_power() {
        println!("\n{e}");
        return ExitCode::FAILURE;
    }

    let detached = if foreground {
        None
    } else {
        match nut_daemon::background::detach() {
            Ok(d) => Some(d),
            Err(e) => return fail(format!("Unable to go to the background: {e}")),
        }
    };

    if o.single_process {
        log::info!("Warning: running as one big root process by request (upsmon -p)");
        let _pid = match pidfile::write(&pidpath) {
            Ok(p) => p,
            Err(e) => return fail(format!("Can't write PID file {}: {e}", pidpath.display())),
        };
        if let Some(d) = detached {
            d.ready();
        }
        let mut mcfg = config::monitor_config(&conf, false);
        mcfg.powerdownflag = powerdownflag;
        let mut live = Live::new(ShutdownMode::InProcess);
        live.set_alert_urls(&conf.policy.webhooks, &conf.policy.ntfy);
        live.tls = crate::tls::TlsPolicy::from_conf(&conf);
        return main_loop(&path, mcfg, conf.notifycmd.clone(), live, false);
    }

    run_parent(&o, &conf, powerdownflag, detached)
}

/// The root parent of the split: start the child, wait for its byte.
fn run_parent(
    o: &Options,
    conf: &UpsmonConf,
    powerdownflag: Option<PathBuf>,
    detached: Option<nut_daemon::background::Detached>,
) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return fail(format!("fork failed: {e}")),
    };
    let background = detached.is_some();
    let mut cmd = Command::new(exe);
    cmd.args(std::env::args_os().skip(1))
        .env(ROLE_ENV, if background { "bg" } else { "fg" })
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    if background {
        cmd.stderr(Stdio::null());
    }
    // signals are the child's business; these must not kill the parent
    let ignored = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGHUP, signal_hook::consts::SIGUSR1, signal_hook::consts::SIGUSR2] {
        let _ = signal_hook::flag::register(sig, Arc::clone(&ignored));
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return fail(format!("fork failed: {e}")),
    };
    if let Some(d) = detached {
        d.ready();
    }
    // keep our end of the child's stdin open for as long as we live
    let _keep = child.stdin.take();
    let Some(mut from_child) = child.stdout.take() else { return fail("pipe creation failed") };
    let mut byte = [0u8; 1];
    let n = loop {
        match from_child.read(&mut byte) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => break other,
        }
    };
    match n {
        Ok(1) if byte[0] == 1 => {}
        Ok(1) => return fail(format!("upsmon parent: got bogus pipe command {}", byte[0] as char)),
        Ok(_) => {
            let _ = child.wait();
            return fail("upsmon parent: exiting (child exited)");
        }
        Err(e) => return fail(format!("upsmon parent: read: {e}")),
    }
    if let Some(flag) = &powerdownflag {
        if config::write_flag(flag).is_err() {
            log::error!("Failed to create power down flag!");
        }
    }
    if !crate::backend::run_shell(conf.shutdowncmd.as_deref()) {
        log::error!("parent: Unable to call shutdown command: {}", conf.shutdowncmd.as_deref().unwrap_or("(null)"));
    }
    let _ = o;
    ExitCode::SUCCESS
}

/// The unprivileged monitoring child of the split.
fn run_child(o: &Options, _background: bool) -> ExitCode {
    let path = config_path(o);
    let conf = match load_conf(&path, true) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if let Some(level) = conf.debug_min {
        nut_daemon::log::set_min_debug(level.min(255) as u8);
    }
    let pidpath = paths::pidpath().join("upsmon.pid");
    let _pid = match pidfile::write(&pidpath) {
        Ok(p) => Some(p),
        Err(e) => {
            log::error!("Can't write PID file {}: {e}", pidpath.display());
            None
        }
    };
    let user = o.user.clone().or_else(|| conf.run_as_user.clone()).unwrap_or_else(|| DEFAULT_USER.to_string());
    if privs::is_root() {
        if let Err(e) = privs::drop_to(&user, None) {
            return fail(format!("Fatal error: can't become user {user}: {e}"));
        }
    }
    let mcfg = config::monitor_config(&conf, true);
    let mut live = Live::new(ShutdownMode::ToParentStdout);
    live.set_alert_urls(&conf.policy.webhooks, &conf.policy.ntfy);
    live.tls = crate::tls::TlsPolicy::from_conf(&conf);
    main_loop(&path, mcfg, conf.notifycmd.clone(), live, true)
}

struct Flags {
    exit: Arc<AtomicUsize>,
    reload: Arc<AtomicBool>,
    fsd: Arc<AtomicBool>,
}

impl Flags {
    fn install() -> Flags {
        use signal_hook::consts::*;
        let f = Flags {
            exit: Arc::new(AtomicUsize::new(0)),
            reload: Arc::new(AtomicBool::new(false)),
            fsd: Arc::new(AtomicBool::new(false)),
        };
        for sig in [SIGTERM, SIGINT, SIGQUIT] {
            let _ = signal_hook::flag::register_usize(sig, Arc::clone(&f.exit), sig as usize);
        }
        let _ = signal_hook::flag::register(SIGHUP, Arc::clone(&f.reload));
        let _ = signal_hook::flag::register(SIGUSR1, Arc::clone(&f.fsd));
        f
    }

    fn pending(&self) -> bool {
        self.exit.load(Ordering::Relaxed) != 0 || self.reload.load(Ordering::Relaxed) || self.fsd.load(Ordering::Relaxed)
    }
}

/// True when the root parent's end of our stdin is gone.
fn parent_gone() -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let stdin = std::io::stdin();
    let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
}

fn main_loop(
    path: &Path,
    cfg: crate::monitor::MonitorConfig,
    mut notifycmd: Option<String>,
    mut live: Live,
    split: bool,
) -> ExitCode {
    let flags = Flags::install();
    let start = Instant::now();
    let split_mode = cfg.split_mode;
    let mut m = Monitor::new(cfg);
    let mut wake: Option<Duration> = None;
    loop {
        if m.is_polling() {
            let sig = flags.exit.load(Ordering::Relaxed);
            if sig != 0 {
                log::info!("Signal {sig}: exiting");
                live.flush_notifiers();
                live.logout_all();
                return ExitCode::SUCCESS;
            }
            if flags.fsd.swap(false, Ordering::Relaxed) {
                log::info!("Signal {}: User requested FSD", signal_hook::consts::SIGUSR1);
                let out = perform(&mut m, &mut live, notifycmd.as_deref(), Event::UserFsd, start.elapsed());
                if let Some(code) = out.exit {
                    return finish(&mut live, code);
                }
                wake = out.wake;
                continue;
            }
            if flags.reload.swap(false, Ordering::Relaxed) {
                let event = match load_conf(path, false) {
                    Ok(c) => {
                        notifycmd = c.notifycmd.clone();
                        live.set_alert_urls(&c.policy.webhooks, &c.policy.ntfy);
                        if let Some(level) = c.debug_min {
                            nut_daemon::log::set_min_debug(level.min(255) as u8);
                        }
                        Event::Reload(config::monitor_config(&c, split_mode))
                    }
                    Err(e) => Event::ReloadFailed(e),
                };
                let out = perform(&mut m, &mut live, notifycmd.as_deref(), event, start.elapsed());
                if let Some(code) = out.exit {
                    return finish(&mut live, code);
                }
            }
            let want = m.config().policy.wants_battery_readings();
            for sys in m.ups_names() {
                let Some(def) = m.ups_def(&sys).cloned() else { continue };
                if let Some(outcome) = live.poll(&def, want) {
                    let out = perform(&mut m, &mut live, notifycmd.as_deref(), Event::Poll { ups: sys, outcome }, start.elapsed());
                    if let Some(code) = out.exit {
                        return finish(&mut live, code);
                    }
                }
            }
            let out = perform(&mut m, &mut live, notifycmd.as_deref(), Event::PassDone, start.elapsed());
            if let Some(code) = out.exit {
                return finish(&mut live, code);
            }
            if out.wake.is_some() {
                wake = out.wake;
            }
            if split && parent_gone() {
                perform(&mut m, &mut live, notifycmd.as_deref(), Event::ParentGone, start.elapsed());
            }
            live.reap();
            if m.is_polling() {
                let until = start.elapsed() + m.poll_interval();
                while start.elapsed() < until && !flags.pending() {
                    std::thread::sleep(Duration::from_millis(50));
                    live.reap();
                }
            }
        } else {
            // a forced shutdown is under way: signals wait, as in NUT
            let target = wake.take().unwrap_or_else(|| start.elapsed());
            while start.elapsed() < target {
                std::thread::sleep((target - start.elapsed()).min(Duration::from_millis(50)));
                live.reap();
            }
            let out = perform(&mut m, &mut live, notifycmd.as_deref(), Event::Tick, start.elapsed());
            live.reap();
            if let Some(code) = out.exit {
                debugx!(1, "Exiting upsmon after initiating shutdown");
                live.flush_notifiers();
                return finish(&mut live, code);
            }
            wake = out.wake;
            if wake.is_none() && !m.is_polling() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(code.clamp(0, 255) as u8)
}

fn finish(live: &mut Live, code: i32) -> ExitCode {
    live.flush_notifiers();
    exit_code(code)
}
