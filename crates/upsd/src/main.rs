use std::process::ExitCode;

fn main() -> ExitCode {
    upsd::run(std::env::args_os())
}
