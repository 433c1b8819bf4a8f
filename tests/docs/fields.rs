//! The numbers an operator scrapes are each listed in the guide: every field of the emulator's
//! `/_emulator/stats` in `docs/emulator.md`, every field of `TrackerMetrics` in
//! `docs/tracker.md` (a row of its table each, and no row for a field that is gone), so a new
//! counter cannot ship undocumented.

use std::path::Path;

fn guide(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_field_of_the_emulator_stats_is_in_its_guide() {
    let stats = serde_json::to_value(dfinery_emulator::Stats::default()).unwrap();
    let doc = guide("emulator.md");
    let fields = stats.as_object().unwrap();
    assert!(fields.len() >= 9, "{stats}");
    for (name, _) in fields {
        assert!(
            doc.contains(&format!("| `{name}` |")),
            "`{name}` of /_emulator/stats is not in the table of docs/emulator.md"
        );
    }
}

#[test]
fn every_field_of_the_tracker_metrics_is_in_its_guide() {
    // `Debug` names every field; the struct is `#[non_exhaustive]`, so not listed by hand.
    let debug = format!("{:?}", dfinery::TrackerMetrics::default());
    let doc = guide("tracker.md");
    let inner = debug
        .trim_start_matches("TrackerMetrics {")
        .trim_end_matches('}');
    let names: Vec<&str> = inner
        .split(',')
        .filter_map(|field| field.split(':').next())
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect();
    assert!(names.len() >= 14, "{debug}");
    // The table of "What the counters mean": each row's first cell names one field or more
    // (`spooled`, `spooled_bytes`), its second says what it counts.
    let section = doc
        .split("## What the counters mean")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/tracker.md has a section \"What the counters mean\"");
    let mut rows: Vec<(Vec<String>, String)> = Vec::new();
    for line in section.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let named = cells[0]
            .split(", ")
            .map(|name| name.trim_matches('`').to_owned())
            .collect();
        rows.push((named, cells.get(1).map_or(String::new(), |c| c.to_string())));
    }
    for name in &names {
        let row = rows
            .iter()
            .find(|(named, _)| named.iter().any(|n| n == name));
        let Some((_, meaning)) = row else {
            panic!(
                "`{name}` of TrackerMetrics has no row in the table of docs/tracker.md, \"What the counters mean\""
            );
        };
        assert!(
            meaning.len() > 10,
            "the row of `{name}` in docs/tracker.md does not say what it counts: {meaning:?}"
        );
    }
    // And no row names a field that is not there (renamed or removed).
    for (named, _) in &rows {
        for name in named {
            assert!(
                names.contains(&name.as_str()),
                "docs/tracker.md describes `{name}`, which TrackerMetrics does not have ({debug})"
            );
        }
    }
}
