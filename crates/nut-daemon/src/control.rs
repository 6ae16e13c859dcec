//! `-c reload|stop|fsd|exit`: signal a running instance found through its
//! pid file (or an explicit `-P pid`).

use std::fmt;
use std::path::{Path, PathBuf};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// A control command word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Reload,
    Stop,
    Fsd,
    Exit,
}

impl Command {
    pub fn word(self) -> &'static str {
        match self {
            Command::Reload => "reload",
            Command::Stop => "stop",
            Command::Fsd => "fsd",
            Command::Exit => "exit",
        }
    }

    pub fn signal(self) -> Signal {
        match self {
            Command::Reload => Signal::SIGHUP,
            Command::Stop | Command::Exit => Signal::SIGTERM,
            Command::Fsd => Signal::SIGUSR1,
        }
    }
}

/// Match `word` as a prefix of one of `allowed` (NUT accepts `-c re`).
pub fn parse_command(word: &str, allowed: &[Command]) -> Option<Command> {
    if word.is_empty() {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    allowed.iter().copied().find(|c| c.word().starts_with(&lower))
}

/// Why a control command could not be delivered.
#[derive(Debug)]
pub enum ControlError {
    PidFile { path: PathBuf, error: std::io::Error },
    Kill { pid: i32, error: nix::errno::Errno },
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::PidFile { path, error } => {
                write!(f, "Can't open PID file {}: {} (is the daemon running?)", path.display(), error)
            }
            ControlError::Kill { pid, error } => write!(f, "kill: {} (pid {pid})", error.desc()),
        }
    }
}

impl std::error::Error for ControlError {}

/// Send the signal for `cmd` to `explicit_pid`, or to the pid in `pidfile`.
pub fn signal(cmd: Command, pidfile: &Path, explicit_pid: Option<i32>) -> Result<i32, ControlError> {
    let pid = match explicit_pid {
        Some(pid) => pid,
        None => crate::pidfile::read(pidfile)
            .map_err(|error| ControlError::PidFile { path: pidfile.to_path_buf(), error })?,
    };
    kill(Pid::from_raw(pid), cmd.signal()).map_err(|error| ControlError::Kill { pid, error })?;
    Ok(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_like_nut() {
        let all = [Command::Reload, Command::Stop, Command::Fsd];
        assert_eq!(parse_command("re", &all), Some(Command::Reload));
        assert_eq!(parse_command("STOP", &all), Some(Command::Stop));
        assert_eq!(parse_command("f", &all), Some(Command::Fsd));
        assert_eq!(parse_command("exit", &all), None);
        assert_eq!(parse_command("", &all), None);
    }

    #[test]
    fn missing_pid_file_is_a_clear_error() {
        let err = signal(Command::Reload, Path::new("/nonexistent/upsd.pid"), None).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/upsd.pid"), "{err}");
    }
}
