//! `dfinery-bench`: the ratio report. Runs every comparison in one process and prints both
//! figures and their ratio for each; `BENCHMARKS.md` explains them.
//!
//! ```text
//! cargo run --release -p dfinery-bench [-- --quick] [-- --only serialize,compile]
//!                                      [-- --markdown report.md] [-- --json report.json]
//! ```
//!
//! `--json FILE` writes every figure and ratio as one flat JSON object of numbers: a few named
//! keys (`serialize.dfinery_over_serde`, `pipeline.sink_events_per_s`, …) and, for every
//! figure and ratio, `SECTION.figure.LABEL` / `SECTION.ratio.LABEL` with the label in
//! snake case.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use dfinery_bench::compile::{GeneratedCrate, default_dir, workspace_root};
use dfinery_bench::lab::{Lab, SERVE_FLAG, SINK_FLAG, serve_emulator};
use dfinery_bench::machine::{Machine, load_average, now_utc};
use dfinery_bench::report::Comparison;
use dfinery_bench::{compile, emulator, export, pipeline, serialize};

const USAGE: &str = "usage: dfinery-bench [--quick] [--only NAME,...] [--markdown PATH] [--json PATH]\n\
  NAME: serialize, pipeline, compile, export, emulator (default: all)";

/// The comparisons, in the order they run.
const SECTIONS: &[&str] = &["serialize", "pipeline", "export", "emulator", "compile"];

/// What the command line asked for.
struct Options {
    quick: bool,
    only: Vec<String>,
    markdown: Option<PathBuf>,
    json: Option<PathBuf>,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        quick: false,
        only: Vec::new(),
        markdown: None,
        json: None,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--only" => {
                let list = args
                    .next()
                    .ok_or("`--only` needs a list, e.g. `serialize,compile`")?;
                for name in list.split(',') {
                    if !SECTIONS.contains(&name) {
                        return Err(format!(
                            "unknown comparison `{name}`; choose from {}",
                            SECTIONS.join(", ")
                        ));
                    }
                    options.only.push(name.to_owned());
                }
            }
            "--markdown" => {
                let path = args.next().ok_or("`--markdown` needs a file path")?;
                options.markdown = Some(PathBuf::from(path));
            }
            "--json" => {
                let path = args.next().ok_or("`--json` needs a file path")?;
                options.json = Some(PathBuf::from(path));
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

/// Whether `path` can be written, checked before the run (minutes long) rather than after it:
/// opened for appending, so an existing file is left as it is, and removed again when this
/// made it.
fn writable(path: &std::path::Path) -> Result<(), String> {
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|error| format!("cannot write `{}`: {error}", path.display()))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// The measurement windows: the full report, or `--quick` for a smoke run.
struct Windows {
    rounds: usize,
    micro: Duration,
    pipeline: Duration,
    emulator: Duration,
    export_events: usize,
    compile_rounds: usize,
    send_lines: usize,
    /// Rounds of the pipeline's sink runs (in memory, spool, `dfinery send`), back to back.
    pipeline_rounds: usize,
}

impl Windows {
    fn new(quick: bool) -> Windows {
        if quick {
            Windows {
                rounds: 2,
                micro: Duration::from_millis(50),
                pipeline: Duration::from_millis(300),
                emulator: Duration::from_millis(300),
                export_events: 200,
                compile_rounds: 1,
                send_lines: 10_000,
                pipeline_rounds: 1,
            }
        } else {
            Windows {
                rounds: 9,
                micro: Duration::from_millis(300),
                pipeline: Duration::from_secs(3),
                emulator: Duration::from_secs(3),
                export_events: 4_000,
                compile_rounds: 5,
                send_lines: pipeline::SEND_LINES,
                pipeline_rounds: 3,
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == SERVE_FLAG) {
        return serve_emulator(args.get(1).is_some_and(|a| a == SINK_FLAG));
    }
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse(args.clone()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    for path in options.markdown.iter().chain(&options.json) {
        if let Err(message) = writable(path) {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    }
    let started = Instant::now();
    let header = header(&args);
    println!("{header}");
    let mut comparisons = Vec::new();
    let mut json = BTreeMap::new();
    let mut failed = false;
    for section in SECTIONS {
        if !options.only.is_empty() && !options.only.iter().any(|o| o == section) {
            continue;
        }
        eprintln!("running {section}…");
        match run(section, &Windows::new(options.quick)) {
            Ok((comparison, keys)) => {
                println!("{comparison}");
                json.extend(keys);
                json.extend(json_keys(section, &comparison));
                comparisons.push(comparison);
            }
            Err(error) => {
                println!("{section}: error: {error}\n");
                failed = true;
            }
        }
    }
    comparisons.sort_by(|a, b| a.title.cmp(&b.title));
    let footer = format!(
        "finished in {:.0} s; load average at the end {}",
        started.elapsed().as_secs_f64(),
        load_text()
    );
    println!("{}", summary(&comparisons));
    println!("{footer}");
    if let Some(path) = &options.markdown {
        let text = markdown(&header, &comparisons, &footer);
        if let Err(error) = std::fs::write(path, text) {
            eprintln!("error: cannot write `{}`: {error}", path.display());
            failed = true;
        }
    }
    if let Some(path) = &options.json {
        let text = serde_json::to_string_pretty(&json).unwrap_or_default();
        if let Err(error) = std::fs::write(path, text + "\n") {
            eprintln!("error: cannot write `{}`: {error}", path.display());
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs one comparison; with the named JSON keys it has besides its figures and ratios.
fn run(section: &str, w: &Windows) -> io::Result<(Comparison, Vec<(String, f64)>)> {
    let plain = |c: io::Result<Comparison>| c.map(|c| (c, Vec::new()));
    match section {
        "serialize" => plain(Ok(serialize::compare(w.rounds, w.micro))),
        "pipeline" => {
            let lab = child_lab()?;
            let sink = Lab::child_sink(&std::env::current_exe()?)?;
            let spool = pipeline::spool_path(&default_dir(&workspace_root()))?;
            let runs = pipeline::measure(
                &lab,
                &sink,
                &spool,
                4,
                w.pipeline,
                Some(w.send_lines),
                w.pipeline_rounds,
            )?;
            let mut comparison = pipeline::comparison(&runs, lab.child_pid().is_some());
            comparison.notes.push(pipeline::spool_disk_note(&spool));
            Ok((comparison, pipeline::keys(&runs)))
        }
        "export" => {
            let lab = child_lab()?;
            let csv = export::export_csv(&lab, w.export_events)?;
            let samples = export::measure(&csv, w.rounds, w.micro)?;
            Ok((
                export::comparison(&samples, export::owned_fields_per_row(&csv)),
                named(export::figures(&samples)),
            ))
        }
        "emulator" => plain(emulator::compare(&child_lab()?, w.emulator, 4)),
        "compile" => {
            let root = workspace_root();
            let krate = GeneratedCrate::create(default_dir(&root).join("crate"), root)?;
            let times = compile::measure(&krate, 100, 500, w.compile_rounds)?;
            Ok((compile::comparison(&times), named(compile::figures(&times))))
        }
        other => Err(io::Error::other(format!("unknown comparison `{other}`"))),
    }
}

/// Named keys for ratios of sections that do not name their own: (section, ratio label, key).
const NAMED_RATIOS: &[(&str, &str, &str)] = &[(
    "serialize",
    "dfinery time / serde-derive time, each into a kept buffer",
    "serialize.dfinery_over_serde",
)];

/// The named keys a section computes itself, owned.
fn named(keys: Vec<(&'static str, f64)>) -> Vec<(String, f64)> {
    keys.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Every figure and ratio of `comparison` as `SECTION.figure.LABEL` / `SECTION.ratio.LABEL`,
/// plus the [`NAMED_RATIOS`] of `section`.
fn json_keys(section: &str, comparison: &Comparison) -> Vec<(String, f64)> {
    let mut keys = Vec::new();
    for f in &comparison.figures {
        keys.push((format!("{section}.figure.{}", slug(&f.label)), f.value));
    }
    for r in &comparison.ratios {
        keys.push((format!("{section}.ratio.{}", slug(&r.label)), r.value));
        for (s, label, key) in NAMED_RATIOS {
            if *s == section && r.label == *label {
                keys.push(((*key).to_owned(), r.value));
            }
        }
    }
    keys.retain(|(_, v)| v.is_finite());
    keys
}

/// `label` in snake case: lower-case ASCII letters and digits, runs of anything else as `_`.
fn slug(label: &str) -> String {
    let mut out = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// The emulator in a child process (this binary with `--serve-emulator`).
fn child_lab() -> io::Result<Lab> {
    Lab::child_process(&std::env::current_exe()?)
}

/// Date, machine, load and command line.
fn header(args: &[String]) -> String {
    let command = if args.is_empty() {
        "cargo run --release -p dfinery-bench".to_owned()
    } else {
        format!("cargo run --release -p dfinery-bench -- {}", args.join(" "))
    };
    format!(
        "dfinery-bench ratio report\n  date:    {}\n  machine: {}\n  load:    {} (1, 5, 15 min) at the start\n  command: {command}\n",
        now_utc(),
        Machine::current(),
        load_text(),
    )
}

fn load_text() -> String {
    load_average().map_or_else(
        || "unknown".to_owned(),
        |[a, b, c]| format!("{a:.2}, {b:.2}, {c:.2}"),
    )
}

/// Every ratio in one table.
fn summary(comparisons: &[Comparison]) -> String {
    let mut out = String::from("summary\n");
    for c in comparisons {
        let number = c.title.split('.').next().unwrap_or("?");
        for r in &c.ratios {
            out.push_str(&format!(
                "  {number}. {:<68} {:>9.2}x  goal {:<9} {}\n",
                r.label,
                r.value,
                r.goal.to_string(),
                r.verdict()
            ));
        }
    }
    out
}

/// The whole report as Markdown, for `BENCHMARKS.md`.
fn markdown(header: &str, comparisons: &[Comparison], footer: &str) -> String {
    let mut out = String::from("```text\n");
    out.push_str(header.trim_end());
    out.push_str("\n```\n\n");
    for c in comparisons {
        out.push_str(&c.to_markdown());
        out.push('\n');
    }
    out.push_str(&format!(
        "```text\n{}\n{footer}\n```\n",
        summary(comparisons).trim_end()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn flags_are_read_and_mistakes_named() {
        let o = parse(args(&[
            "--quick",
            "--only",
            "serialize,compile",
            "--markdown",
            "r.md",
        ]))
        .unwrap();
        assert!(o.quick);
        assert_eq!(o.only, ["serialize", "compile"]);
        assert_eq!(o.markdown, Some(PathBuf::from("r.md")));
        let error = parse(args(&["--only", "serialise"])).err().unwrap();
        assert!(error.contains("unknown comparison `serialise`"), "{error}");
        assert!(
            parse(args(&["--only"]))
                .err()
                .unwrap()
                .contains("needs a list")
        );
        assert!(parse(args(&["--fast"])).err().unwrap().contains("`--fast`"));
        let o = parse(args(&["--json", "r.json"])).unwrap();
        assert_eq!(o.json, Some(PathBuf::from("r.json")));
    }

    #[test]
    fn json_keys_are_snake_case_and_named_ratios_are_added() {
        use dfinery_bench::report::{Figure, Goal, Ratio};
        assert_eq!(
            slug("dfinery time / serde-derive time"),
            "dfinery_time_serde_derive_time"
        );
        let c = Comparison {
            title: "1. x".to_owned(),
            figures: vec![Figure::new("serde: to_vec", 2.0, "ns/event")],
            ratios: vec![
                Ratio::new(
                    "dfinery time / serde-derive time, each into a kept buffer",
                    1.5,
                    Goal::AtMost(2.0),
                ),
                Ratio::new("nothing measured", f64::NAN, Goal::None),
            ],
            notes: Vec::new(),
        };
        let keys: BTreeMap<String, f64> = json_keys("serialize", &c).into_iter().collect();
        assert_eq!(keys["serialize.figure.serde_to_vec"], 2.0);
        assert_eq!(keys["serialize.dfinery_over_serde"], 1.5);
        assert_eq!(keys.len(), 3, "{keys:?}");
    }
}
