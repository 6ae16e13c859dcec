fn main() -> std::process::ExitCode {
    upsdrvctl::run(std::env::args().collect())
}
