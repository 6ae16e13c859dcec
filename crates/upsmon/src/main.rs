fn main() -> std::process::ExitCode {
    upsmon::run(std::env::args().collect())
}
