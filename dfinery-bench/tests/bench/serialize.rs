//! Comparison 1 compares like with like: the three paths write the same event object.

use dfinery::Event;
use dfinery_bench::fixtures::{ITEMS_PER_PURCHASE, fresh_purchase, purchase, serde_purchase};
use dfinery_bench::serialize::{json_purchase, json_value, serde, serde_into, typed, typed_into};
use serde_json::Value;

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("valid JSON")
}

#[test]
fn the_three_paths_write_the_same_event_object() {
    let purchase = purchase();
    let typed = parse(&typed(&purchase).expect("a valid purchase"));
    let serde = parse(&serde(&serde_purchase(&purchase)));
    let json = parse(&json_value(&purchase));
    assert_eq!(typed, serde);
    assert_eq!(typed, json);
    // The goal's pair writes the same bytes into a buffer kept across events.
    let (mut ours, mut theirs) = (b"left over".to_vec(), b"left over".to_vec());
    for _ in 0..2 {
        typed_into(&purchase, &mut ours).expect("a valid purchase");
        serde_into(&serde_purchase(&purchase), &mut theirs);
        assert_eq!(parse(&ours), typed);
        assert_eq!(parse(&theirs), typed);
    }
    assert_eq!(typed, json_purchase(&purchase));
    assert_eq!(typed["event_name"], "df_purchase");
    assert_eq!(typed["event_datetime"], "2024-06-24T06:01:48.501Z");
    assert_eq!(
        typed["event_items"].as_array().map(Vec::len),
        Some(ITEMS_PER_PURCHASE)
    );
    assert_eq!(
        typed["event_properties"]["df_total_purchase_amount"],
        49500.0
    );
}

#[test]
fn the_typed_path_checks_what_it_writes() {
    let mut no_items = purchase();
    no_items.items.clear();
    let error = typed(&no_items).expect_err("df_purchase needs items");
    assert!(error.to_string().contains("event_items"), "{error}");
    let mut nan_price = purchase();
    nan_price.items[2].price = f64::NAN;
    let error = typed(&nan_price).expect_err("a price must be finite");
    assert!(
        error.to_string().contains("event_items[2].df_price"),
        "{error}"
    );
    let mut nan = purchase();
    nan.df_discount = f64::INFINITY;
    let error = typed(&nan).expect_err("a double must be finite");
    assert!(error.to_string().contains("df_discount"), "{error}");
}

#[test]
fn a_fresh_purchase_gets_a_new_id_per_record() {
    let purchase = fresh_purchase();
    let a = purchase.to_record().expect("valid");
    let b = purchase.to_record().expect("valid");
    assert_ne!(a.event_log_id(), b.event_log_id());
    assert_eq!(
        a.event_items().map(|raw| raw.get()),
        b.event_items().map(|raw| raw.get())
    );
}
