//! The report's vocabulary: a [`Comparison`] holds the figures measured side by side and the
//! [`Ratio`]s between them, each checked against its [`Goal`], and prints as text or Markdown.

use std::fmt::{self, Write};

use crate::measure::Sample;

/// One figure of a comparison: what was measured and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// What was measured, e.g. `serde derive: serde_json::to_vec`.
    pub label: String,
    /// The value in `unit`.
    pub value: f64,
    /// The unit, e.g. `ns/event`, `events/s`, `s`.
    pub unit: String,
    /// More figures about the same run, e.g. `12.0 allocs/event`.
    pub extra: Vec<String>,
}

impl Figure {
    /// A figure of `value` in `unit`.
    pub fn new(label: &str, value: f64, unit: &str) -> Figure {
        Figure {
            label: label.to_owned(),
            value,
            unit: unit.to_owned(),
            extra: Vec::new(),
        }
    }

    /// A time per `per` (e.g. `event`) in nanoseconds.
    pub fn time(label: &str, ns: f64, per: &str) -> Figure {
        Figure::new(label, ns, &format!("ns/{per}"))
    }

    /// Adds the allocations and bytes per iteration of `sample`.
    pub fn with_allocs(self, sample: Sample) -> Figure {
        self.with_extra(format!(
            "{:.1} allocs/event, {:.0} B allocated/event",
            sample.allocs_per_iter(),
            sample.bytes_per_iter()
        ))
    }

    /// Adds one more figure about the same run.
    pub fn with_extra(mut self, extra: impl Into<String>) -> Figure {
        self.extra.push(extra.into());
        self
    }
}

/// What a ratio should be for the goal to be met.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// The ratio should be at most this.
    AtMost(f64),
    /// The ratio should be at least this.
    AtLeast(f64),
    /// No goal: the ratio is informative.
    None,
}

impl Goal {
    /// Whether `ratio` meets the goal; `None` when there is no goal.
    pub fn is_met(self, ratio: f64) -> Option<bool> {
        match self {
            Goal::AtMost(max) => Some(ratio <= max),
            Goal::AtLeast(min) => Some(ratio >= min),
            Goal::None => None,
        }
    }
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Goal::AtMost(max) => write!(f, "<= {max:.2}x"),
            Goal::AtLeast(min) => write!(f, ">= {min:.2}x"),
            Goal::None => f.write_str("-"),
        }
    }
}

/// A ratio of two figures of the same run, and its goal.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    /// What is divided by what, e.g. `dfinery time / serde-derive time`.
    pub label: String,
    /// The ratio.
    pub value: f64,
    /// What it should be.
    pub goal: Goal,
}

impl Ratio {
    /// A ratio named `label`.
    pub fn new(label: &str, value: f64, goal: Goal) -> Ratio {
        Ratio {
            label: label.to_owned(),
            value,
            goal,
        }
    }

    /// `met`, `MISSED` or `-` (no goal).
    pub fn verdict(&self) -> &'static str {
        match self.goal.is_met(self.value) {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "-",
        }
    }
}

/// One comparison of the report: its figures, the ratios between them, and notes.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// E.g. `1. serialisation: …`.
    pub title: String,
    /// The figures, ours first.
    pub figures: Vec<Figure>,
    /// The ratios between the figures.
    pub ratios: Vec<Ratio>,
    /// Anything a reader needs to read the figures right.
    pub notes: Vec<String>,
}

impl Comparison {
    /// The comparison as Markdown: a heading, a table of figures and a table of ratios.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### {}\n", self.title);
        let _ = writeln!(out, "| measured | figure | also |\n|---|---:|---|");
        for f in &self.figures {
            let _ = writeln!(
                out,
                "| {} | {} {} | {} |",
                f.label,
                number(f.value),
                f.unit,
                f.extra.join("; ")
            );
        }
        if !self.ratios.is_empty() {
            let _ = writeln!(out, "\n| ratio | value | goal | |\n|---|---:|---|---|");
            for r in &self.ratios {
                let _ = writeln!(
                    out,
                    "| {} | {:.2}x | {} | {} |",
                    r.label,
                    r.value,
                    r.goal,
                    r.verdict()
                );
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "\n{note}");
        }
        out
    }
}

impl fmt::Display for Comparison {
    /// The comparison as aligned plain text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.title)?;
        let width = self
            .figures
            .iter()
            .map(|x| x.label.len())
            .chain(self.ratios.iter().map(|r| r.label.len()))
            .max()
            .unwrap_or(0);
        for x in &self.figures {
            write!(
                f,
                "  {:width$}  {:>12} {}",
                x.label,
                number(x.value),
                x.unit
            )?;
            for extra in &x.extra {
                write!(f, "  [{extra}]")?;
            }
            writeln!(f)?;
        }
        for r in &self.ratios {
            writeln!(
                f,
                "  {:width$}  {:>11.2}x  goal {:<9} {}",
                r.label,
                r.value,
                r.goal.to_string(),
                r.verdict()
            )?;
        }
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
        }
        Ok(())
    }
}

/// A figure with thousands separators and as many decimals as its size deserves.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let decimals = if value.abs() >= 100.0 {
        0
    } else if value.abs() >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if value < 0.0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// A note naming each figure with its key in the report's flat map of figures, e.g.
/// `keys: compile.derive_over_serde = 1.18`.
pub fn keys_note(figures: &[(&'static str, f64)]) -> String {
    let pairs: Vec<String> = figures
        .iter()
        .map(|(key, value)| format!("{key} = {value:.3}"))
        .collect();
    format!("keys: {}", pairs.join(", "))
}
