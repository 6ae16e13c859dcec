//! Dropping root, in one audited place: look the user up, set the
//! supplementary groups, the group and the user, then prove that root
//! cannot be regained.

use std::ffi::CString;
use std::fmt;

use nix::unistd::{self, Gid, Group, Uid, User};

/// Why privileges could not be dropped.
#[derive(Debug)]
pub enum PrivError {
    NoSuchUser(String),
    NoSuchGroup(String),
    Call { what: &'static str, error: nix::errno::Errno },
    RootRegained,
}

impl fmt::Display for PrivError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrivError::NoSuchUser(u) => write!(f, "user {u} not found"),
            PrivError::NoSuchGroup(g) => write!(f, "group {g} not found"),
            PrivError::Call { what, error } => write!(f, "{what} failed: {}", error.desc()),
            PrivError::RootRegained => f.write_str("privileges were not dropped: setuid(0) still works"),
        }
    }
}

impl std::error::Error for PrivError {}

/// The uid and primary gid of `name`.
pub fn lookup_user(name: &str) -> Option<(u32, u32)> {
    User::from_name(name).ok().flatten().map(|u| (u.uid.as_raw(), u.gid.as_raw()))
}

/// True when running as root.
pub fn is_root() -> bool {
    Uid::effective().is_root()
}

/// Become `user` (and `group`, default the user's primary group). A no-op
/// when not running as root, as in NUT.
pub fn drop_to(user: &str, group: Option<&str>) -> Result<(), PrivError> {
    if !is_root() {
        return Ok(());
    }
    let pw = User::from_name(user)
        .ok()
        .flatten()
        .ok_or_else(|| PrivError::NoSuchUser(user.to_string()))?;
    let gid: Gid = match group {
        Some(g) => Group::from_name(g)
            .ok()
            .flatten()
            .ok_or_else(|| PrivError::NoSuchGroup(g.to_string()))?
            .gid,
        None => pw.gid,
    };
    let cname = CString::new(user).map_err(|_| PrivError::NoSuchUser(user.to_string()))?;
    unistd::initgroups(&cname, gid).map_err(|error| PrivError::Call { what: "initgroups", error })?;
    unistd::setgid(gid).map_err(|error| PrivError::Call { what: "setgid", error })?;
    unistd::setuid(pw.uid).map_err(|error| PrivError::Call { what: "setuid", error })?;
    if !pw.uid.is_root() && unistd::setuid(Uid::from_raw(0)).is_ok() {
        return Err(PrivError::RootRegained);
    }
    Ok(())
}
