//! `upsc`: show a UPS's variables, a server's UPSes, or a UPS's clients.
//!
//! `upsc -l|-L [host[:port]]`, `upsc <ups> [<var>]`, `upsc -c <ups>`, plus
//! `-j` for JSON (the format of later NUT releases), `-h`, `-V`.
//! Options stop at the first operand. `-l`/`-L` win over `-c`; `-L` makes
//! the listing verbose whatever the order. Errors go to stderr as
//! `Error: <text>` with exit status 1.

use std::process::ExitCode;

use nut_client::spec::{split_host, split_name, BadSpec};
use nut_client::{Client, ClientError};

use crate::common::{err_line, exit, fatal, out, prog_name, Status, FAILURE, NUT_VERSION, SUCCESS};
use crate::format;
use crate::getopt::{Getopt, Opt};

fn usage(prog: &str) {
    out(&format!(
        "Network UPS Tools {prog} {NUT_VERSION}

usage: {prog} -l | -L [<hostname>[:port]]
       {prog} <ups> [<variable>]
       {prog} -c <ups>

Show the variables of a UPS, the UPSes a server knows, or who is logged
in to a UPS.

  -l            list the names of the UPSes on <hostname>
  -L            list them with their descriptions (from ups.conf)
                <hostname> defaults to localhost
  -c            list the addresses of the clients logged in to <ups>
  -j            print the result as JSON
  -h            print this help and exit
  -V            print the version and exit

  <ups>         <upsname>[@<hostname>[:<port>]]
  <variable>    print only the value of this variable
                (without it, every variable is printed as <name>: <value>)
"
    ));
}

enum Mode {
    Vars,
    List { verbose: bool },
    Clients,
}

struct Output {
    json: bool,
}

impl Output {
    /// Report a client error and return the failure status.
    fn fail(&self, err: &ClientError) -> Status {
        if self.json {
            out(&format::json_error(&err.to_string()));
        }
        fatal(&format!("Error: {err}"))
    }
}

fn bad_spec(bad: &BadSpec, what: &str, format_hint: &str) -> Status {
    if let Some(diag) = bad.diag {
        err_line(diag);
    }
    fatal(&format!("Error: invalid {what}.\nRequired format: {format_hint}"))
}

/// Run `upsc` with `args` (program name first).
pub fn run(args: Vec<String>) -> ExitCode {
    exit(main(&args))
}

fn main(args: &[String]) -> Status {
    let prog = prog_name(args, "upsc");
    let mut list = false;
    let mut verbose = false;
    let mut clients = false;
    let mut json = false;
    let mut opts = Getopt::new(args, "hlLcVj");
    for opt in opts.by_ref() {
        match opt {
            Opt::Found('l', _) => list = true,
            Opt::Found('L', _) => {
                list = true;
                verbose = true;
            }
            Opt::Found('c', _) => clients = true,
            Opt::Found('j', _) => json = true,
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
    let mode = if list {
        Mode::List { verbose }
    } else if clients {
        Mode::Clients
    } else {
        Mode::Vars
    };
    let output = Output { json };
    let first = operands.first().map(String::as_str);

    let spec = match mode {
        Mode::List { .. } => match split_host(first) {
            Ok(s) => s,
            Err(bad) => return bad_spec(&bad, "hostname", "[hostname[:port]]"),
        },
        _ => match split_name(first) {
            Ok(s) => s,
            Err(bad) => return bad_spec(&bad, "UPS definition", "upsname[@hostname[:port]]"),
        },
    };
    let mut client = match Client::connect(&spec.host, spec.port) {
        Ok(c) => c,
        Err(e) => return output.fail(&e),
    };
    // As NUT's upsc: try STARTTLS, encrypt if the server agrees, verify
    // nothing (upsc has no CA settings), go on in plain text otherwise.
    if let Err(e) = client.starttls(&nut_client::TlsClientConfig::unverified()) {
        return output.fail(&e);
    }
    let ups = spec.ups.clone().unwrap_or_default();
    let status = match mode {
        Mode::List { verbose } => match client.list_ups() {
            Ok(upses) if json && verbose => emit(format::json_object(&upses)),
            Ok(upses) if json => emit(format::json_array(&upses.into_iter().map(|(n, _)| n).collect::<Vec<_>>())),
            Ok(upses) => emit(format::ups_lines(&upses, verbose)),
            Err(e) => output.fail(&e),
        },
        Mode::Clients => match client.list_client(&ups) {
            Ok(addrs) if json => emit(format::json_array(&addrs)),
            Ok(addrs) => emit(format::plain_lines(&addrs)),
            Err(e) => output.fail(&e),
        },
        Mode::Vars => match operands.get(1) {
            Some(var) if !var.contains('.') => {
                let msg = "old-style variable names are not supported";
                if json {
                    out(&format::json_error(msg));
                }
                fatal(&format!("Error: {msg}"))
            }
            Some(var) => match client.get_var(&ups, var) {
                Ok(value) if json => emit(format::json_value(&value)),
                Ok(value) => emit(format!("{value}\n")),
                Err(e) => output.fail(&e),
            },
            None => match client.list_vars(&ups) {
                Ok(vars) if json => emit(format::json_object(&vars)),
                Ok(vars) => emit(format::var_lines(&vars)),
                Err(e) => output.fail(&e),
            },
        },
    };
    client.disconnect();
    if status == SUCCESS {
        SUCCESS
    } else {
        FAILURE
    }
}

fn emit(text: String) -> Status {
    out(&text);
    SUCCESS
}
