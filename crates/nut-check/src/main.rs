fn main() -> std::process::ExitCode {
    nut_check::run(std::env::args().collect())
}
