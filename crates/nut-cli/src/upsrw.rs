//! `upsrw`: list a UPS's writable variables, or set one.
//!
//! `upsrw [-l] <ups>` prints one block per writable variable (name,
//! description, type, value or options); `upsrw -s <var>[=<value>] [-u
//! user] [-p pass] [-w] [-t secs] <ups>` sets one, asking for missing
//! credentials and, without `=`, for the value.

use std::process::ExitCode;

use nut_client::{Client, ErrCode};
use nut_proto::lexer::quote;

use crate::common::{
    authenticate, connect_ups, enable_tracking, err_line, exchange, exit, fatal, finish, login_name, out,
    parse_timeout, prog_name, prompt_username, read_password, read_stdin_line, Status,
    DEFAULT_TRACKING_TIMEOUT, NUT_VERSION, SUCCESS,
};
use crate::format::{self, TypeStep};
use crate::getopt::{Getopt, Opt};

fn usage(prog: &str) {
    out(&format!(
        "Network UPS Tools {prog} {NUT_VERSION}

usage: {prog} [-h]
       {prog} [-s <variable>] [-u <username>] [-p <password>] [-w] [-t <timeout>] <ups>

Show the writable variables of a UPS, or change one.

  -h            print this help and exit
  -s <variable> the variable to change; write -s VAR=VALUE to give
                the value here instead of being asked for it
  -l            list the writable variables (what happens without -s)
  -u <username> user name from upsd.users (asked for when missing)
  -p <password> that user's password (asked for when missing)
  -w            wait until the driver has applied the value and print
                its result
  -t <timeout>  how long -w waits, in seconds (default: {DEFAULT_TRACKING_TIMEOUT})
  -V            print the version and exit

  <ups>         <upsname>[@<hostname>[:<port>]]

Without -s, every writable variable is listed (the same as -l).
"
    ));
}

/// Run `upsrw` with `args` (program name first).
pub fn run(args: Vec<String>) -> ExitCode {
    exit(main(&args))
}

fn main(args: &[String]) -> Status {
    let prog = prog_name(args, "upsrw");
    let mut setvar: Option<String> = None;
    let mut user: Option<String> = None;
    let mut password: Option<String> = None;
    let mut tracking = false;
    let mut timeout = DEFAULT_TRACKING_TIMEOUT;
    let mut opts = Getopt::new(args, "hls:p:t:u:wV");
    for opt in opts.by_ref() {
        match opt {
            Opt::Found('s', v) => setvar = v,
            Opt::Found('l', _) => {}
            Opt::Found('p', v) => password = v,
            Opt::Found('u', v) => user = v,
            Opt::Found('t', v) => match parse_timeout(v.as_deref().unwrap_or("")) {
                Ok(t) => timeout = t,
                Err(msg) => return fatal(&msg),
            },
            Opt::Found('w', _) => tracking = true,
            Opt::Found('V', _) => {
                out(&format!("Network UPS Tools {prog} {NUT_VERSION}\n"));
                return SUCCESS;
            }
            Opt::Found(..) => {
                usage(&prog);
                return SUCCESS;
            }
            Opt::Bad(msg) => {
                err_line(&msg);
                usage(&prog);
                return SUCCESS;
            }
        }
    }
    let operands = opts.operands();
    if operands.is_empty() {
        usage(&prog);
        return SUCCESS;
    }
    let (mut client, ups) = match connect_ups(operands.first().map(String::as_str)) {
        Ok(x) => x,
        Err(status) => return status,
    };
    let status = match setvar {
        Some(arg) => set_variable(&mut client, &ups, &arg, user, password, tracking, timeout),
        None => list_rw(&mut client, &ups),
    };
    client.disconnect();
    status
}

fn set_variable(
    client: &mut Client,
    ups: &str,
    arg: &str,
    user: Option<String>,
    password: Option<String>,
    tracking: bool,
    timeout: u32,
) -> Status {
    let user = match user {
        Some(u) => u,
        // At end of input upsrw carries on with the login name.
        None => match prompt_username() {
            Ok(Some(u)) => u,
            Ok(None) => match login_name() {
                Some(u) => u,
                None => return fatal("No username available - even tried getpwuid"),
            },
            Err(msg) => return fatal(&msg),
        },
    };
    let password = password.unwrap_or_else(|| read_password("Password: "));
    let (var, value) = match arg.split_once('=') {
        Some((var, value)) => (var.to_string(), Some(value.to_string())),
        None => {
            out(&format!("Enter new value for {arg}: "));
            // NUT goes on with whatever its buffer held at end of input;
            // we go on too (so the checks below still speak first) but
            // refuse to send a value nobody typed.
            (arg.to_string(), read_stdin_line())
        }
    };
    if let Err(msg) = authenticate(client, &user, &password) {
        return fatal(&msg);
    }
    if !var.contains('.') {
        return fatal("Error: old variable names are not supported");
    }
    if tracking {
        if let Err(msg) = enable_tracking(client, "set variable") {
            return fatal(&msg);
        }
    }
    let Some(value) = value else { return fatal("Error reading from stdin!") };
    let line = format!("SET VAR {ups} {var} {}", quote(&value));
    let reply = match exchange(client, &line, "Can't set variable", "Set variable failed") {
        Ok(r) => r,
        Err(msg) => return fatal(&msg),
    };
    if !reply.starts_with("OK") {
        return fatal(&format!("Unexpected response from upsd: {reply}"));
    }
    finish(client, &reply, tracking, timeout)
}

fn list_rw(client: &mut Client, ups: &str) -> Status {
    let vars = match client.list_rw(ups) {
        Ok(v) => v,
        Err(e) if e.code() == Some(ErrCode::UnknownCommand) => {
            return fatal("Error: upsd is too old to support this query")
        }
        Err(e) => return fatal(&format!("Error: {e}")),
    };
    for (var, _) in &vars {
        let desc = client.get_desc(ups, var).ok();
        out(&format::rw_heading(var, desc.as_deref()));
        if let Err(msg) = print_type(client, ups, var) {
            return fatal(&msg);
        }
        out("\n");
    }
    SUCCESS
}

/// The type part of one block; Err is a fatal message.
fn print_type(client: &mut Client, ups: &str, var: &str) -> Result<(), String> {
    let words = match client.get_type(ups, var) {
        Ok(t) => t.words,
        Err(_) => {
            out("Unknown type\n");
            return Ok(());
        }
    };
    for step in format::type_steps(&words) {
        let current = |client: &mut Client, what: &str| {
            client.get_var(ups, var).map_err(|_| format!("{what}: can't get current value of {var}"))
        };
        match step {
            TypeStep::Unrecognized(word) => out(&format::rw_unrecognized(&word)),
            TypeStep::String { max_len } => {
                let value = current(client, "do_string")?;
                out(&format::rw_string(max_len, &value));
            }
            TypeStep::Number => {
                let value = current(client, "do_number")?;
                out(&format::rw_number(&value));
            }
            TypeStep::Enum(kind) => {
                let value = current(client, "do_enum")?;
                let options = client.list_enum(ups, var).map_err(|e| format!("Error: {e}"))?;
                out(&format::rw_enum(kind, &value, &options));
            }
            TypeStep::Range => {
                let value = current(client, "do_range")?;
                let ranges = client.list_range(ups, var).map_err(|e| format!("Error: {e}"))?;
                out(&format::rw_range(&value, &ranges));
            }
        }
    }
    Ok(())
}
