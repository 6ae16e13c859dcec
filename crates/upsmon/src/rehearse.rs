//! `upsmon --rehearse[=<file.seq>]`: a dry run of a power cut.
//!
//! The configured upsmon.conf is loaded as usual; instead of talking to
//! upsd, every MONITOR entry reports the statuses of a script on a virtual
//! clock: a dummy-ups `.seq` file (`ups.status:`, `battery.charge:`,
//! `battery.runtime:` lines and `TIMER <secs>` pauses) or the built-in
//! OL → OB (after 10 s) → OB LB (after 70 s). The real state machine
//! decides, NOTIFYCMD really runs for EXEC notifications (one at a time, so
//! the order is kept), and every other action is printed with its virtual
//! time instead of being done. SHUTDOWNCMD never runs, `wall` is never
//! called, no FSD is sent, WEBHOOK/NTFY are not contacted and
//! POWERDOWNFLAG is not written. The answer to
//! NUMLOGINS is assumed to be 1 (no secondaries left).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use nut_conf::devfile::Entry;
use nut_conf::upsmon::UpsmonConf;

use crate::backend::{notify_command, perform, Backend};
use crate::monitor::{Level, Monitor, Notification, PollOutcome, UpsDef};
use crate::monitor::Event;

/// One scripted change at a virtual time.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub at: u64,
    pub var: String,
    pub value: Option<String>,
}

/// The built-in power cut.
pub fn builtin_script() -> Vec<Step> {
    let s = |at, v: &str| Step { at, var: "ups.status".into(), value: Some(v.into()) };
    vec![s(0, "OL"), s(10, "OB"), s(70, "OB LB")]
}

/// The steps of a dummy-ups data file, played once.
pub fn script_from_seq(text: &[u8], path: &Path) -> Vec<Step> {
    let parsed = nut_conf::devfile::parse(text, path);
    let mut at = 0u64;
    let mut steps = Vec::new();
    for line in parsed.value.entries {
        match line.entry {
            Entry::Timer { secs } => at += u64::from(secs),
            Entry::Set { var, value } => steps.push(Step { at, var, value: Some(value) }),
            Entry::Delete { var } => steps.push(Step { at, var, value: None }),
            Entry::Alarm { .. } => {}
        }
    }
    steps
}

struct Rehearsal {
    now: Duration,
    status: String,
    charge: Option<f64>,
    runtime: Option<f64>,
    out: std::io::Stdout,
    /// WEBHOOK and NTFY targets, as `KIND url` (never contacted here).
    alert_targets: Vec<String>,
}

impl Rehearsal {
    fn say(&mut self, text: &str) {
        let t = self.now.as_secs_f64();
        let _ = writeln!(self.out, "[{t:7.2}s] {text}");
    }
}

impl Backend for Rehearsal {
    fn poll(&mut self, _def: &UpsDef, _want_battery: bool) -> Option<PollOutcome> {
        Some(PollOutcome::Status { status: self.status.clone(), charge: self.charge, runtime: self.runtime })
    }
    fn set_fsd(&mut self, def: &UpsDef) {
        self.say(&format!("would send FSD {} to upsd at {}:{} (secondaries then shut down)", def.upsname, def.host, def.port));
    }
    fn numlogins(&mut self, def: &UpsDef) -> Option<i64> {
        self.say(&format!("would wait up to HOSTSYNC for secondaries to log out of {} (assuming none are left)", def.sys));
        Some(1)
    }
    fn disconnect(&mut self, _sys: &str) {}
    fn notify(&mut self, n: &Notification, notifycmd: Option<&str>) {
        self.say(&format!("notify {} [{}]: {}", n.kind, n.flags, n.message));
        if n.flags.exec() {
            if let Some(cmd) = notifycmd {
                self.say(&format!("  running NOTIFYCMD: {cmd} \"{}\"", n.message));
                let _ = self.out.flush();
                match notify_command(cmd, n).status() {
                    Ok(s) if s.success() => {}
                    Ok(s) => self.say(&format!("  NOTIFYCMD exited with {s}")),
                    Err(e) => self.say(&format!("  NOTIFYCMD could not start: {e}")),
                }
            }
        }
        for t in self.alert_targets.clone() {
            self.say(&format!("  would also send it to {t}"));
        }
    }
    fn wall(&mut self, text: &str) {
        self.say(&format!("would wall: {}", text.trim_end()));
    }
    fn write_flag(&mut self, path: &Path) {
        self.say(&format!("would write POWERDOWNFLAG {} (upsmon-shutdown-file)", path.display()));
    }
    fn shutdown_cmd(&mut self, cmd: Option<&str>) {
        match cmd {
            Some(c) => self.say(&format!("would run SHUTDOWNCMD: {c}   (rehearsal: not run)")),
            None => self.say("no SHUTDOWNCMD configured: this host would NOT shut down"),
        }
    }
    fn log(&mut self, level: Level, text: &str) {
        if !matches!(level, Level::Debug(_)) {
            self.say(&format!("log: {text}"));
        }
    }
}

/// Play `script` (a .seq path, or the built-in script) against `conf`.
pub fn run(conf: &UpsmonConf, script: Option<&str>) -> ExitCode {
    let steps = match script {
        None => builtin_script(),
        Some(p) => match std::fs::read(p) {
            Ok(bytes) => script_from_seq(&bytes, Path::new(p)),
            Err(e) => {
                log::error!("Can't open {p}: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let mut cfg = crate::config::monitor_config(conf, false);
    cfg.split_mode = false;
    let notifycmd = conf.notifycmd.clone();
    let last_step = steps.iter().map(|s| s.at).max().unwrap_or(0);
    let horizon = Duration::from_secs(last_step + 600);
    let alert_targets = crate::alert_worker::targets(&conf.policy.webhooks, &conf.policy.ntfy)
        .iter()
        .map(|t| format!("{} {}", t.kind(), t.url().display))
        .collect();
    let mut r = Rehearsal {
        now: Duration::ZERO,
        status: String::new(),
        charge: None,
        runtime: None,
        out: std::io::stdout(),
        alert_targets,
    };
    r.say(&format!(
        "rehearsal: {} UPS(es), MINSUPPLIES {}, {} scripted step(s); nothing is shut down",
        cfg.ups.len(),
        cfg.minsupplies,
        steps.len()
    ));
    let mut m = Monitor::new(cfg);
    let mut next = 0;
    let mut wake = None;
    while r.now <= horizon {
        while next < steps.len() && steps[next].at <= r.now.as_secs() {
            let s = &steps[next];
            match (s.var.as_str(), &s.value) {
                ("ups.status", Some(v)) => {
                    r.status = v.clone();
                    r.say(&format!("script: ups.status = {v}"));
                }
                ("ups.status", None) => r.status.clear(),
                ("battery.charge", v) => r.charge = v.as_deref().and_then(|x| x.parse().ok()),
                ("battery.runtime", v) => r.runtime = v.as_deref().and_then(|x| x.parse().ok()),
                _ => {}
            }
            next += 1;
        }
        let now = r.now;
        let outcome = if m.is_polling() {
            for sys in m.ups_names() {
                let outcome = r.poll(m.ups_def(&sys).expect("listed"), false).expect("always");
                let o = perform(&mut m, &mut r, notifycmd.as_deref(), Event::Poll { ups: sys, outcome }, now);
                if o.exit.is_some() {
                    return finish(&mut r);
                }
            }
            let o = perform(&mut m, &mut r, notifycmd.as_deref(), Event::PassDone, now);
            wake = o.wake.or(wake);
            o
        } else {
            let o = perform(&mut m, &mut r, notifycmd.as_deref(), Event::Tick, now);
            wake = o.wake;
            o
        };
        if outcome.exit.is_some() {
            return finish(&mut r);
        }
        r.now = if m.is_polling() { r.now + m.poll_interval() } else { wake.take().unwrap_or(r.now + Duration::from_secs(1)) };
    }
    r.say("end of rehearsal: this host would still be running");
    ExitCode::SUCCESS
}

fn finish(r: &mut Rehearsal) -> ExitCode {
    r.say("end of rehearsal: upsmon would exit here");
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_files_become_timed_steps() {
        let text = b"ups.status: OL\nTIMER 5\nups.status: OB\nbattery.charge: 40\nTIMER 10\nups.status: OB LB\n";
        let steps = script_from_seq(text, Path::new("cut.seq"));
        let got: Vec<(u64, &str, Option<&str>)> =
            steps.iter().map(|s| (s.at, s.var.as_str(), s.value.as_deref())).collect();
        assert_eq!(
            got,
            vec![
                (0, "ups.status", Some("OL")),
                (5, "ups.status", Some("OB")),
                (5, "battery.charge", Some("40")),
                (15, "ups.status", Some("OB LB"))
            ]
        );
    }
}
