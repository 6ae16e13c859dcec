//! Performing the state machine's actions: the one place where upsmon talks
//! to upsd, runs programs and writes files. [`Backend`] is what differs
//! between the real daemon ([`Live`]) and the rehearsal; [`perform`] is the
//! shared glue that feeds answers (NUMLOGINS) back into the monitor.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nut_client::{Client, ClientError, ConnectOptions, ErrCode};
use nut_daemon::debugx;

use crate::monitor::{Action, Event, Level, Monitor, Notification, PollOutcome, UpsDef};

/// How long one read or write to upsd may block. NUT 2.8.0's client
/// library gives each line 5 seconds; its 10-second alarm around a query
/// never fires first. A server that stops answering (a hung host, a pulled
/// cable) is therefore "gone" after 5 seconds, which starts the DEADTIME
/// and HOSTSYNC clocks as early as NUT does.
pub const NET_TIMEOUT: Duration = Duration::from_secs(5);

/// How long upsmon waits on its way out for WEBHOOK/NTFY deliveries.
pub const ALERT_DRAIN: Duration = Duration::from_secs(5);

/// The side effects upsmon needs.
pub trait Backend {
    /// Poll one UPS; `None` when this pass produced no answer (NUT skips
    /// the poll after a failed login on a fresh connection).
    fn poll(&mut self, def: &UpsDef, want_battery: bool) -> Option<PollOutcome>;
    fn set_fsd(&mut self, def: &UpsDef);
    fn numlogins(&mut self, def: &UpsDef) -> Option<i64>;
    fn disconnect(&mut self, sys: &str);
    fn notify(&mut self, n: &Notification, notifycmd: Option<&str>);
    fn wall(&mut self, text: &str);
    fn write_flag(&mut self, path: &Path);
    fn shutdown_cmd(&mut self, cmd: Option<&str>);
    fn log(&mut self, level: Level, text: &str) {
        log_line(level, text);
    }
}

/// Write one line to the NUT-style log.
pub fn log_line(level: Level, text: &str) {
    match level {
        Level::Crit | Level::Err => log::error!("{text}"),
        Level::Warning => log::warn!("{text}"),
        Level::Notice | Level::Info => log::info!("{text}"),
        Level::Debug(n) => debugx!(n, "{text}"),
    }
}

/// What [`perform`] left for the loop.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub wake: Option<Duration>,
    pub exit: Option<i32>,
}

/// Feed `event` to the monitor and perform everything it asks, including
/// the follow-up events (NUMLOGINS answers).
pub fn perform(
    m: &mut Monitor,
    b: &mut dyn Backend,
    notifycmd: Option<&str>,
    event: Event,
    now: Duration,
) -> Outcome {
    let mut out = Outcome::default();
    let mut queue: std::collections::VecDeque<Action> = m.handle(event, now).into();
    while let Some(action) = queue.pop_front() {
        match action {
            Action::Log(level, text) => b.log(level, &text),
            Action::Notify(n) => b.notify(&n, notifycmd),
            Action::Wall(text) => b.wall(&text),
            Action::SetFsd { ups } => {
                if let Some(def) = m.ups_def(&ups).cloned() {
                    b.set_fsd(&def);
                }
            }
            Action::QueryNumLogins { ups } => {
                let count = m.ups_def(&ups).cloned().and_then(|def| b.numlogins(&def));
                queue.extend(m.handle(Event::NumLogins { ups, count }, now));
            }
            Action::Disconnect { ups } => b.disconnect(&ups),
            Action::SetPollInterval(d) => b.log(Level::Debug(2), &format!("poll interval now {} s", d.as_secs())),
            Action::WakeAt(t) => out.wake = Some(t),
            Action::WritePowerDownFlag(path) => b.write_flag(&path),
            Action::RunShutdownCmd(cmd) => b.shutdown_cmd(cmd.as_deref()),
            Action::Exit(code) => {
                out.exit = Some(code);
                break;
            }
        }
    }
    out
}

/// How SHUTDOWNCMD is run.
#[derive(Debug)]
pub enum ShutdownMode {
    /// `-p`: run it here (writing POWERDOWNFLAG first).
    InProcess,
    /// Split mode: write one byte to the root parent, which does both.
    Parent(std::process::ChildStdout),
    /// Split-mode child: the parent reads our stdout.
    ToParentStdout,
}

/// The real thing: TCP connections to upsd, `wall`, NOTIFYCMD, the shell.
pub struct Live {
    conns: HashMap<String, Client>,
    /// CERTPATH, CERTVERIFY, FORCESSL, CERTHOST, CERTFILE.
    pub tls: crate::tls::TlsPolicy,
    children: Vec<Child>,
    /// NOTIFYCMD runs one at a time, in notification order, without the
    /// loop ever waiting for it (NUT forks them all at once, so two
    /// notifications of the same poll may reach the script in either order).
    exec_queue: std::collections::VecDeque<Command>,
    exec_running: Option<Child>,
    pub shutdown: ShutdownMode,
    /// WEBHOOK/NTFY delivery, when configured.
    alerts: Option<crate::alert_worker::Alerts>,
    /// The last `ups.status` read per MONITOR system (for the alerts).
    last_status: HashMap<String, String>,
    hostname: String,
}

impl Live {
    pub fn new(shutdown: ShutdownMode) -> Self {
        Live {
            conns: HashMap::new(),
            tls: Default::default(),
            children: Vec::new(),
            exec_queue: Default::default(),
            exec_running: None,
            shutdown,
            alerts: None,
            last_status: HashMap::new(),
            hostname: nix::unistd::gethostname()
                .ok()
                .and_then(|h| h.into_string().ok())
                .unwrap_or_else(|| "localhost".to_string()),
        }
    }

    /// Deliver notifications to these WEBHOOK and NTFY URLs too (start-up
    /// and reload).
    pub fn set_alert_urls(&mut self, webhooks: &[String], ntfy: &[String]) {
        let targets = crate::alert_worker::targets(webhooks, ntfy);
        match &mut self.alerts {
            Some(a) => a.set_targets(targets),
            None => self.alerts = crate::alert_worker::Alerts::start(targets),
        }
    }

    /// Collect finished notifiers (NUT's `waitpid(WNOHANG)`) and start the
    /// next queued NOTIFYCMD. Cheap: call it often.
    pub fn reap(&mut self) {
        self.children.retain_mut(|c| !matches!(c.try_wait(), Ok(Some(_)) | Err(_)));
        loop {
            if let Some(c) = &mut self.exec_running {
                if matches!(c.try_wait(), Ok(None)) {
                    return;
                }
                self.exec_running = None;
            }
            let Some(mut cmd) = self.exec_queue.pop_front() else { return };
            match cmd.spawn() {
                Ok(child) => self.exec_running = Some(child),
                Err(e) => log::error!("Can't run NOTIFYCMD: {e}"),
            }
        }
    }

    /// Before exiting: start every NOTIFYCMD still queued (they outlive us)
    /// and give WEBHOOK/NTFY deliveries a few seconds to finish. Every exit
    /// path calls this after SHUTDOWNCMD was started, so it never delays a
    /// shutdown.
    pub fn flush_notifiers(&mut self) {
        if let Some(a) = &self.alerts {
            a.drain(ALERT_DRAIN);
        }
        while let Some(mut cmd) = self.exec_queue.pop_front() {
            if let Err(e) = cmd.spawn() {
                log::error!("Can't run NOTIFYCMD: {e}");
            }
        }
    }

    /// Say LOGOUT on every connection (clean exit).
    pub fn logout_all(&mut self) {
        for (_, mut c) in self.conns.drain() {
            let _ = c.set_io_timeout(Some(Duration::from_secs(2)));
            let _ = c.logout();
        }
    }

    fn connect(&mut self, def: &UpsDef) -> Result<Client, ClientError> {
        let opts = ConnectOptions { io_timeout: Some(NET_TIMEOUT), ..ConnectOptions::default() };
        let mut c = Client::connect_with(&def.host, def.port, &opts)?;
        self.tls.negotiate(&mut c, &def.host, &def.sys)?;
        Ok(c)
    }

    /// USERNAME, PASSWORD, LOGIN, PRIMARY with NUT 2.8.0's log lines.
    /// False when something failed (the connection is kept anyway).
    fn auth(c: &mut Client, def: &UpsDef) -> bool {
        let sys = &def.sys;
        if let Err(e) = c.username(&def.user) {
            log::error!("Set username on [{sys}] failed: {e}");
            return false;
        }
        match c.password(&def.password) {
            Ok(()) => {}
            Err(ClientError::InvalidResponse(line)) => {
                log::error!("Set password on [{sys}] failed - got [{line}]");
                return false;
            }
            Err(e) => {
                log::error!("Set password on [{sys}] failed: {e}");
                return false;
            }
        }
        match c.login(&def.upsname) {
            Ok(()) => debugx!(1, "Logged into UPS {sys}"),
            Err(ClientError::InvalidResponse(line)) => {
                log::error!("Login on UPS [{sys}] failed - got [{line}]");
                return false;
            }
            Err(e) => {
                log::error!("Can't login to UPS [{sys}]: {e}");
                return false;
            }
        }
        if def.primary {
            match c.primary(&def.upsname) {
                Ok(_) => {}
                Err(ClientError::InvalidResponse(line)) => {
                    log::error!("Primary managerial privileges unavailable on UPS [{sys}]");
                    log::error!("Response: [{line}]");
                    return false;
                }
                Err(e) => {
                    log::error!("Primary managerial privileges unavailable on UPS [{sys}]");
                    log::error!("Reason: {e}");
                    return false;
                }
            }
        }
        true
    }

    fn read_number(c: &mut Client, ups: &str, var: &str) -> Option<f64> {
        c.get_var(ups, var).ok()?.trim().parse().ok()
    }
}

impl Backend for Live {
    fn poll(&mut self, def: &UpsDef, want_battery: bool) -> Option<PollOutcome> {
        if !self.conns.contains_key(&def.sys) {
            debugx!(1, "Trying to connect to UPS [{}]", def.sys);
            match self.connect(def) {
                Ok(mut c) => {
                    let ok = Live::auth(&mut c, def);
                    self.conns.insert(def.sys.clone(), c);
                    if !ok {
                        return None;
                    }
                }
                Err(e) => {
                    return Some(PollOutcome::ConnectFailed {
                        message: format!("UPS [{}]: connect failed: {e}", def.sys),
                    })
                }
            }
        }
        let c = self.conns.get_mut(&def.sys)?;
        debugx!(2, "pollups: {}", def.sys);
        match c.get_var(&def.upsname, "ups.status") {
            Ok(status) => {
                if self.alerts.is_some() {
                    self.last_status.insert(def.sys.clone(), status.clone());
                }
                let (charge, runtime) = if want_battery {
                    (
                        Live::read_number(c, &def.upsname, "battery.charge"),
                        Live::read_number(c, &def.upsname, "battery.runtime"),
                    )
                } else {
                    (None, None)
                };
                Some(PollOutcome::Status { status, charge, runtime })
            }
            Err(e) => {
                let message = if e.code() == Some(ErrCode::UnknownUps) {
                    format!("Poll UPS [{}] failed - [{}] does not exist on server {}", def.sys, def.upsname, def.host)
                } else {
                    format!("Poll UPS [{}] failed - {e}", def.sys)
                };
                let disconnected = e.is_fatal();
                if disconnected {
                    self.conns.remove(&def.sys);
                }
                Some(PollOutcome::Failed { message, disconnected })
            }
        }
    }

    fn set_fsd(&mut self, def: &UpsDef) {
        let Some(c) = self.conns.get_mut(&def.sys) else {
            log::error!("FSD set on UPS {} failed: not connected", def.sys);
            return;
        };
        match c.fsd(&def.upsname) {
            Ok(()) => {}
            Err(ClientError::InvalidResponse(line)) => log::error!("FSD set on UPS {} failed: {line}", def.sys),
            Err(e) => log::error!("FSD set on UPS {} failed: {e}", def.sys),
        }
    }

    fn numlogins(&mut self, def: &UpsDef) -> Option<i64> {
        let c = self.conns.get_mut(&def.sys)?;
        c.get_numlogins(&def.upsname).ok().map(i64::from)
    }

    fn disconnect(&mut self, sys: &str) {
        if let Some(mut c) = self.conns.remove(sys) {
            let _ = c.set_io_timeout(Some(Duration::from_secs(2)));
            let _ = c.logout();
        }
    }

    fn notify(&mut self, n: &Notification, notifycmd: Option<&str>) {
        if n.flags.syslog() {
            log::info!("{}", n.message);
        }
        if n.flags.wall() {
            self.wall(&n.message);
        }
        if n.flags.exec() {
            if let Some(cmd) = notifycmd {
                self.exec_queue.push_back(notify_command(cmd, n));
                self.reap();
            }
        }
        if let Some(alerts) = self.alerts.as_ref().filter(|a| a.has_targets()) {
            alerts.send(crate::alert::Alert {
                kind: n.kind,
                ups: n.ups.clone(),
                host: self.hostname.clone(),
                message: n.message.clone(),
                status: n.ups.as_ref().and_then(|u| self.last_status.get(u).cloned()),
                unix_time: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
            });
        }
    }

    fn wall(&mut self, text: &str) {
        match Command::new("wall").stdin(Stdio::piped()).stdout(Stdio::null()).spawn() {
            Ok(mut child) => {
                if let Some(mut stdin) = child.stdin.take() {
                    // a short message fits in the pipe: this never blocks
                    let _ = writeln!(stdin, "{text}");
                }
                self.children.push(child);
            }
            Err(_) => log::info!("Can't invoke wall"),
        }
    }

    fn write_flag(&mut self, path: &Path) {
        if matches!(self.shutdown, ShutdownMode::InProcess) && crate::config::write_flag(path).is_err() {
            log::error!("Failed to create power down flag!");
        }
    }

    fn shutdown_cmd(&mut self, cmd: Option<&str>) {
        match &mut self.shutdown {
            ShutdownMode::InProcess => {
                if !nix::unistd::geteuid().is_root() {
                    log::warn!("Not root, shutdown may fail");
                }
                if !run_shell(cmd) {
                    log::error!("Unable to call shutdown command: {}", cmd.unwrap_or("(null)"));
                }
            }
            ShutdownMode::Parent(_) => unreachable!("the parent never runs the monitor"),
            ShutdownMode::ToParentStdout => {
                let mut out = std::io::stdout().lock();
                if out.write_all(&[1]).and_then(|_| out.flush()).is_err() {
                    log::error!("Unable to call parent pipe for shutdown");
                }
            }
        }
    }
}

/// `sh -c "<NOTIFYCMD> \"<message>\""` with NOTIFYTYPE and UPSNAME, as
/// 2.8.0's `system()` call does. Its stdin and stdout are /dev/null so it
/// can never write into our pipe to the root parent.
pub fn notify_command(cmd: &str, n: &Notification) -> Command {
    let mut c = Command::new("/bin/sh");
    c.arg("-c")
        .arg(format!("{cmd} \"{}\"", n.message))
        .env("NOTIFYTYPE", n.kind.name())
        .env("UPSNAME", n.ups.as_deref().unwrap_or(""))
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    c
}

/// Run a command line through the shell and wait; true on exit status 0.
pub fn run_shell(cmd: Option<&str>) -> bool {
    let Some(cmd) = cmd else { return false };
    Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}
