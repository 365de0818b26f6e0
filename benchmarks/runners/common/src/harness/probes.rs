//! The `probes` task: which of [`crate::PROBES`] to run, in order; each one's time, its
//! outcome as the protocol records it, and what happens when the framework panics.

use super::{new_result, ProbeEnd, Runner};
use crate::protocol::{Probe, RunResult, Stage};
use crate::ProbeSpec;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

/// Longest message kept; longer ones lose their middle.
pub const MAX_MESSAGE: usize = 2000;

pub fn run<R: Runner>(runner: &mut R, spec: &ProbeSpec) -> Result<RunResult, String> {
    let names = selected(spec)?;
    let mut result = new_result();
    for name in names {
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| runner.probe(&name, spec.threads)));
        let seconds = start.elapsed().as_secs_f64();
        let end = match outcome {
            Ok(Ok(end)) => end,
            // The probe's own set-up failed (not the mistake it provokes): the run fails.
            Ok(Err(e)) => return Err(format!("probe {name}: {e}")),
            Err(panic) => {
                let text = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "(no message)".into());
                ProbeEnd::Raised(Stage::Run, format!("panic: {text}"))
            }
        };
        let probe = probe(name, end, seconds);
        eprintln!(
            "probe {}: {:?} after {:.4} s",
            probe.name, probe.stage, probe.seconds
        );
        result.probes.push(probe);
    }
    Ok(result)
}

/// The probes a spec asks for (every one of [`crate::PROBES`] when it names none).
pub fn selected(spec: &ProbeSpec) -> Result<Vec<String>, String> {
    let known: Vec<&str> = crate::PROBES.iter().map(|(name, _)| *name).collect();
    let names: Vec<String> = match &spec.probes {
        Some(list) => list.clone(),
        None => known.iter().map(|s| s.to_string()).collect(),
    };
    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| !known.contains(&n.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "unknown probes {unknown:?}; expected some of {known:?}"
        ));
    }
    Ok(names)
}

/// The protocol's record of a probe: a message (clipped) or what was observed, never both.
fn probe(name: String, end: ProbeEnd, seconds: f64) -> Probe {
    let (stage, message, observed) = match end {
        ProbeEnd::Raised(stage, message) => (stage, Some(clip(&message)), None),
        ProbeEnd::Ran(observed) => (Stage::None, None, Some(observed)),
    };
    Probe {
        name,
        stage,
        message,
        seconds,
        observed,
    }
}

/// Trailing whitespace off; a message over [`MAX_MESSAGE`] characters keeps its head and tail.
pub fn clip(message: &str) -> String {
    let message = message.trim_end();
    let chars: Vec<char> = message.chars().collect();
    if chars.len() <= MAX_MESSAGE {
        return message.to_string();
    }
    let half = MAX_MESSAGE / 2;
    let head: String = chars[..half].iter().collect();
    let tail: String = chars[chars.len() - half..].iter().collect();
    format!(
        "{head}\n[… {} characters cut …]\n{tail}",
        chars.len() - 2 * half
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_lose_their_middle() {
        let long = format!("{}{}", "a".repeat(3000), "b".repeat(3000));
        let s = clip(&long);
        assert!(s.starts_with("aaa") && s.ends_with("bbb") && s.contains("characters cut"));
        assert!(s.chars().count() < 2100);
        assert_eq!(clip("short \n"), "short");
    }

    #[test]
    fn selection_is_in_order_and_refuses_unknown_names() {
        let all = selected(&ProbeSpec {
            threads: 1,
            probes: None,
        })
        .unwrap();
        assert_eq!(
            all,
            [
                "shape_mismatch",
                "dtype_mismatch",
                "no_gradient",
                "nan_loss"
            ]
        );
        let e = selected(&ProbeSpec {
            threads: 1,
            probes: Some(vec!["nan_loss".into(), "nope".into()]),
        })
        .unwrap_err();
        assert!(e.contains("nope") && !e.contains("\"nan_loss\"]; "), "{e}");
    }

    #[test]
    fn a_probe_has_a_message_or_an_observation() {
        let p = probe(
            "x".into(),
            ProbeEnd::Raised(Stage::Build, "bad\n".into()),
            0.1,
        );
        assert_eq!(
            (p.stage, p.message.as_deref(), p.observed),
            (Stage::Build, Some("bad"), None)
        );
        let p = probe("x".into(), ProbeEnd::Ran("fine".into()), 0.1);
        assert_eq!(
            (p.stage, p.message, p.observed.as_deref()),
            (Stage::None, None, Some("fine"))
        );
    }
}
