//! `dfinery-bench`: the ratio report. Runs every comparison in one process and prints both
//! figures and their ratio for each; `BENCHMARKS.md` explains them.
//!
//! ```text
//! cargo run --release -p dfinery-bench [-- --quick] [-- --only serialize,compile]
//!                                      [-- --markdown report.md]
//! ```

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use dfinery_bench::compile::{GeneratedCrate, default_dir, workspace_root};
use dfinery_bench::lab::{Lab, SERVE_FLAG, serve_emulator};
use dfinery_bench::machine::{Machine, load_average, now_utc};
use dfinery_bench::report::Comparison;
use dfinery_bench::{compile, emulator, export, pipeline, serialize};

const USAGE: &str = "usage: dfinery-bench [--quick] [--only NAME,...] [--markdown PATH]\n\
  NAME: serialize, pipeline, compile, export, emulator (default: all)";

/// The comparisons, in the order they run.
const SECTIONS: &[&str] = &["serialize", "pipeline", "export", "emulator", "compile"];

/// What the command line asked for.
struct Options {
    quick: bool,
    only: Vec<String>,
    markdown: Option<PathBuf>,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        quick: false,
        only: Vec::new(),
        markdown: None,
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
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

/// The measurement windows: the full report, or `--quick` for a smoke run.
struct Windows {
    rounds: usize,
    micro: Duration,
    pipeline: Duration,
    emulator: Duration,
    export_events: usize,
    compile_rounds: usize,
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
            }
        } else {
            Windows {
                rounds: 5,
                micro: Duration::from_millis(300),
                pipeline: Duration::from_secs(3),
                emulator: Duration::from_secs(3),
                export_events: 4_000,
                compile_rounds: 3,
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == SERVE_FLAG) {
        return serve_emulator();
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
    let started = Instant::now();
    let header = header(&args);
    println!("{header}");
    let mut comparisons = Vec::new();
    let mut failed = false;
    for section in SECTIONS {
        if !options.only.is_empty() && !options.only.iter().any(|o| o == section) {
            continue;
        }
        eprintln!("running {section}…");
        match run(section, &Windows::new(options.quick)) {
            Ok(comparison) => {
                println!("{comparison}");
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
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs one comparison.
fn run(section: &str, w: &Windows) -> io::Result<Comparison> {
    match section {
        "serialize" => Ok(serialize::compare(w.rounds, w.micro)),
        "pipeline" => {
            let lab = child_lab()?;
            let spool = pipeline::spool_path(&default_dir(&workspace_root()))?;
            let runs = pipeline::measure(&lab, &spool, 4, w.pipeline)?;
            Ok(pipeline::comparison(&runs, lab.child_pid().is_some()))
        }
        "export" => {
            let lab = child_lab()?;
            let csv = export::export_csv(&lab, w.export_events)?;
            let samples = export::measure(&csv, w.rounds, w.micro)?;
            Ok(export::comparison(
                &samples,
                export::owned_fields_per_row(&csv),
            ))
        }
        "emulator" => emulator::compare(&child_lab()?, w.emulator, 4),
        "compile" => {
            let root = workspace_root();
            let krate = GeneratedCrate::create(default_dir(&root).join("crate"), root)?;
            let times = compile::measure(&krate, 100, 500, w.compile_rounds)?;
            Ok(compile::comparison(&times))
        }
        other => Err(io::Error::other(format!("unknown comparison `{other}`"))),
    }
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
    }
}
