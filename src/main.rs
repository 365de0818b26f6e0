fn main() -> std::process::ExitCode {
    benchbook::cli::main()
}
