fn main() -> std::process::ExitCode {
    usbhid_ups::scanner::run(std::env::args().collect())
}
