// The system allocator (glibc) is kept. mimalloc as the global allocator was measured on a
// 10,000-lesson gen_site build (release, 5 runs alternating with the same build without it,
// same lib): wall median 9.68 s vs 8.75 s (per-pair ratio median 1.10, mimalloc slower),
// user CPU 5.9-6.3 s vs 6.6-6.9 s but system CPU 4.0-4.4 s vs 2.1-2.5 s (page faults), and
// peak RSS 1,100 MB vs 934 MB; MIMALLOC_PURGE_DELAY=-1 changed none of this.

fn main() -> std::process::ExitCode {
    // Ctrl-C exits 130 in every command; stages with something to undo defer it and clean up
    // first (src/interrupt.rs). Without a handler Ctrl-C still stops the process, by signal.
    if let Err(e) = benchbook::interrupt::install() {
        eprintln!("warning: {e:#}");
    }
    benchbook::cli::main()
}
