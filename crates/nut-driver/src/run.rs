//! The driver process: options, configuration, start-up order, the event
//! loop and exit.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};
use nut_daemon::log::LogOptions;
use nut_proto::sock::{CmdResult, ServerMsg, SockError};

use crate::cli::{self, Cli};
use crate::config::{self, DriverConfig, VarSpec};
use crate::ctx::Ctx;
use crate::server::{self, SockServer};
use crate::{Driver, DriverError, DriverInfo, NUT_VERSION};

const SIGNALS: Token = Token(0);
const LISTENER: Token = Token(1);

/// Built-in run-as user when started as root (Debian's).
pub const DEFAULT_USER: &str = "nut";

fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
}

fn err(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_bytes());
    let _ = e.flush();
}

/// The `-h` text after the banner.
pub fn help_text(prog: &str, vars: &[VarSpec]) -> String {
    let mut s = format!("\nusage: {prog} (-a <id>|-s <id>) [OPTIONS]\n");
    let opts: &[(&str, &[&str])] = &[
        ("-a <id>", &["autoconfig using ups.conf section <id>", "note: -x after -a overrides ups.conf settings"]),
        ("", &[]),
        (
            "-s <id>",
            &[
                "configure directly from cmd line arguments",
                "note: must specify all driver parameters with successive -x",
                "note: at least 'port' variable should be set",
                "note: to explore the current values on a device from an\n\
                 \x20                  unprivileged user account (with sufficient media access in\n\
                 \x20                  the OS - e.g. to query networked devices), you can specify\n\
                 \x20                  '-d 1' argument and `export NUT_STATEPATH=/tmp` beforehand",
            ],
        ),
        ("", &[]),
        ("-V", &["print version, then exit"]),
        ("-L", &["print parseable list of driver variables"]),
        ("-D", &["raise debugging level (and stay foreground by default)"]),
        ("-d <count>", &["dump data to stdout after 'count' updates loop and exit"]),
        ("-F", &["stay foregrounded even if no debugging is enabled"]),
        ("-B", &["stay backgrounded even if debugging is bumped"]),
        ("-q", &["raise log level threshold"]),
        ("-h", &["display this help"]),
        ("-k", &["force shutdown"]),
        ("-i <int>", &["poll interval"]),
        ("-r <dir>", &["chroot to <dir>"]),
        ("-u <user>", &["switch to <user> (if started as root)"]),
        ("-g <group>", &["set pipe access to <group> (if started as root)"]),
        ("-x <var>=<val>", &["set driver variable <var> to <val>", "example: -x cable=940-0095B"]),
    ];
    for (opt, lines) in opts {
        if opt.is_empty() {
            s.push('\n');
            continue;
        }
        for (i, line) in lines.iter().enumerate() {
            let left = if i == 0 { *opt } else { "" };
            s.push_str(&format!("  {left:<14} - {line}\n"));
        }
    }
    if !vars.is_empty() {
        s.push_str("\nAcceptable values for -x or ups.conf in this driver:\n\n");
        for v in vars {
            if v.flag {
                s.push_str(&format!("{} : -x {}\n", v.help, v.name));
            } else {
                s.push_str(&format!("{} : -x {}=<value>\n", v.help, v.name));
            }
        }
    }
    s
}

/// The `-L` lines after the banner.
pub fn list_text(vars: &[VarSpec]) -> String {
    let mut s = String::new();
    for v in vars {
        let kind = if v.flag { "FLAG" } else { "VALUE" };
        s.push_str(&format!("{kind} {} \"{}\"\n", v.name, v.help));
    }
    s
}

/// `name: value` lines of `-d`.
pub fn dump_text(ctx: &Ctx) -> String {
    let mut s = String::new();
    for v in ctx.table().vars() {
        s.push_str(&format!("{}: {}\n", v.name, v.value));
    }
    s
}

/// Publish what the framework owns, before the driver starts: `driver.*`,
/// `device.type`, `default.*` and `override.*`.
pub fn publish_config(ctx: &mut Ctx, info: &DriverInfo) {
    let cfg = ctx.config().clone();
    ctx.setinfo("driver.name", info.prog);
    ctx.setinfo("driver.version", NUT_VERSION);
    ctx.setinfo("driver.version.internal", info.version);
    ctx.setinfo("driver.parameter.port", &cfg.port);
    ctx.setinfo("driver.parameter.pollinterval", &cfg.pollinterval.to_string());
    ctx.setinfo("driver.parameter.synchronous", &cfg.synchronous);
    for (k, v) in &cfg.published {
        match v {
            Some(v) => ctx.setinfo(&format!("driver.parameter.{k}"), v),
            None => ctx.setinfo(&format!("driver.flag.{k}"), "enabled"),
        };
    }
    ctx.setinfo("device.type", "ups");
    for (var, value) in &cfg.defaults {
        ctx.setinfo(var, value);
    }
    for (var, value) in &cfg.overrides {
        ctx.set_immutable(var, value);
    }
}

/// After init and the first update: `ups.mfr`, `ups.model`, `ups.serial`
/// are copied to the `device.*` names once (NUT 2.8.0's moment, checked
/// with a `.seq` file that changes `ups.model` in its first update).
pub fn copy_device_info(ctx: &mut Ctx) {
    for what in ["mfr", "model", "serial"] {
        if let Some(v) = ctx.getinfo(&format!("ups.{what}")).map(str::to_string) {
            ctx.setinfo(&format!("device.{what}"), &v);
        }
    }
}

/// An I/O error as C's `strerror` words it (no "(os error N)" suffix).
pub fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_string(),
        None => e.to_string(),
    }
}

/// In the detached copy: did the original process (our parent, waiting
/// for us) print the banner, i.e. is its stdout a terminal?
fn parent_stdout_is_terminal() -> bool {
    let ppid = nix::unistd::getppid();
    std::fs::read_link(format!("/proc/{ppid}/fd/1")).is_ok_and(|p| {
        let p = p.to_string_lossy();
        p.starts_with("/dev/pts/") || p.starts_with("/dev/tty") || p == "/dev/console"
    })
}

fn banner(text: &str, detached_child: bool) {
    if !detached_child {
        out(text);
    }
}

fn is_foreground(cli: &Cli) -> bool {
    cli.dump_count.is_some()
        || cli.kill_power
        || (cli.foreground && !cli.background)
        || (cli.debug > 0 && !cli.background)
}

fn fail(e: &DriverError) -> ExitCode {
    log::error!("{}", e.message);
    ExitCode::from(e.code)
}

/// Run a driver: `args` is the whole argv (program name first). Returns
/// the process exit status.
pub fn run<D: Driver>(mut driver: D, args: Vec<String>) -> ExitCode {
    let info = driver.info();
    let mut banner_text = format!("{}\n", info.banner());
    for line in driver.banner_extra() {
        banner_text.push_str(&line);
        banner_text.push('\n');
    }
    let vars = driver.vars();
    let argv0 = args.first().cloned().unwrap_or_else(|| info.prog.to_string());
    let detached_child = nut_daemon::background::is_child();
    let cli = match cli::parse(&args[1.min(args.len())..]) {
        Ok(cli) => cli,
        Err(e) => {
            banner(&banner_text, detached_child);
            err(&format!("{argv0}: {}\nError: unknown option -?. Try -h for help.\n", e.getopt_text()));
            return ExitCode::from(1);
        }
    };
    // NUT prints its banner through buffered stdio and then forks: when
    // stdout is not a terminal the banner of a driver that goes to the
    // background is lost, and scripts (upsdrvctl's callers) see none.
    let only_prints = cli.help || cli.version || cli.list_vars;
    let goes_to_background = !only_prints && !is_foreground(&cli) && !std::io::stdout().is_terminal();
    let banner_shown = if detached_child { parent_stdout_is_terminal() } else { !goes_to_background };
    if banner_shown {
        banner(&banner_text, detached_child);
    }
    if cli.version {
        return ExitCode::SUCCESS;
    }
    if cli.help {
        out(&help_text(info.prog, &vars));
        return ExitCode::SUCCESS;
    }
    if cli.list_vars {
        out(&list_text(&vars));
        return ExitCode::SUCCESS;
    }
    if cli.section.is_none() && cli.standalone.is_none() {
        if !banner_shown {
            banner(&banner_text, detached_child);
        }
        err("Error: specifying '-a id' or '-s id' is now mandatory. Try -h for help.\n");
        return ExitCode::from(1);
    }

    let conf = if cli.section.is_some() {
        let path = nut_daemon::paths::conf_file("ups.conf");
        match std::fs::read(&path) {
            Ok(text) => Some(nut_conf::ups::parse(&text, &path).value),
            Err(e) => {
                if !banner_shown {
                    banner(&banner_text, detached_child);
                }
                err(&format!("Fatal error: Can't open {}: {}\n", path.display(), strerror(&e)));
                return ExitCode::from(1);
            }
        }
    } else {
        None
    };
    let cfg = match config::resolve(conf.as_ref(), &cli, info.prog, &vars) {
        Ok(cfg) => cfg,
        Err(e) => {
            if !banner_shown {
                banner(&banner_text, detached_child);
            }
            if e.on_stdout() {
                out(&e.text());
            } else {
                err(&e.text());
            }
            return ExitCode::from(e.exit_code());
        }
    };

    let foreground = is_foreground(&cli);
    // Until the detached copy reports ready its stderr is the caller's, so
    // start-up errors are seen there (as NUT's, which fail before forking);
    // `Detached::ready` then switches logging to syslog.
    nut_daemon::log::init(info.prog, LogOptions { debug_flags: cli.debug, foreground: true });
    if let Some(min) = cfg.debug_min {
        nut_daemon::log::set_min_debug(min);
    }

    let mut ctx = Ctx::new(cfg);
    publish_config(&mut ctx, &info);

    if cli.kill_power {
        err("Initiating UPS shutdown\n");
        if let Err(e) = driver.open(&mut ctx) {
            return fail(&e);
        }
        let result = driver.shutdown(&mut ctx);
        driver.cleanup(&mut ctx);
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                err(&format!("{}\n", e.message));
                ExitCode::from(e.code)
            }
        };
    }

    if let Some(count) = cli.dump_count {
        return dump_mode(&mut driver, &mut ctx, &cli, count);
    }

    let detached = if foreground {
        None
    } else {
        match nut_daemon::background::detach() {
            Ok(d) => Some(d),
            Err(e) => {
                err(&format!("Fatal error: Unable to enter background: {e}\n"));
                return ExitCode::from(1);
            }
        }
    };

    let name = format!("{}-{}", info.prog, ctx.upsname());
    let pidpath = nut_daemon::paths::altpidpath().join(format!("{name}.pid"));
    stop_duplicate(&pidpath, info.prog);

    // A start-up failure in the detached copy still shows the banner (its
    // stdout reaches the caller until it is ready), as NUT's does when it
    // exits before forking.
    let fail_early = |e: &DriverError| {
        if !banner_shown {
            out(&banner_text);
        }
        fail(e)
    };
    if let Err(e) = driver.open(&mut ctx) {
        return fail_early(&e);
    }
    if let Err(e) = become_user(&cli, ctx.config()) {
        return fail_early(&e);
    }
    if let Err(e) = driver.init(&mut ctx) {
        return fail_early(&e);
    }
    std::thread::sleep(driver.update_delay());
    driver.update(&mut ctx);
    copy_device_info(&mut ctx);
    ctx.take_outbox();
    if let Err(e) = check_ignorelb(&ctx) {
        return fail_early(&e);
    }

    let sockpath = nut_daemon::paths::statepath().join(&name);
    let gid = ctx.config().group.as_deref().and_then(|g| nix::unistd::Group::from_name(g).ok().flatten());
    let listener = match server::bind(&sockpath, gid.map(|g| g.gid.as_raw())) {
        Ok(l) => l,
        Err(e) => {
            return fail_early(&DriverError::fatal(format!(
                "Fatal error: unable to create listener socket\n\nbind {} failed: {}",
                sockpath.display(),
                strerror(&e)
            )));
        }
    };
    // NUT 2.8.0 writes the pid file only when it goes to the background.
    let pidfile = if detached.is_none() {
        None
    } else {
        match nut_daemon::pidfile::write(&pidpath) {
            Ok(p) => Some(p),
            Err(e) => {
                log::warn!("writepid: fopen {}: {}", pidpath.display(), strerror(&e));
                None
            }
        }
    };
    let code = event_loop(&mut driver, &mut ctx, listener, sockpath, detached);
    drop(pidfile);
    code
}

/// With `ignorelb` the driver must be able to tell a low battery itself.
fn check_ignorelb(ctx: &Ctx) -> Result<(), DriverError> {
    if !ctx.testvar("ignorelb") {
        return Ok(());
    }
    for (value, low) in [("battery.charge", "battery.charge.low"), ("battery.runtime", "battery.runtime.low")] {
        if ctx.getinfo(value).is_some() && ctx.getinfo(low).is_some() {
            log::info!("using '{value}' to set battery low state");
        }
    }
    if ctx.battery_low().is_none() {
        return Err(DriverError::fatal(
            "The 'ignorelb' flag is set, but there is no way to determine the\n\
             battery state of charge.\n\n\
             Only set this flag if both 'battery.charge' and 'battery.charge.low'\n\
             and/or 'battery.runtime' and 'battery.runtime.low' are available.\n",
        ));
    }
    Ok(())
}

fn dump_mode<D: Driver>(driver: &mut D, ctx: &mut Ctx, cli: &Cli, count: u32) -> ExitCode {
    if let Err(e) = driver.open(ctx) {
        return fail(&e);
    }
    if let Err(e) = become_user(cli, ctx.config()) {
        return fail(&e);
    }
    if let Err(e) = driver.init(ctx) {
        return fail(&e);
    }
    // NUT 2.8.0 runs the start-up update, then `count + 1` loop updates
    // back to back (no pollinterval wait), then prints.
    for i in 0..=count.saturating_add(1) {
        std::thread::sleep(driver.update_delay());
        driver.update(ctx);
        if i == 0 {
            copy_device_info(ctx);
        }
    }
    ctx.take_outbox();
    out(&dump_text(ctx));
    driver.cleanup(ctx);
    ExitCode::SUCCESS
}

/// NUT's duplicate-instance rule: a live driver recorded in our pid file
/// is asked to stop (SIGTERM up to three times, 5 s apart), then killed.
fn stop_duplicate(pidpath: &Path, prog: &str) {
    let Some(pid) = nut_daemon::pidfile::running_instance(pidpath, prog) else { return };
    if pid == std::process::id() as i32 {
        return;
    }
    log::warn!(
        "Duplicate driver instance detected (PID file {} exists)! Terminating other driver!",
        pidpath.display()
    );
    let target = nix::unistd::Pid::from_raw(pid);
    for _ in 0..3 {
        let _ = nix::sys::signal::kill(target, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !nut_daemon::pidfile::is_alive(pid) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let _ = nix::sys::signal::kill(target, nix::sys::signal::Signal::SIGKILL);
    std::thread::sleep(Duration::from_millis(100));
}

fn become_user(cli: &Cli, cfg: &DriverConfig) -> Result<(), DriverError> {
    if let Some(dir) = cfg.chroot.as_deref() {
        nix::unistd::chroot(dir)
            .and_then(|()| nix::unistd::chdir("/"))
            .map_err(|e| DriverError::fatal(format!("chroot to {dir} failed: {}", e.desc())))?;
    }
    if !nut_daemon::privs::is_root() {
        return Ok(());
    }
    let user = cli.user.as_deref().or(cfg.user.as_deref()).unwrap_or(DEFAULT_USER);
    nut_daemon::privs::drop_to(user, None).map_err(|e| DriverError::fatal(format!("Fatal error: {e}")))
}

struct Schedule {
    next_tick: Instant,
    update_at: Option<Instant>,
}

fn event_loop<D: Driver>(
    driver: &mut D,
    ctx: &mut Ctx,
    listener: mio::net::UnixListener,
    sockpath: PathBuf,
    detached: Option<nut_daemon::background::Detached>,
) -> ExitCode {
    let mut poll = match Poll::new() {
        Ok(p) => p,
        Err(e) => return fail(&DriverError::fatal(format!("poll: {e}"))),
    };
    let mut signals = match nut_daemon::signals::daemon_signals() {
        Ok(s) => s,
        Err(e) => return fail(&DriverError::fatal(format!("signals: {e}"))),
    };
    if let Err(e) = poll.registry().register(&mut signals, SIGNALS, Interest::READABLE) {
        return fail(&DriverError::fatal(format!("signals: {e}")));
    }
    let mut srv = match SockServer::new(listener, sockpath, poll.registry(), LISTENER) {
        Ok(s) => s,
        Err(e) => return fail(&DriverError::fatal(format!("socket: {e}"))),
    };
    srv.connect_note = Some(connect_note(&ctx.config().synchronous));
    if let Some(d) = detached {
        d.ready();
    }

    let pollint = Duration::from_secs(u64::from(ctx.config().pollinterval));
    let now = Instant::now();
    let mut sched = Schedule { next_tick: now + pollint, update_at: Some(now + driver.update_delay()) };
    let mut events = Events::with_capacity(256);
    let mut exit_signal: Option<i32> = None;

    while exit_signal.is_none() {
        let now = Instant::now();
        let due = sched.update_at.map_or(sched.next_tick, |u| u.min(sched.next_tick));
        let busy = !srv.clients_with_more_input().is_empty();
        let timeout = if busy { Duration::ZERO } else { due.saturating_duration_since(now) };
        if let Err(e) = poll.poll(&mut events, Some(timeout)) {
            if e.kind() != std::io::ErrorKind::Interrupted {
                log::error!("poll failed: {e}");
                break;
            }
        }
        let mut readable: Vec<Token> = Vec::new();
        for event in events.iter() {
            match event.token() {
                SIGNALS => {
                    for sig in signals.pending() {
                        match sig {
                            // NUT 2.8.0's drivers die on SIGHUP too (no
                            // reload before 2.8.1); we exit cleanly.
                            nut_daemon::signals::SIGTERM
                            | nut_daemon::signals::SIGINT
                            | nut_daemon::signals::SIGQUIT
                            | nut_daemon::signals::SIGHUP => exit_signal = Some(sig),
                            other => nut_daemon::debugx!(1, "Signal {other}: ignored"),
                        }
                    }
                }
                LISTENER => srv.accept(poll.registry()),
                token => {
                    if event.is_readable() || event.is_read_closed() || event.is_error() {
                        readable.push(token);
                    }
                }
            }
        }
        for token in srv.clients_with_more_input() {
            if !readable.contains(&token) {
                readable.push(token);
            }
        }
        for token in readable {
            let lines = srv.read_lines(token);
            for line in lines {
                handle_line(driver, ctx, &mut srv, token, line);
            }
        }

        let now = Instant::now();
        if now >= sched.next_tick && sched.update_at.is_none() {
            sched.update_at = Some(sched.next_tick + driver.update_delay());
            sched.next_tick += pollint;
        }
        if sched.update_at.is_some_and(|u| Instant::now() >= u) {
            sched.update_at = None;
            driver.update(ctx);
            let after = Instant::now();
            if after > sched.next_tick {
                sched.next_tick = after;
            }
        }
        for line in ctx.take_outbox() {
            srv.broadcast(&line);
        }
        srv.flush_all(poll.registry());
    }

    if let Some(sig) = exit_signal {
        log::info!("Signal {sig}: exiting");
    }
    driver.cleanup(ctx);
    srv.remove_file();
    ExitCode::SUCCESS
}

fn handle_line<D: Driver>(
    driver: &mut D,
    ctx: &mut Ctx,
    srv: &mut SockServer,
    token: Token,
    line: Result<Vec<String>, String>,
) {
    if srv.clients.get(&token).map_or(true, |c| c.is_done()) {
        return;
    }
    let words = match line {
        Ok(words) => words,
        Err(e) => {
            if let Some(c) = srv.clients.get_mut(&token) {
                c.complain(&[format!("Parse error on sock: {e}")]);
            }
            return;
        }
    };
    if words.is_empty() {
        return;
    }
    let msg = match ServerMsg::parse(&words) {
        Ok(m) => m,
        Err(e) => {
            if let Some(c) = srv.clients.get_mut(&token) {
                c.complain(&bad_request_lines(&words, &e));
            }
            return;
        }
    };
    let mut reply = String::new();
    match msg {
        ServerMsg::DumpAll => reply = ctx.dump(),
        ServerMsg::Ping => reply.push_str("PONG\n"),
        ServerMsg::InstCmd { cmd, param, tracking } => {
            nut_daemon::debugx!(2, "instcmd: {cmd} {}", param.as_deref().unwrap_or(""));
            let result = driver.instcmd(ctx, &cmd, param.as_deref());
            if let Some(id) = tracking {
                reply = tracking_line(&id, result);
            }
        }
        ServerMsg::Set { var, value, tracking } => {
            let result = driver.setvar(ctx, &var, &value);
            if let Some(id) = tracking {
                reply = tracking_line(&id, result);
            }
        }
        ServerMsg::GetPid => reply = format!("PID {}\n", std::process::id()),
        ServerMsg::DumpValue { var } => {
            if let Some(lines) = ctx.dump_var(&var) {
                reply = lines;
                reply.push_str(if ctx.is_stale() { "DATASTALE\n" } else { "DATAOK\n" });
                reply.push_str("DUMPDONE\n");
            }
        }
        ServerMsg::DumpStatus => {
            if let Some(lines) = ctx.dump_var("ups.status") {
                reply = lines;
            }
            reply.push_str(if ctx.is_stale() { "DATASTALE\n" } else { "DATAOK\n" });
            reply.push_str("DUMPDONE\n");
        }
        ServerMsg::NoBroadcast => {
            if let Some(c) = srv.clients.get_mut(&token) {
                c.broadcast = false;
            }
        }
        ServerMsg::Broadcast { on } => {
            if let Some(c) = srv.clients.get_mut(&token) {
                c.broadcast = on;
            }
        }
        ServerMsg::Logout => {
            reply.push_str("OK Goodbye\n");
            if let Some(c) = srv.clients.get_mut(&token) {
                c.closing = true;
            }
        }
    }
    // Changes made by the request reach everyone first, then the answer.
    for line in ctx.take_outbox() {
        srv.broadcast(&line);
    }
    if !reply.is_empty() {
        if let Some(c) = srv.clients.get_mut(&token) {
            c.send(&reply);
        }
    }
}

/// What NUT 2.8.0 logs for a request it cannot use: a "Malformed" line
/// when SET or INSTCMD had enough words to be recognised, then the words.
fn bad_request_lines(words: &[String], e: &SockError) -> Vec<String> {
    let mut lines = Vec::new();
    if let SockError::Malformed { command, .. } = e {
        let cmd = command.to_ascii_uppercase();
        let enough = match cmd.as_str() {
            "INSTCMD" => words.len() >= 2,
            "SET" => words.len() >= 3,
            _ => false,
        };
        if enough {
            lines.push(format!("Malformed {cmd} request"));
        }
    }
    lines.push("Unknown command on socket: ".to_string());
    for (i, w) in words.iter().enumerate() {
        lines.push(format!("arg {i}: {w}"));
    }
    lines
}

/// NUT's note for each new socket client, by `synchronous` setting.
pub fn connect_note(synchronous: &str) -> String {
    match synchronous {
        "auto" => "sock_connect: enabling asynchronous mode (auto)".to_string(),
        "yes" => "sock_connect: keeping default synchronous mode".to_string(),
        _ => "sock_connect: enabling asynchronous mode (fixed)".to_string(),
    }
}

fn tracking_line(id: &str, result: CmdResult) -> String {
    format!("TRACKING {} {}\n", nut_proto::lexer::quote_if_needed(id), result.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_matches_nut_layout() {
        let vars = [VarSpec::value(
            "mode",
            "Specify mode instead of guessing it from port value (dummy = dummy-loop, dummy-once, repeater)",
        )];
        let text = help_text("dummy-ups", &vars);
        assert!(text.starts_with("\nusage: dummy-ups (-a <id>|-s <id>) [OPTIONS]\n  -a <id>        - autoconfig using ups.conf section <id>\n                 - note: -x after -a overrides ups.conf settings\n\n  -s <id>        - configure"));
        assert!(text.contains("\n  -x <var>=<val> - set driver variable <var> to <val>\n                 - example: -x cable=940-0095B\n\nAcceptable values for -x or ups.conf in this driver:\n\nSpecify mode instead of guessing it from port value (dummy = dummy-loop, dummy-once, repeater) : -x mode=<value>\n"));
        assert!(text.contains("you can specify\n                   '-d 1' argument"));
        assert_eq!(
            list_text(&vars),
            "VALUE mode \"Specify mode instead of guessing it from port value (dummy = dummy-loop, dummy-once, repeater)\"\n"
        );
    }

    #[test]
    fn bad_requests_are_logged_like_nut() {
        let words = |l: &str| nut_proto::split_line(l).unwrap();
        let log = |l: &str| {
            let w = words(l);
            let e = ServerMsg::parse(&w).unwrap_err();
            bad_request_lines(&w, &e)
        };
        assert_eq!(log("FOO"), ["Unknown command on socket: ", "arg 0: FOO"]);
        assert_eq!(log("SET a"), ["Unknown command on socket: ", "arg 0: SET", "arg 1: a"]);
        assert_eq!(
            log("INSTCMD a b c"),
            ["Malformed INSTCMD request", "Unknown command on socket: ", "arg 0: INSTCMD", "arg 1: a", "arg 2: b", "arg 3: c"]
        );
        assert_eq!(connect_note("auto"), "sock_connect: enabling asynchronous mode (auto)");
    }

    #[test]
    fn config_is_published_like_nut() {
        let mut cfg = DriverConfig::for_tests("u", "a.dev");
        cfg.published = vec![("mode".into(), Some("dummy".into())), ("nolock".into(), None)];
        cfg.overrides = vec![("ups.load".into(), "42".into())];
        let mut ctx = Ctx::new(cfg);
        let info = DriverInfo { prog: "dummy-ups", name: "x", version: "0.15" };
        publish_config(&mut ctx, &info);
        assert_eq!(ctx.getinfo("driver.flag.nolock"), Some("enabled"));
        assert_eq!(ctx.getinfo("driver.parameter.mode"), Some("dummy"));
        assert_eq!(ctx.getinfo("driver.parameter.pollinterval"), Some("2"));
        assert_eq!(ctx.getinfo("device.type"), Some("ups"));
        assert!(!ctx.setinfo("ups.load", "1"));
    }
}
