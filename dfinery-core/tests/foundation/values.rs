//! `Value`: decoding from JSON by registered type, conversions, and the wire round trip.

use std::borrow::Cow;

use dfinery_core::{
    DataType, Date, Datetime, PropertySpec, PropertyValue, Rule, Scope, Value, ValueError,
};
use proptest::prelude::*;
use serde_json::json;

#[test]
fn documented_examples_of_each_type_decode() {
    let cases = [
        (DataType::String, json!("foo"), Value::String("foo".into())),
        (DataType::Long, json!(1), Value::Long(1)),
        (DataType::Double, json!(1.0), Value::Double(1.0)),
        (DataType::Boolean, json!(true), Value::Boolean(true)),
        (
            DataType::StringArray,
            json!(["foo", "bar"]),
            Value::StringArray(vec!["foo".into(), "bar".into()]),
        ),
        (
            DataType::LongArray,
            json!([0, 1]),
            Value::LongArray(vec![0, 1]),
        ),
        (
            DataType::DoubleArray,
            json!([0.0, 1.0]),
            Value::DoubleArray(vec![0.0, 1.0]),
        ),
        (
            DataType::Datetime,
            json!("2023-08-15T12:30:00Z"),
            Value::Datetime("2023-08-15T12:30:00.000Z".parse().unwrap()),
        ),
        (
            DataType::Date,
            json!("2023-08-15"),
            Value::Date(Date::from_ymd(2023, 8, 15).unwrap()),
        ),
    ];
    for (ty, json, expected) in cases {
        let value = Value::from_json(ty, &json).unwrap();
        assert_eq!(value, expected);
        assert_eq!(value.data_type(), ty);
    }
}

#[test]
fn a_double_accepts_integers_but_a_long_rejects_fractions() {
    assert_eq!(
        Value::from_json(DataType::Double, &json!(5000)).unwrap(),
        Value::Double(5000.0)
    );
    assert_eq!(
        Value::from_json(DataType::DoubleArray, &json!([1, 2.5])).unwrap(),
        Value::DoubleArray(vec![1.0, 2.5])
    );
    let err = Value::from_json(DataType::Long, &json!(1.0)).unwrap_err();
    assert_eq!(
        err,
        ValueError::NotAnInteger {
            found: "1.0".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "is 1.0; a Long needs a whole number such as `42`"
    );
    let err = Value::from_json(DataType::Long, &json!(u64::MAX)).unwrap_err();
    assert!(matches!(err, ValueError::LongOutOfRange { .. }), "{err:?}");
    // Integers past u64 or below i64::MIN, which serde_json reads as floats, were "not a
    // whole number".
    for (text, shown) in [
        (
            "100000000000000000000",
            "is 100000000000000000000, larger than the largest Long (9223372036854775807); store it as a String or a Double",
        ),
        (
            "-10000000000000000000",
            "is -10000000000000000000, smaller than the smallest Long (-9223372036854775808); store it as a String or a Double",
        ),
    ] {
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        let err = Value::from_json(DataType::Long, &json).unwrap_err();
        assert!(matches!(err, ValueError::LongOutOfRange { .. }), "{err:?}");
        assert_eq!(err.to_string(), shown);
    }
    let err = Value::from_json(DataType::Long, &json!(2.5e3)).unwrap_err();
    assert!(matches!(err, ValueError::NotAnInteger { .. }), "{err:?}");
}

#[test]
fn wrong_json_kinds_say_what_was_found_and_what_is_needed() {
    let err = Value::from_json(DataType::Long, &json!("12")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "is a JSON string; a Long property needs a JSON integer"
    );
    let err = Value::from_json(DataType::String, &json!(null)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "is `null`; a String property needs a JSON string"
    );
    let err = Value::from_json(DataType::LongArray, &json!([1, "2"])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "element 1 is a JSON string; a Long property needs a JSON integer"
    );
    let err = Value::from_json(DataType::Boolean, &json!("true")).unwrap_err();
    assert!(matches!(
        err,
        ValueError::WrongJsonType {
            expected: DataType::Boolean,
            ..
        }
    ));
    let err = Value::from_json(DataType::StringArray, &json!("a")).unwrap_err();
    assert!(matches!(err, ValueError::WrongJsonType { .. }));
}

#[test]
fn datetimes_decode_only_in_the_wire_forms() {
    let err =
        Value::from_json(DataType::Datetime, &json!("2023-08-15T21:30:00+09:00")).unwrap_err();
    assert!(matches!(err, ValueError::Datetime(_)), "{err:?}");
    assert!(Value::from_json(DataType::Date, &json!("2023-08-15T00:00:00Z")).is_err());
    assert!(Value::from_json(DataType::Datetime, &json!(1_692_102_600_000_i64)).is_err());
}

#[test]
fn conversions_into_values() {
    assert_eq!(Value::from("a"), Value::String("a".into()));
    assert_eq!(Value::from(Cow::Borrowed("a")), Value::String("a".into()));
    assert_eq!(
        Value::from(Box::<str>::from("a")),
        Value::String("a".into())
    );
    assert_eq!(Value::from(u32::MAX), Value::Long(i64::from(u32::MAX)));
    assert_eq!(Value::from(-5_i8), Value::Long(-5));
    assert_eq!(Value::from(true), Value::Boolean(true));
    assert_eq!(
        Value::from(vec!["a", "b"]),
        Value::StringArray(vec!["a".into(), "b".into()])
    );
    assert_eq!(Value::from(&[1_i64, 2][..]), Value::LongArray(vec![1, 2]));
    assert_eq!(
        Value::try_from(i64::MAX as u64).unwrap(),
        Value::Long(i64::MAX)
    );
    assert!(matches!(
        Value::try_from(i64::MAX as u64 + 1),
        Err(ValueError::LongOutOfRange { .. })
    ));
    assert!(Value::try_from(usize::MAX).is_err());
    assert_eq!(Value::try_from(0.1_f32).unwrap(), Value::Double(0.1));
    assert_eq!(
        Value::try_from(vec![1.5, 2.0]).unwrap(),
        Value::DoubleArray(vec![1.5, 2.0])
    );
    let dt = Datetime::now();
    assert_eq!(Value::from(dt).data_type(), DataType::Datetime);
}

/// Any finite double.
fn finite() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |v| v.is_finite())
}

/// Any non-finite double: NaN (with any payload) or an infinity.
fn non_finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        (1_u64..(1 << 52), any::<bool>()).prop_map(|(payload, negative)| {
            f64::from_bits(0x7ff0_0000_0000_0000 | payload | (u64::from(negative) << 63))
        }),
    ]
}

fn any_datetime() -> impl Strategy<Value = Datetime> {
    (Datetime::MIN.unix_millis()..=Datetime::MAX.unix_millis())
        .prop_map(|ms| Datetime::from_unix_millis(ms).unwrap())
}

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>().prop_map(Value::String),
        any::<i64>().prop_map(Value::Long),
        finite().prop_map(Value::Double),
        any::<bool>().prop_map(Value::Boolean),
        any_datetime().prop_map(Value::Datetime),
        any_datetime().prop_map(|dt| Value::Date(dt.date())),
        prop::collection::vec(any::<String>(), 0..=10).prop_map(Value::StringArray),
        prop::collection::vec(any::<i64>(), 0..=5).prop_map(Value::LongArray),
        prop::collection::vec(finite(), 0..=5).prop_map(Value::DoubleArray),
    ]
}

proptest! {
    #[test]
    fn values_round_trip_through_wire_json(value in any_value()) {
        let text = serde_json::to_string(&value).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(Value::from_json(value.data_type(), &json).unwrap(), value.clone());
        // The direct writer and serde write the same bytes.
        let spec = PropertySpec::new("p", value.data_type(), Scope::Event);
        let mut out = Vec::new();
        value.write_wire(&spec, &mut out).unwrap();
        prop_assert_eq!(String::from_utf8(out).unwrap(), text);
    }

    #[test]
    fn non_finite_doubles_are_always_rejected(bad in non_finite(), good in finite(), at in 0..5_usize) {
        let is_not_finite = matches!(Value::try_from(bad), Err(ValueError::NotFinite { .. }));
        prop_assert!(is_not_finite);
        prop_assert!(Value::try_from(bad as f32).is_err());
        prop_assert!(serde_json::to_string(&Value::Double(bad)).is_err());

        let spec = PropertySpec::new("p", DataType::Double, Scope::Event);
        let mut out = Vec::new();
        let rule = bad.write_wire(&spec, &mut out).unwrap_err();
        let is_not_finite = matches!(rule, Rule::NotFinite { .. });
        prop_assert!(is_not_finite);
        let is_not_finite = matches!(Value::Double(bad).write_wire(&spec, &mut out), Err(Rule::NotFinite { .. }));
        prop_assert!(is_not_finite);

        let mut array = vec![good; 5];
        array[at] = bad;
        let spec = PropertySpec::new("p", DataType::DoubleArray, Scope::Event);
        let rule = array.write_wire(&spec, &mut out).unwrap_err();
        prop_assert!(
            matches!(&rule, Rule::Element { index, rule } if *index == at && matches!(**rule, Rule::NotFinite { .. })),
            "{:?}", rule
        );
        prop_assert!(Value::try_from(array.clone()).is_err());
        prop_assert!(serde_json::to_string(&Value::DoubleArray(array)).is_err());
    }
}
