fn main() -> std::process::ExitCode {
    upssched::run(std::env::args().collect())
}
