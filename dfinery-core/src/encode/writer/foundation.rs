//! `ObjectWriter` and `ItemsWriter`: valid JSON, skipped absent values, every violation with
//! its path.

use dfinery_core::__private::TrustedJson;
use dfinery_core::{
    DataType, Event, ItemsWriter, ObjectWriter, Patch, PropertySpec, PropertyValue, Rule, Scope,
    Value,
};

use super::ObjectPath;

use crate::support::{LineItem, documented_purchase};

static NAME: PropertySpec = PropertySpec {
    max_len: Some(3),
    ..PropertySpec::new("df_name", DataType::String, Scope::User)
};
static POINTS: PropertySpec = PropertySpec::new("points", DataType::Long, Scope::User);
static SCORE: PropertySpec = PropertySpec::new("score", DataType::Double, Scope::User);
static TAGS: PropertySpec = PropertySpec::new("tags", DataType::StringArray, Scope::User);
static REQUIRED: PropertySpec = PropertySpec {
    required: true,
    ..PropertySpec::new("must", DataType::Long, Scope::Event)
};

#[test]
fn writes_properties_in_order_and_skips_absent_ones() {
    let (mut out, mut violations) = (Vec::new(), Vec::new());
    let mut w = ObjectWriter::new(&mut out, &mut violations, ObjectPath::UserProperties);
    w.property(&NAME, "Kim");
    w.property(&POINTS, &None::<i64>);
    w.property(&SCORE, &Some(1.5));
    w.property(&TAGS, &["a\"b"]);
    assert_eq!(w.len(), 3);
    assert_eq!(w.finish(), 3);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"df_name":"Kim","score":1.5,"tags":["a\"b"]}"#
    );
    assert!(violations.is_empty());
}

#[test]
fn collects_every_violation_and_keeps_the_json_valid() {
    let (mut out, mut violations) = (Vec::new(), Vec::new());
    let mut w = ObjectWriter::new(&mut out, &mut violations, ObjectPath::UserProperties);
    w.property(&NAME, "Kimberly");
    w.property(&POINTS, &7_i64);
    w.property(&SCORE, &f64::INFINITY);
    w.property(&TAGS, &vec!["t"; 3_000]);
    assert_eq!(w.finish(), 1);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text, r#"{"points":7}"#);
    serde_json::from_str::<serde_json::Value>(&text).unwrap();
    let messages: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "`user_properties.df_name`: is 8 characters long; at most 3 are allowed",
            "`user_properties.score`: must be a finite number (found inf)",
            "`user_properties.tags`: is 12001 bytes of JSON; at most 8192 are allowed",
        ]
    );
    assert_eq!(violations[0].property, "df_name");
}

#[test]
fn required_properties_that_are_absent_are_violations() {
    let (mut out, mut violations) = (Vec::new(), Vec::new());
    let mut w = ObjectWriter::new(&mut out, &mut violations, ObjectPath::EventProperties);
    w.property(&REQUIRED, &None::<i64>);
    w.property(&REQUIRED, &Patch::<i64>::Keep);
    w.finish();
    assert_eq!(out, b"{}");
    assert_eq!(violations.len(), 2);
    assert!(violations.iter().all(|v| v.rule == Rule::Missing));
    assert_eq!(
        violations[0].to_string(),
        "`event_properties.must`: is required but missing"
    );
}

#[test]
fn dynamic_names_are_escaped_and_reported() {
    let (mut out, mut violations) = (Vec::new(), Vec::new());
    let mut w = ObjectWriter::new(&mut out, &mut violations, ObjectPath::Item(4));
    let spec = PropertySpec::new("", DataType::Long, Scope::Item);
    w.property_named("we\"ird", &spec, &Value::Long(1));
    w.property_named("bad", &spec, &Value::Boolean(true));
    w.finish();
    assert_eq!(String::from_utf8(out).unwrap(), r#"{"we\"ird":1}"#);
    assert_eq!(violations[0].path, "event_items[4].bad");
    assert_eq!(violations[0].property, "bad");
}

#[test]
fn item_violations_carry_the_item_index() {
    let mut purchase = documented_purchase();
    for i in 0..3 {
        purchase.items.push(LineItem {
            id: format!("SKU-{i}"),
            name: "n".into(),
            price: if i == 1 { f64::NAN } else { 1.0 },
            quantity: 1,
            discount: 0.0,
            category1: None,
            category2: None,
        });
    }
    purchase.total_purchase_amount = f64::NAN;
    let error = purchase.to_record().unwrap_err();
    let paths: Vec<&str> = error.violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "event_properties.df_total_purchase_amount",
            "event_items[2].df_price"
        ]
    );
    assert_eq!(
        error.to_string(),
        "event `df_purchase` is invalid: `event_properties.df_total_purchase_amount`: must be a finite number (found NaN); `event_items[2].df_price`: must be a finite number (found NaN)"
    );
}

#[test]
fn items_writer_writes_an_array_of_objects() {
    let (mut out, mut violations) = (Vec::new(), Vec::new());
    let mut w = ItemsWriter::new(&mut out, &mut violations);
    assert!(w.is_empty());
    w.object(|o| o.property(&POINTS, &1_u8));
    w.object(|_| {});
    assert_eq!(w.len(), 2);
    assert_eq!(w.finish(), 2);
    assert_eq!(out, br#"[{"points":1},{}]"#);
}

/// A broken third-party impl that writes text that is not JSON.
struct Broken;

impl PropertyValue for Broken {
    fn write_wire(&self, _: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        out.extend_from_slice(b"not json");
        Ok(())
    }

    fn to_value(&self) -> Option<Value> {
        None
    }
}

struct UsesBroken;

impl Event for UsesBroken {
    fn description() -> &'static dfinery_core::EventDescription {
        &crate::support::LOGIN
    }

    fn event_name(&self) -> &'static str {
        "broken"
    }

    fn write_properties(&self, w: &mut ObjectWriter<'_>) {
        w.property(&POINTS, &Broken);
    }
}

#[test]
fn malformed_json_from_a_broken_impl_is_a_violation_not_a_panic() {
    let error = UsesBroken.to_record().unwrap_err();
    assert_eq!(error.violations.len(), 1);
    assert_eq!(error.violations[0].path, "event_properties");
    assert!(matches!(
        error.violations[0].rule,
        Rule::MalformedJson { .. }
    ));
}

/// A third-party impl that promises well-formed JSON (and, for the test, breaks the promise).
struct Promised(&'static str);

impl PropertyValue for Promised {
    fn write_wire(&self, _: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        out.extend_from_slice(self.0.as_bytes());
        Ok(())
    }

    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
        None
    }
}

/// An event whose properties are `POINTS` and `SCORE` with the given values and whose one item
/// has `POINTS` with `item`.
struct Mixed<A, B, C>(A, B, C);

impl<A: PropertyValue, B: PropertyValue, C: PropertyValue> Event for Mixed<A, B, C> {
    fn description() -> &'static dfinery_core::EventDescription {
        &crate::support::LOGIN
    }

    fn event_name(&self) -> &'static str {
        "mixed"
    }

    fn write_properties(&self, w: &mut ObjectWriter<'_>) {
        w.property(&POINTS, &self.0);
        w.property(&SCORE, &self.1);
    }

    fn write_items(&self, w: &mut ItemsWriter<'_>) {
        w.object(|o| o.property(&POINTS, &self.2));
    }
}

#[test]
fn json_promised_valid_is_taken_as_written_without_a_second_parse() {
    // The bytes are not JSON; that they come back unchanged shows nothing parsed them.
    let record = Mixed(Promised("not json"), 1.5, 2_i64).to_record().unwrap();
    assert_eq!(
        record.event_properties().unwrap().get(),
        r#"{"points":not json,"score":1.5}"#
    );
    assert_eq!(record.event_items().unwrap().get(), r#"[{"points":2}]"#);
}

#[test]
fn one_unpromised_value_gets_its_object_parsed_in_properties_or_items() {
    let error = Mixed(1_i64, Promised("1.5"), Broken)
        .to_record()
        .unwrap_err();
    assert_eq!(error.violations.len(), 1);
    assert_eq!(error.violations[0].path, "event_items");
    assert!(matches!(
        error.violations[0].rule,
        Rule::MalformedJson { .. }
    ));
    // Well-formed output of an unpromised impl passes the parse.
    struct Quiet;
    impl PropertyValue for Quiet {
        fn write_wire(&self, _: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
            out.extend_from_slice(b"[1, 2]");
            Ok(())
        }
        fn to_value(&self) -> Option<Value> {
            None
        }
    }
    let record = Mixed(Quiet, None::<f64>, 3_u8).to_record().unwrap();
    assert_eq!(
        record.event_properties().unwrap().get(),
        r#"{"points":[1, 2]}"#
    );
}

#[test]
fn every_built_in_value_promises_valid_json() {
    use std::borrow::Cow;
    use std::rc::Rc;
    use std::sync::Arc;

    use dfinery_core::{Datetime, Patch};

    use crate::support::Gender;

    let now = Datetime::now();
    let values: Vec<(&str, Box<dyn PropertyValue>)> = vec![
        ("str", Box::new("a")),
        ("String", Box::new(String::from("a"))),
        ("i8", Box::new(1_i8)),
        ("u32", Box::new(1_u32)),
        ("i64", Box::new(1_i64)),
        ("f64", Box::new(1.5_f64)),
        ("f32", Box::new(1.5_f32)),
        ("bool", Box::new(true)),
        ("Datetime", Box::new(now)),
        ("Date", Box::new(now.date())),
        ("OffsetDateTime", Box::new(time::OffsetDateTime::from(now))),
        ("SystemTime", Box::new(std::time::SystemTime::now())),
        ("Value", Box::new(Value::Long(1))),
        ("Vec<String>", Box::new(vec![String::from("a")])),
        ("[i64; 2]", Box::new([1_i64, 2])),
        ("enum", Box::new(Gender::Female)),
        ("Some", Box::new(Some(1_i64))),
        ("None", Box::new(None::<i64>)),
        ("Patch::Set", Box::new(Patch::Set(1_i64))),
        ("Patch::Keep", Box::new(Patch::<i64>::Keep)),
        ("Patch::Clear", Box::new(Patch::<i64>::Clear)),
        ("&T", Box::new(&1_i64)),
        ("Box<T>", Box::new(Box::new(1_i64))),
        ("Arc<T>", Box::new(Arc::new(1_i64))),
        ("Rc<T>", Box::new(Rc::new(1_i64))),
        ("Cow<str>", Box::new(Cow::Borrowed("a"))),
    ];
    for (name, value) in &values {
        assert!(value.writes_valid_json(TrustedJson), "{name}");
    }
    // Forwarding keeps a third party's answer.
    assert!(!Some(Broken).writes_valid_json(TrustedJson));
    assert!(!Patch::Set(Broken).writes_valid_json(TrustedJson));
    assert!(!Box::new(Broken).writes_valid_json(TrustedJson));
    assert!(Some(Promised("1")).writes_valid_json(TrustedJson));
}
