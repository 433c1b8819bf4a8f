//! Each run-time rule, at its boundary, with its message.

use dfinery_core::limits::{MAX_ITEMS_PER_REQUEST, MAX_VALUE_BYTES};
use dfinery_core::{
    DataType, Event, EventRecord, ItemBuilder, Patch, PropertySpec, PropertyValue, Rule, Scope,
    Value,
};

use crate::support::{LineItem, documented_purchase};

const fn spec(ty: DataType) -> PropertySpec {
    PropertySpec::new("p", ty, Scope::Event)
}

/// Writes `value` as `spec` and returns the JSON or the rule it breaks.
fn write<V: PropertyValue + ?Sized>(spec: &PropertySpec, value: &V) -> Result<String, Rule> {
    let mut out = Vec::new();
    value.write_wire(spec, &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn max_len_counts_characters_not_bytes() {
    let s = PropertySpec {
        max_len: Some(4),
        ..spec(DataType::String)
    };
    assert_eq!(write(&s, "abcd").unwrap(), r#""abcd""#);
    assert_eq!(write(&s, "가나다라").unwrap(), r#""가나다라""#);
    let rule = write(&s, "가나다라마").unwrap_err();
    assert_eq!(rule, Rule::TooLong { chars: 5, max: 4 });
    assert_eq!(
        rule.to_string(),
        "is 5 characters long; at most 4 are allowed"
    );
}

#[test]
fn max_len_applies_to_string_array_elements() {
    let s = PropertySpec {
        max_len: Some(3),
        ..spec(DataType::StringArray)
    };
    assert_eq!(write(&s, &["abc", "de"]).unwrap(), r#"["abc","de"]"#);
    let rule = write(&s, &vec!["abc", "defg"]).unwrap_err();
    assert_eq!(
        rule,
        Rule::Element {
            index: 1,
            rule: Box::new(Rule::TooLong { chars: 4, max: 3 })
        }
    );
    assert_eq!(
        rule.to_string(),
        "element 1 is 4 characters long; at most 3 are allowed"
    );
}

#[test]
fn enum_values_are_enforced_when_listed() {
    let s = PropertySpec {
        enum_values: &["Male", "Female", "NonBinary", "Other"],
        ..spec(DataType::String)
    };
    assert_eq!(write(&s, "Female").unwrap(), r#""Female""#);
    let rule = write(&s, "female").unwrap_err();
    assert_eq!(
        rule.to_string(),
        "is `female`, which is not one of `Male`, `Female`, `NonBinary`, `Other`"
    );
    // A megabyte of text, or one with a line break, is quoted by its start, escaped.
    let rule = write(&s, &format!("Male\n{}", "x".repeat(1 << 20))).unwrap_err();
    assert_eq!(
        rule.to_string(),
        "is `Male\\nxxxxxxxxxxxxxxx…`, which is not one of `Male`, `Female`, `NonBinary`, `Other`"
    );
    assert!(write(&spec(DataType::String), "anything").is_ok());
    let array = PropertySpec {
        enum_values: &["a", "b"],
        ..spec(DataType::StringArray)
    };
    assert!(matches!(
        write(&array, &["a", "c"]),
        Err(Rule::Element { index: 1, .. })
    ));
}

#[test]
fn array_lengths_are_not_limited_by_dfinery_only_by_size() {
    let strings: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    let s = spec(DataType::StringArray);
    assert!(write(&s, &strings[..11]).is_ok());
    assert!(write(&s, &strings).is_ok());
    let longs: Vec<i64> = (0..500).collect();
    assert!(write(&spec(DataType::LongArray), &longs).is_ok());
    let doubles = [1.5_f64; 6];
    assert!(write(&spec(DataType::DoubleArray), &doubles).is_ok());
    // 9 KB of strings is over the 8 KB a value may hold.
    let big: Vec<String> = (0..9).map(|_| "x".repeat(1_024)).collect();
    assert!(matches!(
        through_writer(&s, &Value::StringArray(big)),
        Err(Rule::TooLarge {
            max: MAX_VALUE_BYTES,
            ..
        })
    ));
}

#[test]
fn max_items_is_the_only_element_count_rule() {
    let tight = PropertySpec {
        max_items: Some(2),
        ..spec(DataType::StringArray)
    };
    let rule = write(&tight, &["a", "b", "c"]).unwrap_err();
    assert_eq!(rule, Rule::TooManyElements { len: 3, max: 2 });
    assert_eq!(
        rule.to_string(),
        "has 3 elements; at most 2 are allowed (`max_items`)"
    );
    let loose = PropertySpec {
        max_items: Some(50),
        ..spec(DataType::LongArray)
    };
    let fifty: Vec<i64> = (0..50).collect();
    assert!(write(&loose, &fifty).is_ok());
    assert_eq!(
        write(&loose, &(0..51).collect::<Vec<i64>>()).unwrap_err(),
        Rule::TooManyElements { len: 51, max: 50 }
    );
}

/// Writes `value` as property `p` through an object writer; `Ok(json)` or the rule broken.
fn through_writer(spec: &PropertySpec, value: &Value) -> Result<String, Rule> {
    let record = EventRecord::builder("e");
    let record = match value {
        Value::String(s) => record.property(spec.name, s.as_str()),
        other => record.property(spec.name, other.clone()),
    };
    match record.build() {
        Ok(record) => Ok(record.event_properties().unwrap().get().to_owned()),
        Err(mut error) => Err(error.violations.remove(0).rule),
    }
}

#[test]
fn values_are_limited_to_8_kb_of_json() {
    let s = spec(DataType::String);
    // 8190 characters plus two quotes is exactly the limit.
    let fits = "a".repeat(MAX_VALUE_BYTES - 2);
    assert!(through_writer(&s, &Value::String(fits)).is_ok());
    let over = "a".repeat(MAX_VALUE_BYTES - 1);
    let rule = through_writer(&s, &Value::String(over)).unwrap_err();
    assert_eq!(
        rule,
        Rule::TooLarge {
            bytes: 8193,
            max: 8192
        }
    );
    assert_eq!(
        rule.to_string(),
        "is 8193 bytes of JSON; at most 8192 are allowed"
    );
    // Escapes count as they are written: 4095 quotes become 8190 bytes.
    let escaped = "\"".repeat(4095);
    assert!(through_writer(&s, &Value::String(escaped)).is_ok());
    let escaped = "\"".repeat(4096);
    assert!(matches!(
        through_writer(&s, &Value::String(escaped)),
        Err(Rule::TooLarge { .. })
    ));
    // Arrays count their brackets, quotes and commas.
    let element = "b".repeat(816);
    let array = Value::StringArray(vec![element.clone(); 10]);
    assert!(
        through_writer(&s, &array).is_ok(),
        "10 × 818 + 9 + 2 = 8191 bytes"
    );
    let array = Value::StringArray(vec![format!("{element}bb"); 10]);
    assert!(matches!(
        through_writer(&s, &array),
        Err(Rule::TooLarge { bytes: 8211, .. })
    ));
}

fn item(i: usize) -> LineItem {
    LineItem {
        id: format!("SKU-{i}"),
        name: "Cracker".into(),
        price: 1.0,
        quantity: 1,
        discount: 0.0,
        category1: None,
        category2: None,
    }
}

#[test]
fn an_event_holds_at_most_100_items() {
    let mut purchase = documented_purchase();
    purchase.items = (0..MAX_ITEMS_PER_REQUEST).map(item).collect();
    assert!(purchase.to_record().is_ok());
    purchase.items.push(item(100));
    let error = purchase.to_record().unwrap_err();
    assert_eq!(error.violations.len(), 1);
    assert_eq!(error.violations[0].path, "event_items");
    assert_eq!(
        error.violations[0].rule,
        Rule::TooManyItems { len: 101, max: 100 }
    );
    assert_eq!(
        error.to_string(),
        "event `df_purchase` is invalid: `event_items`: has 101 items; DFINERY takes at most 100 items in one request, all events together, so split the items over several events"
    );
    let dynamic = (0..=MAX_ITEMS_PER_REQUEST).fold(EventRecord::builder("e"), |b, i| {
        b.item(ItemBuilder::new().property("n", i as i64))
    });
    assert!(matches!(
        &dynamic.build().unwrap_err().violations[0].rule,
        Rule::TooManyItems { len: 101, .. }
    ));
}

#[test]
fn required_items_must_not_be_empty() {
    let mut purchase = documented_purchase();
    purchase.items.clear();
    let error = purchase.to_record().unwrap_err();
    assert_eq!(error.violations[0].rule, Rule::NoItems);
    assert_eq!(
        error.violations[0].to_string(),
        "`event_items`: is empty; this event needs at least one item"
    );
}

#[test]
fn wrong_types_are_caught_at_run_time() {
    let rule = write(&spec(DataType::String), &Value::Long(1)).unwrap_err();
    assert_eq!(
        rule,
        Rule::WrongType {
            expected: DataType::String,
            found: DataType::Long
        }
    );
    assert_eq!(
        rule.to_string(),
        "is of type Long; the property is registered as String"
    );
    assert!(matches!(
        write(&spec(DataType::Double), &5_i64),
        Err(Rule::WrongType { .. })
    ));
    assert!(matches!(
        write(&spec(DataType::StringArray), &[1_i64]),
        Err(Rule::WrongType {
            expected: DataType::StringArray,
            found: DataType::LongArray
        })
    ));
}

#[test]
fn null_only_clears_user_properties() {
    let clear = Patch::<String>::Clear;
    assert_eq!(
        write(
            &PropertySpec::new("p", DataType::String, Scope::User),
            &clear
        )
        .unwrap(),
        "null"
    );
    let rule = write(&spec(DataType::String), &clear).unwrap_err();
    assert_eq!(rule, Rule::NullOutsideUserProperties);
    let item_spec = PropertySpec::new("p", DataType::Long, Scope::Item);
    assert_eq!(
        write(&item_spec, &Patch::<i64>::Clear),
        Err(Rule::NullOutsideUserProperties)
    );
}

#[test]
fn foreign_times_outside_the_four_digit_years_are_invalid() {
    let year_10000 = time::OffsetDateTime::new_utc(
        time::Date::from_calendar_date(9999, time::Month::December, 31).unwrap(),
        time::Time::from_hms(23, 59, 59).unwrap(),
    )
    .to_offset(time::UtcOffset::from_hms(-1, 0, 0).unwrap());
    // 9999-12-31T23:59:59Z seen from UTC-1 is fine; one more hour of offset is not.
    assert!(write(&spec(DataType::Datetime), &year_10000).is_ok());
    let minus_one = time::OffsetDateTime::new_utc(
        time::Date::from_calendar_date(-1, time::Month::June, 1).unwrap(),
        time::Time::MIDNIGHT,
    );
    let rule = write(&spec(DataType::Datetime), &minus_one).unwrap_err();
    assert!(matches!(rule, Rule::Invalid(_)), "{rule:?}");
    assert!(
        rule.to_string()
            .ends_with("is outside the years 0000 to 9999 that DFINERY can store")
    );
    assert_eq!(minus_one.to_value(), None);
}
