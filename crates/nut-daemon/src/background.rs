//! Going to the background without `fork()`.
//!
//! A program that should detach calls [`detach`]. In the process the user
//! started, it starts a copy of the same program with the same arguments in
//! a new session, forwards whatever the copy prints until the copy says it
//! is ready, and then exits 0 (or with the copy's exit status if the copy
//! dies first). So `upsdrvctl start` and init scripts see NUT's contract:
//! the command returns once the daemon is serving. In the copy, [`detach`]
//! returns a [`Detached`] handle; call [`Detached::ready`] once the sockets
//! are open. No `unsafe` is needed anywhere.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

const CHILD_ENV: &str = "NUT_RS_DETACHED_CHILD";
const READY_LINE: &str = "\u{1}NUT-RS-READY";

static IS_CHILD: OnceLock<bool> = OnceLock::new();

/// True in the detached copy. Programs skip their banner there, since the
/// original process already printed it.
pub fn is_child() -> bool {
    *IS_CHILD.get_or_init(|| std::env::var_os(CHILD_ENV).is_some())
}

/// The detached copy's handle.
#[derive(Debug)]
pub struct Detached {
    _private: (),
}

impl Detached {
    /// Tell the waiting parent that start-up succeeded, then stop using the
    /// terminal: stdout and stderr go to /dev/null and logging to syslog.
    pub fn ready(self) {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{READY_LINE}");
        let _ = out.flush();
        drop(out);
        if let Ok(null) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null") {
            use std::os::fd::AsRawFd;
            let _ = nix::unistd::dup2(null.as_raw_fd(), 0);
            let _ = nix::unistd::dup2(null.as_raw_fd(), 1);
            let _ = nix::unistd::dup2(null.as_raw_fd(), 2);
        }
        crate::log::to_background();
    }
}

/// Detach as described in the module docs. Never returns in the original
/// process.
pub fn detach() -> io::Result<Detached> {
    if is_child() {
        // Our own children (notify commands, drivers) must not inherit this.
        std::env::remove_var(CHILD_ENV);
        let _ = nix::unistd::setsid();
        return Ok(Detached { _private: () });
    }
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(CHILD_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    if let Some(stdout) = child.stdout.take() {
        let mut forward = io::stdout();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line == READY_LINE {
                let _ = forward.flush();
                std::process::exit(0);
            }
            let _ = writeln!(forward, "{line}");
        }
    }
    let status = child.wait()?;
    let _ = io::stdout().flush();
    std::process::exit(status.code().unwrap_or(1).max(1));
}
