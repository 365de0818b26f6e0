//! `benchbook-canonical`: the canonical inputs of a spec, for runners in other languages.
//!
//! - `benchbook-canonical < spec.json`: the spec a runner received (protocol 1) on stdin; for a
//!   `train` workload, writes its split, batch order and initial weights under
//!   `<cache>/canonical/` (see `canonical`) and prints that directory on one line.
//! - `benchbook-canonical --metrics`: every metric definition (name, unit, region, warm-up) as
//!   a JSON array.
//!
//! Errors: exit 1, nothing on stdout, the reason on stderr.

use benchbook_runner_common::{cache_dir, canonical, protocol, Workload};
use std::io::Read;

fn main() {
    match run() {
        Ok(out) => println!("{out}"),
        Err(e) => {
            eprintln!("benchbook-canonical: {e}");
            std::process::exit(1);
        }
    }
}

fn run() -> Result<String, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag] if flag == "--metrics" => Ok(canonical::metrics_json().to_string()),
        [] => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read the spec on stdin: {e}"))?;
            let spec: protocol::Spec =
                serde_json::from_str(&text).map_err(|e| format!("invalid spec: {e}"))?;
            match Workload::from_spec(&spec)? {
                Workload::Train(t) => Ok(canonical::write(&t, &cache_dir())?
                    .to_string_lossy()
                    .into_owned()),
                _ => Err("only a `train` workload has canonical inputs".into()),
            }
        }
        _ => Err("usage: benchbook-canonical [--metrics] (the spec on stdin)".into()),
    }
}
