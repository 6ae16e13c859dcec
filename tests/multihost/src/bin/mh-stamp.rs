//! `mh-stamp FILE HOST [WORD...]`: append `HOST <CLOCK_MONOTONIC ns> WORD...`
//! to FILE as one line, in one `write` on an `O_APPEND` file, so lines from
//! several hosts and several notifier processes never interleave.
//!
//! The scenarios use it as every host's SHUTDOWNCMD and NOTIFYCMD (through a
//! two-line shell script). It shuts nothing down.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: mh-stamp FILE HOST [WORD...]");
        return ExitCode::from(2);
    }
    let now = multihost::mono_ns();
    let mut line = format!("{} {now}", args[1]);
    for w in &args[2..] {
        line.push(' ');
        // one record per line, whatever the message holds
        line.push_str(&w.replace(['\n', '\r'], " "));
    }
    line.push('\n');
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&args[0]);
    match file.and_then(|mut f| f.write_all(line.as_bytes())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mh-stamp: {}: {e}", args[0]);
            ExitCode::FAILURE
        }
    }
}
