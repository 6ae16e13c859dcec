//! `upsc`: see `nut_cli::upsc`.
fn main() -> std::process::ExitCode {
    nut_cli::upsc::run(std::env::args().collect())
}
