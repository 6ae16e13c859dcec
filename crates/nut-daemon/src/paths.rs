//! Where things live, following NUT's environment contract.

use std::path::PathBuf;

fn from_env(var: &str) -> Option<PathBuf> {
    std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// Configuration directory: `$NUT_CONFPATH`, else `/etc/nut`.
pub fn confpath() -> PathBuf {
    from_env("NUT_CONFPATH").unwrap_or_else(|| PathBuf::from("/etc/nut"))
}

/// Driver sockets: `$NUT_STATEPATH`, else `/run/nut`.
pub fn statepath() -> PathBuf {
    from_env("NUT_STATEPATH").unwrap_or_else(|| PathBuf::from("/run/nut"))
}

/// Pid files of upsd and the drivers: `$NUT_ALTPIDPATH`, else
/// `$NUT_STATEPATH`, else `/run/nut`.
pub fn altpidpath() -> PathBuf {
    from_env("NUT_ALTPIDPATH")
        .or_else(|| from_env("NUT_STATEPATH"))
        .unwrap_or_else(|| PathBuf::from("/run/nut"))
}

/// Pid files of upsmon and upssched: `$NUT_PIDPATH` (newer NUT), else
/// `/run/nut`.
pub fn pidpath() -> PathBuf {
    from_env("NUT_PIDPATH").unwrap_or_else(|| PathBuf::from("/run/nut"))
}

/// Shared data such as `cmdvartab`: `$NUT_DATAPATH`, else `/usr/share/nut`.
pub fn datapath() -> PathBuf {
    from_env("NUT_DATAPATH").unwrap_or_else(|| PathBuf::from("/usr/share/nut"))
}

/// A file in the configuration directory.
pub fn conf_file(name: &str) -> PathBuf {
    confpath().join(name)
}
