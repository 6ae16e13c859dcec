//! `upsrw`: see `nut_cli::upsrw`.
fn main() -> std::process::ExitCode {
    nut_cli::upsrw::run(std::env::args().collect())
}
