fn main() -> std::process::ExitCode {
    usbhid_ups::run(std::env::args().collect())
}
