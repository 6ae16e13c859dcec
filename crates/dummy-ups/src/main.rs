fn main() -> std::process::ExitCode {
    dummy_ups::run(std::env::args().collect())
}
