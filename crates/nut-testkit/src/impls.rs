//! Which implementation of a program to run, and where its binary is.

use std::fmt;
use std::path::{Path, PathBuf};

/// The programs the suite knows how to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Program {
    Upsd,
    DummyUps,
    Upsdrvctl,
    Upsmon,
    Upssched,
    Upsc,
    Upscmd,
    Upsrw,
}

impl Program {
    pub const ALL: [Program; 8] = [
        Program::Upsd,
        Program::DummyUps,
        Program::Upsdrvctl,
        Program::Upsmon,
        Program::Upssched,
        Program::Upsc,
        Program::Upscmd,
        Program::Upsrw,
    ];

    /// The executable's file name (identical for NUT and us).
    pub fn file_name(self) -> &'static str {
        match self {
            Program::Upsd => "upsd",
            Program::DummyUps => "dummy-ups",
            Program::Upsdrvctl => "upsdrvctl",
            Program::Upsmon => "upsmon",
            Program::Upssched => "upssched",
            Program::Upsc => "upsc",
            Program::Upscmd => "upscmd",
            Program::Upsrw => "upsrw",
        }
    }

    /// Where Debian's NUT 2.8.0 installs the real binary (never the /sbin shell wrappers).
    pub fn nut_path(self) -> &'static str {
        match self {
            Program::Upsd => "/lib/nut/upsd",
            Program::DummyUps => "/lib/nut/dummy-ups",
            Program::Upsdrvctl => "/sbin/upsdrvctl",
            Program::Upsmon => "/lib/nut/upsmon",
            Program::Upssched => "/sbin/upssched",
            Program::Upsc => "/usr/bin/upsc",
            Program::Upscmd => "/usr/bin/upscmd",
            Program::Upsrw => "/usr/bin/upsrw",
        }
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}

/// NUT's real programs (the oracle) or ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Impl {
    Nut,
    Ours,
}

impl fmt::Display for Impl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Impl::Nut => "nut",
            Impl::Ours => "ours",
        })
    }
}

/// Root of the Cargo workspace (this crate lives in `<root>/crates/nut-testkit`).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| here.to_path_buf())
}

impl Impl {
    /// Directory holding our binaries: `$NUT_RS_BIN_DIR`, else `<workspace>/target/debug`.
    pub fn ours_bin_dir() -> PathBuf {
        match std::env::var_os("NUT_RS_BIN_DIR") {
            Some(d) if !d.is_empty() => PathBuf::from(d),
            _ => workspace_root().join("target").join("debug"),
        }
    }

    /// Directory that holds every program of this implementation (for PATH-based tests).
    /// For NUT the binaries are spread over several dirs; see [`Impl::path_dirs`].
    pub fn path_dirs(self) -> Vec<PathBuf> {
        match self {
            Impl::Ours => vec![Impl::ours_bin_dir()],
            Impl::Nut => vec![PathBuf::from("/lib/nut"), PathBuf::from("/sbin"), PathBuf::from("/usr/bin")],
        }
    }

    /// The binary, or a message explaining why it is not there.
    pub fn try_path(self, program: Program) -> Result<PathBuf, String> {
        let p = match self {
            Impl::Nut => PathBuf::from(program.nut_path()),
            Impl::Ours => Impl::ours_bin_dir().join(program.file_name()),
        };
        if p.is_file() {
            return Ok(p);
        }
        Err(match self {
            Impl::Nut => format!(
                "NUT's {program} is missing at {} (install Debian packages nut-server nut-client)",
                p.display()
            ),
            Impl::Ours => format!(
                "our {program} binary is missing at {}: run `cargo build --workspace --bins` \
                 (or point NUT_RS_BIN_DIR at the directory holding our binaries)",
                p.display()
            ),
        })
    }

    /// The binary; panics (fails the test, never skips) if it is missing.
    pub fn path(self, program: Program) -> PathBuf {
        match self.try_path(program) {
            Ok(p) => p,
            Err(msg) => panic!("{msg}"),
        }
    }
}
