//! Turning ups.conf plus the command line into one driver configuration,
//! with NUT 2.8.0's rules for which names a driver accepts. Pure: the
//! caller reads ups.conf.

use nut_conf::ups::{UpsConf, DEFAULT_POLLINTERVAL};

use crate::cli::Cli;

/// One driver-specific `-x` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarSpec {
    /// Name as written in ups.conf or after `-x`.
    pub name: &'static str,
    /// One-line description for `-h` and `-L`.
    pub help: &'static str,
    /// True for a bare flag (`-x name`), false for `-x name=value`.
    pub flag: bool,
}

impl VarSpec {
    /// A `name = value` setting.
    pub const fn value(name: &'static str, help: &'static str) -> VarSpec {
        VarSpec { name, help, flag: false }
    }
    /// A bare flag.
    pub const fn flag(name: &'static str, help: &'static str) -> VarSpec {
        VarSpec { name, help, flag: true }
    }
}

/// Keys every driver accepts with a value, in ups.conf and after `-x`.
const CORE_VALUES: &[&str] = &["port", "desc", "sdorder", "sddelay", "user", "group", "debug_min", "synchronous"];
/// Flags every driver accepts.
const CORE_FLAGS: &[&str] = &["nolock", "ignorelb"];
/// Keys accepted only inside a ups.conf section.
const SECTION_ONLY: &[&str] = &["driver", "pollinterval"];

/// Why a driver cannot start with this configuration. Each maps to NUT's
/// text, stream and exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// `-a` names a section that does not exist.
    SectionNotFound(String),
    /// The section is for another driver program.
    WrongDriver { ups: String, driver: String, me: String },
    /// `pollinterval` is not a number above 0; `origin` says where.
    BadPollinterval { origin: String, value: String },
    /// A name this driver does not know (with a value).
    UnknownVar(String),
    /// A bare flag this driver does not know.
    UnknownFlag(String),
    /// Neither ups.conf nor `-x` gave a port.
    NoPort,
}

impl ConfigError {
    /// Exit status NUT 2.8.0 uses. Unknown names exit 0 there (a known NUT
    /// bug that upsdrvctl then reports as a successful start); we keep it.
    pub fn exit_code(&self) -> u8 {
        match self {
            ConfigError::UnknownVar(_) | ConfigError::UnknownFlag(_) => 0,
            _ => 1,
        }
    }

    /// True when NUT prints the message on stdout instead of stderr.
    pub fn on_stdout(&self) -> bool {
        matches!(self, ConfigError::UnknownVar(_) | ConfigError::UnknownFlag(_))
    }

    /// The exact text, newlines included.
    pub fn text(&self) -> String {
        const HINT: &str = "\nLook in the man page or call this driver with -h for a list of\n\
                            valid variable names and flags.\n";
        match self {
            ConfigError::SectionNotFound(id) => format!("Error: Section {id} not found in ups.conf\n"),
            ConfigError::WrongDriver { ups, driver, me } => {
                format!("Error: UPS [{ups}] is for driver {driver}, but I'm {me}!\n\n")
            }
            ConfigError::BadPollinterval { origin, value } => {
                format!("Error: {origin}: invalid pollinterval: {value}\n")
            }
            ConfigError::UnknownVar(k) => {
                format!("\nFatal error: '{k}' is not a valid variable name for this driver.\n{HINT}")
            }
            ConfigError::UnknownFlag(k) => {
                format!("\nFatal error: '{k}' is not a valid flag for this driver.\n{HINT}")
            }
            ConfigError::NoPort => "Error: you must specify a port name in ups.conf or in '-x port=...' argument.\n\
                                    Try -h for help.\n"
                .to_string(),
        }
    }
}

/// A driver's settings after ups.conf and the command line are merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverConfig {
    /// The `-a`/`-s` name.
    pub upsname: String,
    /// `port`.
    pub port: String,
    /// Seconds between updates.
    pub pollinterval: u32,
    /// `synchronous` as published (`auto` unless set).
    pub synchronous: String,
    /// Run-as user (command line, then section, then global).
    pub user: Option<String>,
    /// Socket group.
    pub group: Option<String>,
    /// `chroot` directory.
    pub chroot: Option<String>,
    /// `debug_min`.
    pub debug_min: Option<u8>,
    /// Every accepted setting in order (core and driver-specific); the last
    /// one of a name wins in lookups.
    pub settings: Vec<(String, Option<String>)>,
    /// Driver-specific values and all flags, for `driver.parameter.*` and
    /// `driver.flag.*` (last one wins, first position kept).
    pub published: Vec<(String, Option<String>)>,
    /// `override.<var>` values.
    pub overrides: Vec<(String, String)>,
    /// `default.<var>` values.
    pub defaults: Vec<(String, String)>,
}

impl DriverConfig {
    /// A minimal configuration for unit tests.
    pub fn for_tests(upsname: &str, port: &str) -> DriverConfig {
        DriverConfig {
            upsname: upsname.to_string(),
            port: port.to_string(),
            pollinterval: DEFAULT_POLLINTERVAL,
            synchronous: "auto".to_string(),
            user: None,
            group: None,
            chroot: None,
            debug_min: None,
            settings: Vec::new(),
            published: Vec::new(),
            overrides: Vec::new(),
            defaults: Vec::new(),
        }
    }

    /// Value of a setting given with a value (last one wins).
    pub fn getval(&self, name: &str) -> Option<&str> {
        self.settings.iter().rev().find(|(k, _)| k == name).and_then(|(_, v)| v.as_deref())
    }

    /// True when the setting was given at all.
    pub fn testvar(&self, name: &str) -> bool {
        self.settings.iter().any(|(k, _)| k == name)
    }
}

fn set_published(list: &mut Vec<(String, Option<String>)>, key: &str, value: Option<&str>) {
    match list.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value.map(str::to_string),
        None => list.push((key.to_string(), value.map(str::to_string))),
    }
}

fn set_pair(list: &mut Vec<(String, String)>, key: &str, value: &str) {
    match list.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value.to_string(),
        None => list.push((key.to_string(), value.to_string())),
    }
}

fn parse_interval(origin: &str, value: &str) -> Result<u32, ConfigError> {
    match value.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ConfigError::BadPollinterval { origin: origin.to_string(), value: value.to_string() }),
    }
}

/// Merge `conf` (when `-a` was used) and the command line. `prog` is the
/// driver program name, `vars` its own settings.
pub fn resolve(conf: Option<&UpsConf>, cli: &Cli, prog: &str, vars: &[VarSpec]) -> Result<DriverConfig, ConfigError> {
    let upsname = cli.section.clone().or_else(|| cli.standalone.clone()).unwrap_or_default();
    let mut cfg = DriverConfig::for_tests(&upsname, "");
    let mut port: Option<String> = None;

    if let Some(conf) = conf {
        let g = &conf.globals;
        if let Some(v) = g.pollinterval() {
            cfg.pollinterval = parse_interval("ups.conf", v)?;
        }
        if let Some(v) = g.synchronous() {
            cfg.synchronous = v.to_string();
        }
        cfg.user = g.user().map(str::to_string);
        cfg.group = g.group().map(str::to_string);
        cfg.chroot = g.chroot().map(str::to_string);
        cfg.debug_min = g.debug_min().map(|n| n.min(u32::from(u8::MAX)) as u8);
    }

    let mut entries: Vec<(String, Option<String>, bool)> = Vec::new();
    if let (Some(conf), Some(id)) = (conf, cli.section.as_deref()) {
        let section = conf.section(id).ok_or_else(|| ConfigError::SectionNotFound(id.to_string()))?;
        if let Some(driver) = section.driver() {
            if driver != prog {
                return Err(ConfigError::WrongDriver {
                    ups: id.to_string(),
                    driver: driver.to_string(),
                    me: prog.to_string(),
                });
            }
        }
        for e in &section.settings.entries {
            entries.push((e.key.clone(), e.value.clone(), true));
        }
    }
    for (k, v) in &cli.extra {
        entries.push((k.clone(), v.clone(), false));
    }

    for (key, value, in_section) in entries {
        let spec = vars.iter().find(|s| s.name == key);
        let is_flag = CORE_FLAGS.contains(&key.as_str()) || spec.is_some_and(|s| s.flag);
        if key.starts_with("override.") || key.starts_with("default.") {
            if let Some(v) = value.as_deref() {
                let (prefix, var) = key.split_once('.').unwrap_or_default();
                if !var.is_empty() {
                    if prefix == "override" {
                        set_pair(&mut cfg.overrides, var, v);
                    } else {
                        set_pair(&mut cfg.defaults, var, v);
                    }
                }
            }
            cfg.settings.push((key, value));
            continue;
        }
        if is_flag {
            set_published(&mut cfg.published, &key, None);
            cfg.settings.push((key, None));
            continue;
        }
        let Some(v) = value else {
            return Err(ConfigError::UnknownFlag(key));
        };
        let known = CORE_VALUES.contains(&key.as_str())
            || spec.is_some()
            || (in_section && SECTION_ONLY.contains(&key.as_str()));
        if !known {
            return Err(ConfigError::UnknownVar(key));
        }
        match key.as_str() {
            "driver" => {}
            "port" => port = Some(v.clone()),
            "pollinterval" => cfg.pollinterval = parse_interval(&format!("UPS [{upsname}]"), &v)?,
            "synchronous" => cfg.synchronous = v.clone(),
            "user" => cfg.user = Some(v.clone()),
            "group" => cfg.group = Some(v.clone()),
            "debug_min" => cfg.debug_min = v.trim().parse().ok(),
            _ if spec.is_some() => set_published(&mut cfg.published, &key, Some(&v)),
            _ => {}
        }
        cfg.settings.push((key, Some(v)));
    }

    if let Some(i) = cli.interval.as_deref() {
        cfg.pollinterval = parse_interval("command-line", i)?;
    }
    if cli.user.is_some() {
        cfg.user = cli.user.clone();
    }
    if cli.group.is_some() {
        cfg.group = cli.group.clone();
    }
    if cli.chroot.is_some() {
        cfg.chroot = cli.chroot.clone();
    }
    cfg.port = port.ok_or(ConfigError::NoPort)?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const VARS: &[VarSpec] = &[VarSpec::value("mode", "mode"), VarSpec::flag("fast", "go fast")];

    fn conf(text: &str) -> UpsConf {
        nut_conf::ups::parse(text.as_bytes(), Path::new("ups.conf")).value
    }

    fn cli(args: &[&str]) -> Cli {
        crate::cli::parse(args).unwrap()
    }

    #[test]
    fn section_and_command_line_merge() {
        let c = conf("pollinterval = 5\n[u]\ndriver = dummy-ups\nport = a.dev\nmode = dummy\nnolock\ndesc = \"x y\"\noverride.ups.load = 42\ndefault.ups.power = 7\n");
        let cfg = resolve(Some(&c), &cli(&["-a", "u", "-x", "mode=dummy-once", "-x", "fast"]), "dummy-ups", VARS).unwrap();
        assert_eq!(cfg.port, "a.dev");
        assert_eq!(cfg.pollinterval, 5);
        assert_eq!(cfg.getval("mode"), Some("dummy-once"));
        assert_eq!(
            cfg.published,
            vec![
                ("mode".to_string(), Some("dummy-once".to_string())),
                ("nolock".to_string(), None),
                ("fast".to_string(), None)
            ]
        );
        assert_eq!(cfg.overrides, vec![("ups.load".to_string(), "42".to_string())]);
        assert_eq!(cfg.defaults, vec![("ups.power".to_string(), "7".to_string())]);
    }

    #[test]
    fn nut_2_8_0_rejections() {
        let c = conf("[u]\ndriver = dummy-ups\nport = a.dev\nmaxstartdelay = 5\n");
        let err = resolve(Some(&c), &cli(&["-a", "u"]), "dummy-ups", VARS).unwrap_err();
        assert_eq!(err, ConfigError::UnknownVar("maxstartdelay".into()));
        assert_eq!(err.exit_code(), 0);
        assert!(err.text().contains("Fatal error: 'maxstartdelay' is not a valid variable name for this driver."));

        let c = conf("[u]\ndriver = usbhid-ups\nport = a\n");
        let err = resolve(Some(&c), &cli(&["-a", "u"]), "dummy-ups", VARS).unwrap_err();
        assert_eq!(err.text(), "Error: UPS [u] is for driver usbhid-ups, but I'm dummy-ups!\n\n");

        let err = resolve(None, &cli(&["-s", "u", "-x", "port=a", "-x", "pollinterval=3"]), "dummy-ups", VARS);
        assert_eq!(err.unwrap_err(), ConfigError::UnknownVar("pollinterval".into()));
        let err = resolve(None, &cli(&["-s", "u", "-x", "port=a", "-x", "bogus"]), "dummy-ups", VARS);
        assert_eq!(err.unwrap_err(), ConfigError::UnknownFlag("bogus".into()));
        let err = resolve(None, &cli(&["-s", "u"]), "dummy-ups", VARS).unwrap_err();
        assert_eq!(err, ConfigError::NoPort);
        let err = resolve(None, &cli(&["-s", "u", "-x", "port=a", "-i", "0"]), "dummy-ups", VARS).unwrap_err();
        assert_eq!(err.text(), "Error: command-line: invalid pollinterval: 0\n");
        let c = conf("[u]\ndriver = dummy-ups\nport = a\npollinterval = 0\n");
        let err = resolve(Some(&c), &cli(&["-a", "u"]), "dummy-ups", VARS).unwrap_err();
        assert_eq!(err.text(), "Error: UPS [u]: invalid pollinterval: 0\n");
        let err = resolve(Some(&c), &cli(&["-a", "nope"]), "dummy-ups", VARS).unwrap_err();
        assert_eq!(err.text(), "Error: Section nope not found in ups.conf\n");
    }

    #[test]
    fn flag_given_a_value_is_still_a_flag() {
        let cfg = resolve(None, &cli(&["-s", "u", "-x", "port=a", "-x", "nolock=1"]), "dummy-ups", VARS).unwrap();
        assert_eq!(cfg.published, vec![("nolock".to_string(), None)]);
        assert!(cfg.testvar("nolock"));
    }
}
