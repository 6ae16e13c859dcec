//! From a loaded `upsmon.conf` (nut-conf) to what the state machine needs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use nut_conf::upsmon::{MonitorRole, UpsmonConf};
use nut_conf::{Parsed, Severity};

use crate::monitor::{MonitorConfig, Policy, UpsDef};
use crate::notify::{NotifyTable, NotifyType};

/// Read and parse upsmon.conf. `Err` carries the text NUT prints when the
/// file cannot be opened.
pub fn load(path: &Path) -> Result<Parsed<UpsmonConf>, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!("Can't open {}: {}", path.display(), nut_client::error::io_error_text(&e))
    })?;
    Ok(nut_conf::upsmon::parse(&bytes, path))
}

/// Log every diagnostic the way upsmon does (warnings and errors alike go
/// to the log; errors are fatal for the caller).
pub fn log_diagnostics(parsed: &Parsed<UpsmonConf>) {
    for d in &parsed.diagnostics {
        match d.severity {
            Severity::Warning => log::warn!("{d}"),
            Severity::Error => log::error!("{d}"),
        }
    }
}

/// Build the state machine's configuration.
pub fn monitor_config(conf: &UpsmonConf, split_mode: bool) -> MonitorConfig {
    let ups = conf
        .monitors
        .iter()
        .map(|m| UpsDef {
            sys: m.system.clone(),
            upsname: m.addr.ups.clone(),
            host: m.addr.host.clone(),
            port: m.addr.port,
            power_value: m.power_value,
            user: m.user.clone(),
            password: m.password.clone(),
            primary: m.role == MonitorRole::Primary,
        })
        .collect();
    let mut notify = NotifyTable::default();
    for t in NotifyType::all() {
        notify.set_message(t, conf.message(t));
        notify.set_flags(t, conf.flags(t));
    }
    let p = &conf.policy;
    MonitorConfig {
        ups,
        minsupplies: conf.minsupplies,
        shutdowncmd: conf.shutdowncmd.clone(),
        powerdownflag: conf.powerdownflag.as_ref().map(PathBuf::from),
        pollfreq: u64::from(conf.pollfreq),
        pollfreqalert: u64::from(conf.pollfreqalert),
        hostsync: i64::from(conf.hostsync),
        deadtime: i64::from(conf.deadtime),
        finaldelay: u64::from(conf.finaldelay),
        rbwarntime: i64::from(conf.rbwarntime),
        nocommwarntime: i64::from(conf.nocommwarntime),
        notify,
        policy: Policy {
            shutdown_after_on_battery: p.shutdown_after.map(|s| Duration::from_secs(u64::from(s))),
            min_charge: p.shutdown_charge.map(u32::from),
            min_runtime: p.shutdown_runtime.map(u64::from),
            glitch_debounce: p.glitch_delay.map(|s| Duration::from_secs(u64::from(s))),
            lb_without_ob_is_critical: !p.lb_requires_ob(),
        },
        split_mode,
    }
}

/// POWERDOWNFLAG's state (NUT's `pdflag_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagState {
    /// Not configured, or the file is not there.
    Absent,
    /// Present and starts with the magic string.
    Set,
    /// Present with other content.
    Foreign,
}

pub fn flag_state(flag: Option<&Path>) -> FlagState {
    let Some(path) = flag else { return FlagState::Absent };
    match std::fs::read(path) {
        Err(_) => FlagState::Absent,
        Ok(bytes) if bytes.starts_with(crate::monitor::SDMAGIC.as_bytes()) => FlagState::Set,
        Ok(_) => FlagState::Foreign,
    }
}

/// Write the magic string (no newline), as the shutdown does.
pub fn write_flag(path: &Path) -> std::io::Result<()> {
    std::fs::write(path, crate::monitor::SDMAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_from_nut_conf() {
        let text = b"MONITOR ups@localhost 1 mon pass primary\nMONITOR b@10.0.0.2:3494 2 mon pass slave\n\
            MINSUPPLIES 2\nSHUTDOWNCMD \"/sbin/shutdown -h now\"\nPOWERDOWNFLAG /etc/killpower\n\
            NOTIFYFLAG ONBATT SYSLOG+EXEC\nNOTIFYMSG ONLINE \"back: %s\"\nHOSTSYNC 20\n";
        let parsed = nut_conf::upsmon::parse(text, Path::new("upsmon.conf"));
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let c = monitor_config(&parsed.value, true);
        assert_eq!(c.ups.len(), 2);
        assert!(c.ups[0].primary && !c.ups[1].primary);
        assert_eq!(c.ups[1].host, "10.0.0.2");
        assert_eq!(c.ups[1].port, 3494);
        assert_eq!(c.minsupplies, 2);
        assert_eq!(c.hostsync, 20);
        assert_eq!(c.shutdowncmd.as_deref(), Some("/sbin/shutdown -h now"));
        assert_eq!(c.notify.template(NotifyType::Online), "back: %s");
        assert!(c.notify.flags(NotifyType::OnBatt).exec());
        assert!(!c.notify.flags(NotifyType::OnBatt).wall());
        assert!(c.split_mode);
    }

    #[test]
    fn power_down_flag_states() {
        let dir = std::env::temp_dir().join(format!("upsmon-flag-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("killpower");
        assert_eq!(flag_state(None), FlagState::Absent);
        assert_eq!(flag_state(Some(&f)), FlagState::Absent);
        write_flag(&f).unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"upsmon-shutdown-file");
        assert_eq!(flag_state(Some(&f)), FlagState::Set);
        std::fs::write(&f, "something else").unwrap();
        assert_eq!(flag_state(Some(&f)), FlagState::Foreign);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
