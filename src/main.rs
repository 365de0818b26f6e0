fn main() -> std::process::ExitCode {
    // Ctrl-C exits 130 in every command; stages with something to undo defer it and clean up
    // first (src/interrupt.rs). Without a handler Ctrl-C still stops the process, by signal.
    if let Err(e) = benchbook::interrupt::install() {
        eprintln!("warning: {e:#}");
    }
    benchbook::cli::main()
}
