//! `upscmd`: list or run a UPS's instant commands.
//!
//! `upscmd -l <ups>`; `upscmd [-u user] [-p pass] [-w] [-t secs] <ups>
//! <command> [<value>]`. Missing credentials are asked for (username on
//! stdout, password without echo). The server's `OK` is printed on
//! stderr; with `-w` the tracked result is printed instead (and exit 0
//! even when the driver failed the command).

use std::process::ExitCode;

use nut_client::{Client, ErrCode};
use nut_proto::lexer::quote_if_needed;

use crate::common::{
    authenticate, connect_ups, enable_tracking, err_line, exchange, exit, fatal, finish, out, parse_timeout,
    prog_name, prompt_username, read_password, Status, DEFAULT_TRACKING_TIMEOUT, NUT_VERSION, SUCCESS,
};
use crate::format;
use crate::getopt::{Getopt, Opt};

fn usage(prog: &str) {
    out(&format!(
        "Network UPS Tools {prog} {NUT_VERSION}

usage: {prog} [-h]
       {prog} [-l <ups>]
       {prog} [-u <username>] [-p <password>] [-w] [-t <timeout>] <ups> <command> [<value>]

Ask a UPS to carry out one of its instant commands, or list them.

  -h            print this help and exit
  -l <ups>      list the instant commands <ups> supports
  -u <username> user name from upsd.users (asked for when missing)
  -p <password> that user's password (asked for when missing)
  -w            wait until the driver has run the command and print
                its result
  -t <timeout>  how long -w waits, in seconds (default: {DEFAULT_TRACKING_TIMEOUT})
  -V            print the version and exit

  <ups>         <upsname>[@<hostname>[:<port>]]
  <command>     an instant command, e.g. test.battery.start
  [<value>]     an argument some commands take (e.g. a delay)
"
    ));
}

/// Run `upscmd` with `args` (program name first).
pub fn run(args: Vec<String>) -> ExitCode {
    exit(main(&args))
}

fn main(args: &[String]) -> Status {
    let prog = prog_name(args, "upscmd");
    let mut list = false;
    let mut user: Option<String> = None;
    let mut password: Option<String> = None;
    let mut tracking = false;
    let mut timeout = DEFAULT_TRACKING_TIMEOUT;
    let mut opts = Getopt::new(args, "lhu:p:t:wV");
    for opt in opts.by_ref() {
        match opt {
            Opt::Found('l', _) => list = true,
            Opt::Found('u', v) => user = v,
            Opt::Found('p', v) => password = v,
            Opt::Found('t', v) => match parse_timeout(v.as_deref().unwrap_or("")) {
                Ok(t) => timeout = t,
                Err(msg) => return fatal(&msg),
            },
            Opt::Found('w', _) => tracking = true,
            Opt::Found('V', _) => {
                err_line(&format!("Network UPS Tools {prog} {NUT_VERSION}"));
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
    let status = if list {
        list_commands(&mut client, &ups)
    } else if operands.len() < 2 {
        usage(&prog);
        SUCCESS
    } else {
        let req = Request {
            ups: &ups,
            cmd: &operands[1],
            value: operands.get(2).map(String::as_str),
            user,
            password,
            tracking,
            timeout,
        };
        run_command(&mut client, req)
    };
    client.disconnect();
    status
}

fn list_commands(client: &mut Client, ups: &str) -> Status {
    let cmds = match client.list_cmd(ups) {
        Ok(c) => c,
        Err(e) if e.code() == Some(ErrCode::UnknownCommand) => {
            return fatal("Error: upsd is too old to support this query")
        }
        Err(e) => return fatal(&format!("Error: {e}")),
    };
    out(&format::cmd_heading(ups));
    for cmd in &cmds {
        let desc = client.get_cmddesc(ups, cmd).ok();
        out(&format::cmd_line(cmd, desc.as_deref()));
    }
    SUCCESS
}

struct Request<'a> {
    ups: &'a str,
    cmd: &'a str,
    value: Option<&'a str>,
    user: Option<String>,
    password: Option<String>,
    tracking: bool,
    timeout: u32,
}

fn run_command(client: &mut Client, req: Request<'_>) -> Status {
    if !req.cmd.contains('.') {
        return fatal("Error: old command names are not supported");
    }
    let user = match req.user {
        Some(u) => u,
        None => match prompt_username() {
            Ok(Some(u)) => u,
            Ok(None) => return fatal("Error reading from stdin!"),
            Err(msg) => return fatal(&msg),
        },
    };
    let password = req.password.unwrap_or_else(|| read_password("Password: "));
    if let Err(msg) = authenticate(client, &user, &password) {
        return fatal(&msg);
    }
    if req.tracking {
        if let Err(msg) = enable_tracking(client, "instant command") {
            return fatal(&msg);
        }
    }
    let mut line = format!("INSTCMD {} {}", req.ups, req.cmd);
    if let Some(value) = req.value {
        line.push(' ');
        line.push_str(&quote_if_needed(value));
    }
    let reply = match exchange(client, &line, "Can't send instant command", "Instant command failed") {
        Ok(r) => r,
        Err(msg) => return fatal(&msg),
    };
    if !reply.starts_with("OK") {
        return fatal(&format!("Unexpected response from upsd: {reply}"));
    }
    finish(client, &reply, req.tracking, req.timeout)
}
