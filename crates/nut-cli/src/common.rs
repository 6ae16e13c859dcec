//! What the three tools share: the version banner, stdout/stderr writing,
//! the username and password prompts, `-t` parsing and the `-w` wait.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::process::ExitCode;
use std::thread::sleep;
use std::time::{Duration, Instant};

use nut_client::Client;

/// The NUT release whose behaviour these tools reproduce (shown by `-V`
/// and in the help banner).
pub const NUT_VERSION: &str = "2.8.0";

/// Default for `-t` (seconds to wait for a tracked result).
pub const DEFAULT_TRACKING_TIMEOUT: u32 = 10;

/// Exit status of a tool, mapped to [`ExitCode`] in one place.
pub type Status = u8;
pub const SUCCESS: Status = 0;
pub const FAILURE: Status = 1;

pub fn exit(status: Status) -> ExitCode {
    ExitCode::from(status)
}

/// Write to stdout; a closed pipe is not an error worth reporting.
pub fn out(text: &str) {
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Write one line to stderr.
pub fn err_line(text: &str) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

/// Print `text` as a fatal message and return the failure status.
pub fn fatal(text: &str) -> Status {
    err_line(text);
    FAILURE
}

/// The program name for banners: the last path component of argv[0].
pub fn prog_name(args: &[String], fallback: &'static str) -> String {
    args.first()
        .and_then(|a| a.rsplit('/').next())
        .filter(|s| !s.is_empty())
        .unwrap_or(fallback)
        .to_string()
}

/// `-t <secs>` as NUT reads it: decimal digits that fit an unsigned int.
pub fn parse_timeout(text: &str) -> Result<u32, String> {
    let prefix = "Could not convert the provided value for timeout ('-t' option) to unsigned int";
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{prefix}: Invalid argument"));
    }
    text.parse::<u32>().map_err(|_| format!("{prefix}: Numerical result out of range"))
}

/// The login name of the user running the tool, for the username prompt.
pub fn login_name() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|u| u.name)
}

/// Read one line from stdin without its newline; None at end of input.
pub fn read_stdin_line() -> Option<String> {
    let mut line = String::new();
    match io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            if line.ends_with('\n') {
                line.pop();
            }
            Some(line)
        }
    }
}

/// Prompt `Username (<login>): ` on stdout and read the answer; an empty
/// answer means the login name. `Ok(None)` at end of input.
pub fn prompt_username() -> Result<Option<String>, String> {
    let login = login_name();
    match &login {
        Some(name) => out(&format!("Username ({name}): ")),
        None => out("Username: "),
    }
    let Some(line) = read_stdin_line() else { return Ok(None) };
    if !line.is_empty() {
        return Ok(Some(line));
    }
    login.map(Some).ok_or_else(|| "No username available - even tried getpwuid".to_string())
}

/// Read a password without echo: on the controlling terminal when there
/// is one, else (like the C library's getpass) the prompt goes to stderr
/// and the answer comes from stdin. End of input reads as empty.
pub fn read_password(prompt: &str) -> String {
    match OpenOptions::new().read(true).write(true).open("/dev/tty") {
        Ok(tty) => read_password_tty(tty, prompt).unwrap_or_default(),
        Err(_) => {
            let mut stderr = io::stderr().lock();
            let _ = stderr.write_all(prompt.as_bytes());
            let _ = stderr.flush();
            read_stdin_line().unwrap_or_default()
        }
    }
}

fn read_password_tty(mut tty: File, prompt: &str) -> io::Result<String> {
    use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
    tty.write_all(prompt.as_bytes())?;
    tty.flush()?;
    let saved = tcgetattr(&tty).ok();
    if let Some(saved) = &saved {
        let mut quiet = saved.clone();
        quiet.local_flags.remove(LocalFlags::ECHO | LocalFlags::ISIG);
        let _ = tcsetattr(&tty, SetArg::TCSAFLUSH, &quiet);
    }
    let mut line = String::new();
    let read = BufReader::new(&tty).read_line(&mut line);
    if let Some(saved) = &saved {
        let _ = tcsetattr(&tty, SetArg::TCSAFLUSH, saved);
    }
    let _ = tty.write_all(b"\n");
    read?;
    if line.ends_with('\n') {
        line.pop();
    }
    Ok(line)
}

/// Send `line` and read one reply line, with NUT's two messages for a
/// failed send and a failed read.
pub fn exchange(client: &mut Client, line: &str, send_fail: &str, read_fail: &str) -> Result<String, String> {
    client.send_line(line).map_err(|e| format!("{send_fail}: {e}"))?;
    client.read_line().map_err(|e| format!("{read_fail}: {e}"))
}

/// Send USERNAME and PASSWORD the way NUT's upscmd/upsrw do: verbatim,
/// and only an I/O failure stops here (a refused password shows up as an
/// error to the command that follows).
pub fn authenticate(client: &mut Client, user: &str, password: &str) -> Result<(), String> {
    exchange(client, &format!("USERNAME {user}"), "Can't set username", "Set username failed")?;
    exchange(client, &format!("PASSWORD {password}"), "Can't set password", "Set password failed")?;
    Ok(())
}

/// Turn on tracking for this connection (`what` names the request kind
/// in the messages: "instant command" or "set variable").
pub fn enable_tracking(client: &mut Client, what: &str) -> Result<(), String> {
    let reply = exchange(
        client,
        "SET TRACKING ON",
        &format!("Can't enable {what} status tracking"),
        &format!("Enabling {what} status tracking failed"),
    )?;
    if !reply.starts_with("OK") {
        return Err(format!("Enabling {what} status tracking failed. upsd answered: {reply}"));
    }
    Ok(())
}

/// Length of `OK TRACKING <uuid>`.
const TRACKED_REPLY_LEN: usize = "OK TRACKING ".len() + 36;

/// After an `OK...` reply to SET VAR or INSTCMD: print it on stderr, or
/// with `-w` wait for the tracked result and print that. A failed command
/// still exits 0 (the tool did its job); only a timeout or a lost
/// connection is a failure.
pub fn finish(client: &mut Client, reply: &str, tracking: bool, timeout: u32) -> Status {
    if !tracking || reply.len() != TRACKED_REPLY_LEN {
        err_line(reply);
        return SUCCESS;
    }
    let id = &reply["OK TRACKING ".len()..];
    let start = Instant::now();
    let limit = Duration::from_secs(u64::from(timeout));
    let _ = client.set_io_timeout(Some(limit));
    loop {
        if start.elapsed().as_secs() >= u64::from(timeout) {
            return fatal("Can't receive status tracking information: timeout");
        }
        let status = match exchange(
            client,
            &format!("GET TRACKING {id}"),
            "Can't send status tracking request",
            "Can't receive status tracking information",
        ) {
            Ok(s) => s,
            Err(msg) => return fatal(&msg),
        };
        if !status.starts_with("PENDING") {
            err_line(&status);
            return SUCCESS;
        }
        sleep(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_option_messages() {
        assert_eq!(parse_timeout("15"), Ok(15));
        assert_eq!(parse_timeout("0"), Ok(0));
        let e = parse_timeout("abc").unwrap_err();
        assert!(e.ends_with("to unsigned int: Invalid argument"), "{e}");
        assert!(parse_timeout("-5").unwrap_err().ends_with("Invalid argument"));
        assert!(parse_timeout("5x").unwrap_err().ends_with("Invalid argument"));
        assert!(parse_timeout("99999999999").unwrap_err().ends_with("Numerical result out of range"));
    }

    #[test]
    fn prog_name_is_the_basename() {
        assert_eq!(prog_name(&["/usr/bin/upsc".to_string()], "upsc"), "upsc");
        assert_eq!(prog_name(&[], "upsc"), "upsc");
    }
}

/// Parse `upsname[@hostname[:port]]` and connect, as upscmd and upsrw do:
/// the client and the UPS name, or the exit status after NUT's message.
pub fn connect_ups(operand: Option<&str>) -> Result<(Client, String), Status> {
    let spec = match nut_client::spec::split_name(operand) {
        Ok(s) => s,
        Err(bad) => {
            if let Some(diag) = bad.diag {
                err_line(diag);
            }
            return Err(fatal("Error: invalid UPS definition.  Required format: upsname[@hostname[:port]]"));
        }
    };
    let ups = spec.ups.clone().unwrap_or_default();
    match Client::connect(&spec.host, spec.port) {
        Ok(c) => Ok((c, ups)),
        Err(e) => Err(fatal(&format!("Error: {e}"))),
    }
}
