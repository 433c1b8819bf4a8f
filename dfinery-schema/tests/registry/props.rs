//! Property tests: a value read from text is checked as its parsed `serde_json::Value` is, and
//! the wire parsers answer every text.

use dfinery_schema::protocol::{WireDate, WireDatetime, parse_count, parse_reset, parse_window};
use dfinery_schema::{DataType, Json, Object, PropertyDef};
use proptest::prelude::*;
use serde_json::Value;

/// JSON values of every shape, with strings that need escapes and ones near the wire formats.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{3})?Z)?"
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 20, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]{1,2}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// `dfinery send` checks a line's text, the emulator a parsed body: the same value gets the
    /// same answer either way, compact or pretty-printed.
    #[test]
    fn a_value_read_from_text_is_checked_as_its_parsed_value(
        value in json(),
        ty in prop::sample::select(DataType::ALL.to_vec()),
        pretty in any::<bool>(),
    ) {
        let mut property = PropertyDef::new("p", ty);
        if matches!(ty, DataType::String | DataType::StringArray) {
            property.max_len = Some(3);
        }
        let wrapped = serde_json::json!({ "p": value });
        let text = if pretty {
            serde_json::to_string_pretty(&wrapped).unwrap()
        } else {
            serde_json::to_string(&wrapped).unwrap()
        };
        let object = Object::parse(&text).unwrap().unwrap();
        let (read, parsed) = (object.get("p").unwrap(), Json::Value(&wrapped["p"]));
        let words = |value: Json<'_>| {
            value
                .check(&property)
                .map_err(|found| found.iter().map(ToString::to_string).collect::<Vec<_>>())
        };
        // The values are far below 8 KB, so the size rule (which measures the text as
        // written) never tells pretty-printed text apart.
        prop_assert_eq!(words(read), words(parsed), "{}", text);
        prop_assert_eq!(read.describe(), parsed.describe());
        prop_assert_eq!(read.as_str(), parsed.as_str());
        prop_assert_eq!(read.as_array().map(|a| a.len()), parsed.as_array().map(|a| a.len()));
        prop_assert_eq!(read.as_object().map(|o| o.len()), parsed.as_object().map(|o| o.len()));
    }

    /// Whatever text a header or a value holds, the parsers answer without a panic, and a
    /// Datetime read back from its written form is the same instant.
    #[test]
    fn the_wire_parsers_answer_every_text(text in ".{0,30}") {
        let _ = (parse_window(&text), parse_reset(&text), parse_count(&text));
        let _ = WireDate::parse(&text);
        if let Some(at) = WireDatetime::parse(&text) {
            prop_assert_eq!(WireDatetime::parse(&at.to_string()), Some(at));
        }
    }

    #[test]
    fn a_wire_datetime_reads_back_from_its_written_form(
        text in "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{3})?Z"
    ) {
        if let Some(at) = WireDatetime::parse(&text) {
            prop_assert_eq!(WireDatetime::parse(&at.to_string()), Some(at));
            prop_assert_eq!(at.unix_millis().rem_euclid(1000), i64::from(at.millisecond));
        }
    }
}
