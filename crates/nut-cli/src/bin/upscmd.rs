//! `upscmd`: see `nut_cli::upscmd`.
fn main() -> std::process::ExitCode {
    nut_cli::upscmd::run(std::env::args().collect())
}
