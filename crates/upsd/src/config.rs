//! Reading upsd's files through nut-conf and turning them into what the
//! server logic needs. Every diagnostic is logged with `path:line:`.

use crate::server::{Descriptions, Permission, Settings, UpsConfig, UserDb};
use nut_conf::{Diagnostic, Parsed, Severity};
use std::io;
use std::path::{Path, PathBuf};

/// Everything upsd reads at start and on SIGHUP.
pub struct Loaded {
    pub upsd: nut_conf::upsd::UpsdConf,
    pub ups: Vec<UpsConfig>,
    pub users: nut_conf::users::UsersConf,
    pub descs: Descriptions,
}

impl Loaded {
    pub fn settings(&self) -> Settings {
        Settings { maxage: u64::from(self.upsd.maxage()), tracking_delay: u64::from(self.upsd.trackingdelay()) }
    }

    /// `ALLOW_NO_DEVICE` from upsd.conf; the environment variable wins.
    pub fn allow_no_device(&self) -> bool {
        if let Ok(v) = std::env::var("ALLOW_NO_DEVICE") {
            return parse_bool_env(&v);
        }
        self.upsd.allow_no_device.unwrap_or(false)
    }
}

fn parse_bool_env(v: &str) -> bool {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => true,
        "false" | "no" | "off" | "" => false,
        other => other.parse::<i64>().map(|n| n != 0).unwrap_or(false),
    }
}

/// Why loading failed.
#[derive(Debug)]
pub enum LoadError {
    /// A file could not be read; the text is what NUT prints.
    Io(String),
    /// A file had errors (already logged).
    Invalid(PathBuf),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(text) => f.write_str(text),
            LoadError::Invalid(path) => write!(f, "{}: configuration has errors", path.display()),
        }
    }
}

fn log_diagnostics(diags: &[Diagnostic]) {
    for d in diags {
        match d.severity {
            Severity::Error => log::error!("{d}"),
            Severity::Warning => log::warn!("{d}"),
        }
    }
}

fn checked<T>(parsed: Parsed<T>, path: &Path) -> Result<T, LoadError> {
    log_diagnostics(&parsed.diagnostics);
    if parsed.has_errors() {
        return Err(LoadError::Invalid(path.to_path_buf()));
    }
    Ok(parsed.value)
}

fn warn_world_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o004 != 0 {
            log::warn!("{} is world readable", path.display());
        }
    }
}

fn strerror(e: &io::Error) -> String {
    // io::Error's Display adds " (os error N)"; NUT prints strerror only.
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => e.to_string(),
    }
}

/// upsd.conf (required).
pub fn load_upsd_conf(confpath: &Path) -> Result<nut_conf::upsd::UpsdConf, LoadError> {
    let path = confpath.join("upsd.conf");
    let text = std::fs::read(&path).map_err(|e| LoadError::Io(format!("stat {}: {}", path.display(), strerror(&e))))?;
    warn_world_readable(&path);
    checked(nut_conf::upsd::parse(&text, &path), &path)
}

/// ups.conf (required): the complete sections, in file order.
pub fn load_ups_conf(confpath: &Path) -> Result<Vec<UpsConfig>, LoadError> {
    let path = confpath.join("ups.conf");
    let text = std::fs::read(&path)
        .map_err(|e| LoadError::Io(format!("Can't open {}: {}", path.display(), strerror(&e))))?;
    let conf = checked(nut_conf::ups::parse(&text, &path), &path)?;
    Ok(conf
        .complete_sections()
        .map(|s| UpsConfig {
            name: s.name.clone(),
            driver: s.driver().unwrap_or_default().to_string(),
            desc: s.desc().map(str::to_string),
        })
        .collect())
}

/// upsd.users (optional: missing means no users).
pub fn load_users(confpath: &Path) -> Result<nut_conf::users::UsersConf, LoadError> {
    read_users(confpath, false)
}

/// upsd.users on reload: missing still means no users, but a file that is
/// there and cannot be read keeps the old configuration (NUT would go on
/// with no users at all, locking out every upsmon).
fn read_users(confpath: &Path, strict: bool) -> Result<nut_conf::users::UsersConf, LoadError> {
    let path = confpath.join("upsd.users");
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) if strict && e.kind() != io::ErrorKind::NotFound => {
            return Err(LoadError::Io(format!("Can't open {}: {}", path.display(), strerror(&e))));
        }
        Err(e) => {
            log::warn!("Can't open {}: {}", path.display(), strerror(&e));
            return Ok(nut_conf::users::UsersConf::default());
        }
    };
    warn_world_readable(&path);
    checked(nut_conf::users::parse(&text, &path), &path)
}

/// `<DATAPATH>/cmdvartab` (optional).
pub fn load_descriptions(datapath: &Path) -> Descriptions {
    let path = datapath.join("cmdvartab");
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) => {
            log::debug!("Can't open {}: {}", path.display(), strerror(&e));
            return Descriptions::default();
        }
    };
    let parsed = nut_conf::cmdvartab::parse(&text, &path);
    log_diagnostics(&parsed.diagnostics);
    let tab = parsed.value;
    Descriptions { vars: tab.vars.into_iter().collect(), cmds: tab.cmds.into_iter().collect() }
}

/// Load everything but upsd.conf's LISTEN handling.
pub fn load_all(confpath: &Path, default_datapath: &Path) -> Result<Loaded, LoadError> {
    let upsd = load_upsd_conf(confpath)?;
    let ups = load_ups_conf(confpath)?;
    let users = read_users(confpath, true)?;
    let datapath = upsd.datapath.as_ref().map(PathBuf::from).unwrap_or_else(|| default_datapath.to_path_buf());
    let descs = load_descriptions(&datapath);
    Ok(Loaded { upsd, ups, users, descs })
}

/// upsd.users as the server's [`UserDb`].
pub struct Users(pub nut_conf::users::UsersConf);

impl UserDb for Users {
    fn allows(&self, user: &str, password: &str, what: Permission<'_>) -> bool {
        let Some(u) = self.0.authenticate(user, password) else {
            return false;
        };
        match what {
            Permission::Login => u.can_login(),
            Permission::Primary => u.can_primary(),
            Permission::Fsd => u.can_fsd(),
            Permission::Set => u.can_set(),
            Permission::InstCmd(cmd) => u.can_instcmd(cmd),
        }
    }
}
