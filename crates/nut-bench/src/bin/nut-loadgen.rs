fn main() -> std::process::ExitCode {
    nut_bench::loadgen_main(std::env::args_os().skip(1).collect())
}
