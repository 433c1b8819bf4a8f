//! The numbers an operator scrapes are each listed in the guide: every field of the emulator's
//! `/_emulator/stats` in `docs/emulator.md`, every field of `TrackerMetrics` in
//! `docs/tracker.md`, so a new counter cannot ship undocumented.

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
    for name in names {
        assert!(
            doc.contains(&format!("`{name}`")),
            "`{name}` of TrackerMetrics is not in docs/tracker.md"
        );
    }
}
