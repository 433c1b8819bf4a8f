//! Ratios meet or miss their goals, and the report prints every figure and ratio.

use dfinery_bench::report::{Comparison, Figure, Goal, Ratio, number};

#[test]
fn goals_are_met_or_missed() {
    assert_eq!(Goal::AtMost(1.1).is_met(1.1), Some(true));
    assert_eq!(Goal::AtMost(1.1).is_met(1.11), Some(false));
    assert_eq!(Goal::AtLeast(2.0).is_met(1.99), Some(false));
    assert_eq!(Goal::None.is_met(5.0), None);
    assert_eq!(Ratio::new("r", 0.5, Goal::AtLeast(0.7)).verdict(), "MISSED");
    assert_eq!(Ratio::new("r", 0.9, Goal::AtLeast(0.7)).verdict(), "met");
    assert_eq!(Ratio::new("r", 0.9, Goal::None).verdict(), "-");
}

#[test]
fn numbers_are_grouped_and_rounded_to_their_size() {
    assert_eq!(number(1_234_567.8), "1,234,568");
    assert_eq!(number(123.4), "123");
    assert_eq!(number(12.34), "12.3");
    assert_eq!(number(1.234), "1.23");
    assert_eq!(number(-1500.0), "-1,500");
    assert_eq!(number(f64::INFINITY), "inf");
}

#[test]
fn text_and_markdown_show_every_figure_and_ratio() {
    let c = Comparison {
        title: "9. a test".to_owned(),
        figures: vec![
            Figure::new("ours", 1500.0, "events/s").with_extra("12 requests"),
            Figure::new("theirs", 500.0, "events/s"),
        ],
        ratios: vec![Ratio::new("ours / theirs", 3.0, Goal::AtLeast(2.0))],
        notes: vec!["a note".to_owned()],
    };
    let text = c.to_string();
    for part in [
        "9. a test",
        "1,500 events/s",
        "[12 requests]",
        "500 events/s",
        "3.00x",
        ">= 2.00x",
        "met",
        "note: a note",
    ] {
        assert!(text.contains(part), "{part:?} in\n{text}");
    }
    let md = c.to_markdown();
    assert!(md.starts_with("### 9. a test"), "{md}");
    assert!(
        md.contains("| ours | 1,500 events/s | 12 requests |"),
        "{md}"
    );
    assert!(
        md.contains("| ours / theirs | 3.00x | >= 2.00x | met |"),
        "{md}"
    );
}
