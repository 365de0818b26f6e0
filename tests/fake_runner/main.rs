//! A fake runner for the orchestrator's tests (see tests/bench.rs).
fn main() {
    eprintln!("fake runner: not implemented yet");
    std::process::exit(1);
}
