//! Unit-aware number formatting: the filters of template expressions and the labels of
//! tables and charts.
//!
//! Every quantity is shown with three significant digits (`1.23 ms`, `45.6 MiB`, `12.3k
//! items/s`), percentages with one decimal (`97.3%`), counts in full with thousands
//! separators (`101,770`).

use benchbook_protocol::Unit;

/// A formatting filter, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Seconds → `ns`, `µs`, `ms` or `s`.
    Duration,
    /// Bytes → `B`, `KiB`, `MiB`, `GiB` (binary prefixes).
    Bytes,
    /// Items per second → `items/s`, `k items/s`, `M items/s`.
    Rate,
    /// FLOP/s → `MFLOP/s`, `GFLOP/s`, `TFLOP/s`.
    Flops,
    /// A fraction → `97.3%`.
    Percent,
    /// A ratio → `1.42x`.
    Ratio,
    /// A plain number with three significant digits (integers in full).
    Number,
}

impl Filter {
    pub const ALL: [(&'static str, Filter); 7] = [
        ("duration", Filter::Duration),
        ("bytes", Filter::Bytes),
        ("rate", Filter::Rate),
        ("flops", Filter::Flops),
        ("percent", Filter::Percent),
        ("ratio", Filter::Ratio),
        ("number", Filter::Number),
    ];

    pub fn by_name(name: &str) -> Option<Filter> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .unwrap_or("number")
    }

    /// The unit a value must have for this filter; `None`: any unit.
    pub fn expects(self) -> Option<Unit> {
        match self {
            Filter::Duration => Some(Unit::Seconds),
            Filter::Bytes => Some(Unit::Bytes),
            Filter::Rate => Some(Unit::ItemsPerSecond),
            Filter::Flops => Some(Unit::FlopsPerSecond),
            Filter::Percent => Some(Unit::Fraction),
            Filter::Ratio | Filter::Number => None,
        }
    }

    /// The filter used when an expression names none.
    pub fn default_for(unit: Unit) -> Filter {
        match unit {
            Unit::Seconds => Filter::Duration,
            Unit::Bytes => Filter::Bytes,
            Unit::ItemsPerSecond => Filter::Rate,
            Unit::FlopsPerSecond => Filter::Flops,
            Unit::Fraction => Filter::Percent,
            Unit::Count | Unit::Plain => Filter::Number,
        }
    }

    pub fn apply(self, x: f64) -> String {
        match self {
            Filter::Duration => duration(x),
            Filter::Bytes => bytes(x),
            Filter::Rate => rate(x),
            Filter::Flops => flops(x),
            Filter::Percent => percent(x),
            Filter::Ratio => ratio(x),
            Filter::Number => number(x),
        }
    }
}

/// How a unit is written after a number (`s`, `B`, `items/s`...).
pub fn unit_symbol(unit: Unit) -> &'static str {
    match unit {
        Unit::Seconds => "s",
        Unit::Bytes => "B",
        Unit::ItemsPerSecond => "items/s",
        Unit::FlopsPerSecond => "FLOP/s",
        Unit::Fraction => "%",
        Unit::Count => "count",
        Unit::Plain => "",
    }
}

/// Round to `digits` significant digits and print without exponent, keeping trailing
/// zeros that are significant (`1.20`).
pub fn significant(x: f64, digits: u32) -> String {
    if x == 0.0 || !x.is_finite() {
        return if x == 0.0 { "0".into() } else { format!("{x}") };
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
    let s = format!("{x:.decimals$}");
    // Rounding may carry into a new digit (9.996 → "10.00"): print again one decimal shorter.
    let rounded: f64 = s.parse().unwrap_or(x);
    if rounded != 0.0 && (rounded.abs().log10().floor() as i32) > magnitude && decimals > 0 {
        let d = decimals - 1;
        return format!("{x:.d$}");
    }
    s
}

/// Scale a value by the first step it reaches (largest first), after rounding to three
/// significant digits so that 999.6 µs prints as `1.00 ms`, not `1000 µs`.
fn scaled(x: f64, steps: &[(f64, &str)], join: &str) -> String {
    let r: f64 = significant(x, 3).parse().unwrap_or(x);
    for (factor, suffix) in steps {
        if r.abs() >= *factor {
            return format!("{}{join}{suffix}", significant(x / factor, 3));
        }
    }
    let (factor, suffix) = steps[steps.len() - 1];
    format!("{}{join}{suffix}", significant(x / factor, 3))
}

pub fn duration(seconds: f64) -> String {
    if seconds == 0.0 {
        return "0 s".into();
    }
    scaled(
        seconds,
        &[(1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")],
        "\u{a0}",
    )
}

pub fn bytes(b: f64) -> String {
    const K: f64 = 1024.0;
    if b.abs() < K {
        return format!("{}\u{a0}B", b.round());
    }
    scaled(
        b,
        &[
            (K * K * K * K, "TiB"),
            (K * K * K, "GiB"),
            (K * K, "MiB"),
            (K, "KiB"),
        ],
        "\u{a0}",
    )
}

pub fn rate(per_s: f64) -> String {
    scaled(
        per_s,
        &[
            (1e9, "G items/s"),
            (1e6, "M items/s"),
            (1e3, "k items/s"),
            (1.0, "items/s"),
        ],
        "\u{a0}",
    )
    .replace("\u{a0}k items", "k\u{a0}items")
    .replace("\u{a0}M items", "M\u{a0}items")
    .replace("\u{a0}G items", "G\u{a0}items")
}

pub fn flops(per_s: f64) -> String {
    scaled(
        per_s,
        &[
            (1e12, "TFLOP/s"),
            (1e9, "GFLOP/s"),
            (1e6, "MFLOP/s"),
            (1.0, "FLOP/s"),
        ],
        "\u{a0}",
    )
}

pub fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

pub fn ratio(x: f64) -> String {
    format!("{}x", significant(x, 3))
}

/// Integers in full with thousands separators; anything else with three significant digits.
pub fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        let digits = format!("{}", x.abs() as u64);
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if x < 0.0 {
            out.insert(0, '-');
        }
        out
    } else {
        significant(x, 3)
    }
}

/// A divisor and a suffix that fit values up to `max` on one chart axis, e.g.
/// `(1e-3, "ms")` for step times of a few milliseconds.
pub fn axis_scale(unit: Unit, max: f64) -> (f64, &'static str) {
    let m = max.abs();
    match unit {
        Unit::Seconds => {
            if m >= 1.0 {
                (1.0, "s")
            } else if m >= 1e-3 {
                (1e-3, "ms")
            } else if m >= 1e-6 {
                (1e-6, "µs")
            } else {
                (1e-9, "ns")
            }
        }
        Unit::Bytes => {
            const K: f64 = 1024.0;
            if m >= K * K * K {
                (K * K * K, "GiB")
            } else if m >= K * K {
                (K * K, "MiB")
            } else if m >= K {
                (K, "KiB")
            } else {
                (1.0, "B")
            }
        }
        Unit::ItemsPerSecond => {
            if m >= 1e6 {
                (1e6, "M items/s")
            } else if m >= 1e3 {
                (1e3, "k items/s")
            } else {
                (1.0, "items/s")
            }
        }
        Unit::FlopsPerSecond => {
            if m >= 1e12 {
                (1e12, "TFLOP/s")
            } else if m >= 1e9 {
                (1e9, "GFLOP/s")
            } else if m >= 1e6 {
                (1e6, "MFLOP/s")
            } else {
                (1.0, "FLOP/s")
            }
        }
        Unit::Fraction => (0.01, "%"),
        Unit::Count | Unit::Plain => (1.0, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_significant_digits() {
        assert_eq!(duration(0.001234), "1.23\u{a0}ms");
        assert_eq!(duration(0.0009996), "1.00\u{a0}ms");
        assert_eq!(duration(12.0), "12.0\u{a0}s");
        assert_eq!(duration(123.4), "123\u{a0}s");
        assert_eq!(duration(4.2e-8), "42.0\u{a0}ns");
        assert_eq!(duration(5.5e-6), "5.50\u{a0}µs");
        assert_eq!(bytes(512.0), "512\u{a0}B");
        assert_eq!(bytes(1536.0), "1.50\u{a0}KiB");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0 * 1024.0), "3.00\u{a0}GiB");
        assert_eq!(rate(12_345.0), "12.3k\u{a0}items/s");
        assert_eq!(rate(950.0), "950\u{a0}items/s");
        assert_eq!(flops(2.5e10), "25.0\u{a0}GFLOP/s");
        assert_eq!(percent(0.97342), "97.3%");
        assert_eq!(ratio(1.4231), "1.42x");
        assert_eq!(number(101770.0), "101,770");
        assert_eq!(number(0.012345), "0.0123");
        assert_eq!(significant(9.996, 3), "10.0");
        assert_eq!(significant(99.96, 3), "100");
    }
}
