//! What `dfinery send` prints: the invalid lines, the refused events and the summary (sent,
//! skipped, failed), as text or as one JSON object.

use std::path::PathBuf;
use std::time::Duration;

use dfinery_schema::names::counted;
use serde_json::json;

use crate::output;

/// A line that failed the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Its number, from 1.
    pub line: u64,
    /// Every problem.
    pub problems: Vec<String>,
}

/// An event DFINERY refused for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// Its line, when it was queued by this run.
    pub line: Option<u64>,
    /// DFINERY's reason.
    pub reason: String,
    /// DFINERY refused the token or the service id, not the event: a setting to fix, after
    /// which the same file can be sent again.
    pub refused_settings: bool,
}

/// A line whose `event_log_id` an earlier line of the same send has too (also one queued before
/// the send was interrupted and resumed): DFINERY stores one event per id (the first it
/// accepts), so at most one of the two is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeated {
    /// Its number, from 1.
    pub line: u64,
    /// The earlier line with the same id.
    pub first_line: u64,
    /// The id.
    pub event_log_id: uuid::Uuid,
}

/// The most repeated ids listed one by one; the rest are counted.
pub const REPEATED_SHOWN: usize = 10;

/// The outcome of a send.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// The file.
    pub file: PathBuf,
    /// Events in the file.
    pub events: u64,
    /// The invalid lines (skipped, or the reason nothing was sent).
    pub invalid: Vec<Invalid>,
    /// Valid events of the users of the other partitions (`--partition`): not this send's.
    pub other_partitions: u64,
    /// The line after which this run started.
    pub resumed_after_line: u64,
    /// Nothing was sent (invalid lines without `--skip-invalid`, or `--check-only`).
    pub sent_nothing: bool,
    /// Events DFINERY confirmed in this run.
    pub sent: u64,
    /// Events DFINERY refused.
    pub failed: Vec<Failed>,
    /// Lines queued by this send (in this run, or before the resume point) whose
    /// `event_log_id` an earlier one has: the first [`REPEATED_SHOWN`], in line order. A resumed
    /// send names the same lines as one that was never interrupted.
    pub repeated: Vec<Repeated>,
    /// How many such lines there were in all.
    pub repeated_count: u64,
    /// The ids of the lines up to this one are not known (0: every line's is): the send was
    /// begun by a version that kept no record of them, or the record was lost, so a line
    /// repeating one of them is not named.
    pub repeated_unknown_through_line: u64,
    /// Events still in the spool, for `--resume`.
    pub left_in_spool: u64,
    /// The run was stopped by Ctrl-C or SIGTERM.
    pub interrupted: bool,
    /// The state folder, when it is kept.
    pub state: Option<PathBuf>,
    /// How long the run took.
    pub elapsed: Duration,
    /// Why the run failed (also written on stderr), when it did after sending began.
    pub error: Option<String>,
}

impl Summary {
    /// Prints the report on stdout.
    pub fn print(&self, json: bool, check_only: bool) {
        if json {
            output::json(&self.to_json());
            return;
        }
        for invalid in &self.invalid {
            for problem in &invalid.problems {
                output::line(format!("line {}: {problem}", invalid.line));
            }
        }
        if check_only {
            output::line(format!(
                "checked {} in `{}`: {} valid, {} invalid",
                counted(self.events, "event", "events"),
                self.file.display(),
                self.events - self.invalid.len() as u64,
                self.invalid.len()
            ));
            return;
        }
        if self.sent_nothing {
            let valid = self.events - self.invalid.len() as u64;
            if valid == 0 {
                output::line(if self.events == 1 {
                    "the line is invalid; nothing was sent: fix it".to_owned()
                } else {
                    format!(
                        "all {} lines are invalid; nothing was sent: fix them",
                        self.events
                    )
                });
            } else {
                output::line(format!(
                    "{} of {} {} invalid; nothing was sent: fix {}, or pass `--skip-invalid` to send the other {valid}",
                    self.invalid.len(),
                    counted(self.events, "line", "lines"),
                    if self.invalid.len() == 1 { "is" } else { "are" },
                    if self.invalid.len() == 1 {
                        "it"
                    } else {
                        "them"
                    },
                ));
            }
            return;
        }
        for failed in &self.failed {
            match failed.line {
                Some(line) => output::line(format!("line {line}: refused: {}", failed.reason)),
                None => output::line(format!("refused: {}", failed.reason)),
            }
        }
        for repeated in &self.repeated {
            output::line(format!(
                "line {}: `event_log_id` `{}` is line {}'s too; DFINERY stores one event per id (the first it accepts), so at most one of the two is stored",
                repeated.line, repeated.event_log_id, repeated.first_line
            ));
        }
        if self.repeated_count > self.repeated.len() as u64 {
            output::line(format!(
                "… and {} more lines repeat an earlier line's `event_log_id` (give each event its own id, or leave `event_log_id` out and one is made from the line)",
                self.repeated_count - self.repeated.len() as u64
            ));
        }
        if self.repeated_unknown_through_line > 0 {
            output::line(format!(
                "the `event_log_id`s of lines 1 to {} are not known (the send was begun by an earlier version of dfinery, which kept no record of them, or the record was lost): a later line that repeats one of them is not named",
                self.repeated_unknown_through_line
            ));
        }
        let seconds = self.elapsed.as_secs_f64();
        let resumed = if self.resumed_after_line > 0 {
            format!(", resumed after line {}", self.resumed_after_line)
        } else {
            String::new()
        };
        let others = if self.other_partitions > 0 {
            format!(", {} for the other partitions", self.other_partitions)
        } else {
            String::new()
        };
        let left = if self.left_in_spool > 0 {
            format!(", {} left in the spool", self.left_in_spool)
        } else {
            String::new()
        };
        output::line(format!(
            "sent {}, skipped {}, failed {}{left} ({} in `{}`{others}{resumed}; {seconds:.1} s, {:.0} events/s)",
            self.sent,
            self.invalid.len(),
            self.failed.len(),
            counted(self.events, "event", "events"),
            self.file.display(),
            if seconds > 0.0 {
                self.sent as f64 / seconds
            } else {
                0.0
            }
        ));
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "file": self.file.display().to_string(),
            "events": self.events,
            "other_partitions": self.other_partitions,
            "sent": self.sent,
            "skipped": if self.sent_nothing { 0 } else { self.invalid.len() },
            "failed": self.failed.len(),
            "left_in_spool": self.left_in_spool,
            "sent_nothing": self.sent_nothing,
            "interrupted": self.interrupted,
            "resumed_after_line": self.resumed_after_line,
            "state": self.state.as_ref().map(|p| p.display().to_string()),
            "elapsed_ms": u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX),
            "invalid_lines": self.invalid.iter().map(|i| json!({"line": i.line, "problems": i.problems})).collect::<Vec<_>>(),
            "failed_events": self.failed.iter().map(|f| json!({"line": f.line, "reason": f.reason})).collect::<Vec<_>>(),
            "repeated_ids": self.repeated_count,
            "repeated_unknown_through_line": self.repeated_unknown_through_line,
            "error": self.error,
            "repeated_lines": self.repeated.iter().map(|r| json!({"line": r.line, "first_line": r.first_line, "event_log_id": r.event_log_id.to_string()})).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_report_counts_skipped_lines_only_when_others_were_sent() {
        let mut summary = Summary {
            events: 3,
            invalid: vec![Invalid {
                line: 2,
                problems: vec!["missing `name`".into()],
            }],
            sent_nothing: true,
            ..Summary::default()
        };
        let value = summary.to_json();
        assert_eq!(value["skipped"], 0);
        assert!(value["error"].is_null(), "{value}");
        assert_eq!(value["invalid_lines"][0]["line"], 2);
        summary.sent_nothing = false;
        summary.sent = 2;
        assert_eq!(summary.to_json()["skipped"], 1);
    }
}
