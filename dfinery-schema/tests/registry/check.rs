//! Type compatibility (`DataType::check`) and every value rule (`PropertyDef::check`).

use dfinery_schema::DataType::{self, *};
use dfinery_schema::limits::{
    MAX_NUMBER_ARRAY_USER_PROPERTIES, MAX_STRING_ARRAY_USER_PROPERTIES, MAX_VALUE_BYTES,
};
use dfinery_schema::{JsonView as J, PropertyDef, RuleViolation, catalog};

/// One sample value per JSON shape, named for the matrix below.
fn samples() -> Vec<(&'static str, J<'static>)> {
    vec![
        ("null", J::Null),
        ("bool", J::Bool(true)),
        ("int", J::Integer(-5)),
        ("bigint", J::BigInteger),
        ("fraction", J::Fraction(1.5)),
        ("whole fraction", J::Fraction(1.0)),
        ("string", J::String("foo")),
        ("datetime string", J::String("2024-06-24T06:01:48.501Z")),
        ("datetime string no ms", J::String("2024-06-24T06:01:48Z")),
        ("date string", J::String("2024-06-24")),
        ("empty array", J::Array(vec![])),
        (
            "string array",
            J::Array(vec![J::String("a"), J::String("b")]),
        ),
        ("int array", J::Array(vec![J::Integer(1), J::Integer(2)])),
        (
            "fraction array",
            J::Array(vec![J::Fraction(0.5), J::Integer(2)]),
        ),
        ("mixed array", J::Array(vec![J::String("a"), J::Integer(2)])),
        ("bool array", J::Array(vec![J::Bool(true)])),
        ("object", J::Object),
    ]
}

/// Which samples each type accepts; everything else must be rejected.
fn accepted(ty: DataType) -> &'static [&'static str] {
    match ty {
        String => &[
            "string",
            "datetime string",
            "datetime string no ms",
            "date string",
        ],
        Long => &["int"],
        Double => &["int", "bigint", "fraction", "whole fraction"],
        Boolean => &["bool"],
        Datetime => &["datetime string", "datetime string no ms"],
        Date => &["date string"],
        StringArray => &["empty array", "string array"],
        LongArray => &["empty array", "int array"],
        DoubleArray => &["empty array", "int array", "fraction array"],
    }
}

#[test]
fn the_type_matrix() {
    for ty in DataType::ALL {
        for (name, value) in samples() {
            let expected = accepted(ty).contains(&name);
            assert_eq!(ty.check(&value).is_ok(), expected, "{ty} <- {name}");
        }
    }
}

#[test]
fn mismatches_say_what_was_expected_and_found() {
    let msg = |ty: DataType, v: J<'_>| ty.check(&v).unwrap_err().to_string();
    assert_eq!(
        msg(Double, J::String("1")),
        "expected a Double (JSON number), found a string"
    );
    assert_eq!(
        msg(Long, J::Fraction(1.0)),
        "expected a Long (JSON integer), found a fractional number"
    );
    assert_eq!(
        msg(Long, J::BigInteger),
        "expected a Long (JSON integer), found an integer outside the 64-bit range"
    );
    // `99999999999999999999999` (past `u64`) is read as a float: not a fraction to the user.
    assert_eq!(
        msg(Long, J::Fraction(99_999_999_999_999_999_999_999.0)),
        "expected a Long (JSON integer), found a number outside the 64-bit integer range"
    );
    assert_eq!(
        msg(Long, J::Fraction(-1e19)),
        "expected a Long (JSON integer), found a number outside the 64-bit integer range"
    );
    assert_eq!(
        msg(Long, J::Fraction(9e18)),
        "expected a Long (JSON integer), found a fractional number"
    );
    assert_eq!(
        msg(String, J::Null),
        "expected a String (JSON string), found null"
    );
    assert_eq!(
        msg(Boolean, J::String("true")),
        "expected a Boolean (`true` or `false`), found a string"
    );
    assert_eq!(
        msg(Datetime, J::String("2024-06-24 06:01:48")),
        "expected a Datetime (string `YYYY-MM-DDTHH:MM:SS.mmmZ`), found `2024-06-24 06:01:48`, which is not in that format"
    );
    assert_eq!(
        msg(Date, J::Integer(20240624)),
        "expected a Date (string `YYYY-MM-DD`), found an integer"
    );
    assert_eq!(
        msg(
            LongArray,
            J::Array(vec![J::Integer(1), J::Integer(2), J::String("3")])
        ),
        "expected an Array of Long (JSON array of integers), found a string at index 2"
    );
    assert_eq!(
        msg(StringArray, J::String("a")),
        "expected an Array of String (JSON array of strings), found a string"
    );
    assert_eq!(
        msg(Double, J::Fraction(f64::NAN)),
        "expected a Double (JSON number), found a non-finite number"
    );
    let err = Long.check(&J::Object).unwrap_err();
    assert_eq!((err.expected, err.found.as_str()), (Long, "an object"));
}

#[test]
fn long_bad_strings_are_cut_in_messages() {
    let long = "x".repeat(100);
    let msg = Date.check(&J::String(&long)).unwrap_err().to_string();
    assert!(msg.contains(&format!("`{}…`", "x".repeat(40))), "{msg}");
}

#[test]
fn documented_limits() {
    assert_eq!(
        (
            MAX_STRING_ARRAY_USER_PROPERTIES,
            MAX_NUMBER_ARRAY_USER_PROPERTIES,
            MAX_VALUE_BYTES
        ),
        (10, 5, 8192)
    );
}

fn rules(def: &PropertyDef, value: &J<'_>) -> Vec<&'static str> {
    match def.check(value) {
        Ok(()) => Vec::new(),
        Err(violations) => violations.iter().map(RuleViolation::rule).collect(),
    }
}

fn strings(n: usize) -> J<'static> {
    J::Array(vec![J::String("s"); n])
}

#[test]
fn a_type_mismatch_is_reported_alone() {
    let def = PropertyDef {
        enum_values: Some(vec!["a".into()]),
        max_len: Some(1),
        ..PropertyDef::new("p", String)
    };
    let err = def.check(&J::Integer(1)).unwrap_err();
    assert_eq!(err.len(), 1);
    assert!(matches!(&err[0], RuleViolation::Type(m) if m.expected == String));
    assert_eq!(rules(&def, &J::Null), ["type"]);
}

#[test]
fn enum_values_are_enforced_with_a_suggestion() {
    let gender = catalog::standard_user_property("df_gender").unwrap();
    for ok in ["Male", "Female", "NonBinary", "Other"] {
        assert_eq!(gender.check(&J::String(ok)), Ok(()));
    }
    let err = gender.check(&J::String("female")).unwrap_err();
    assert_eq!(
        err[0].to_string(),
        "value `female` is not allowed; expected one of `Male`, `Female`, `NonBinary`, `Other`; did you mean `Female`?"
    );
    let err = gender.check(&J::String("x")).unwrap_err();
    assert!(!err[0].to_string().contains("did you mean"));
}

#[test]
fn a_long_value_not_in_the_enum_is_cut_in_its_message() {
    // The message quoted the value whole: `dfinery send` printed a 100 KB cell (a JSON blob in
    // the `df_gender` column, say) in full for each line, where a type mismatch shows its first
    // 40 characters.
    let gender = catalog::standard_user_property("df_gender").unwrap();
    let long = "x".repeat(100_000);
    let err = gender.check(&J::String(&long)).unwrap_err();
    let message = err[0].to_string();
    assert_eq!(
        message,
        format!(
            "value `{}…` is not allowed; expected one of `Male`, `Female`, `NonBinary`, `Other`",
            "x".repeat(40)
        )
    );
    // Control characters stay escaped, as in a short value.
    let err = gender.check(&J::String("Ma\nle")).unwrap_err();
    assert!(
        err[0]
            .to_string()
            .starts_with("value `Ma\\nle` is not allowed"),
        "{}",
        err[0]
    );
}

#[test]
fn an_enum_of_many_values_is_listed_by_its_first_ones_and_a_count() {
    // Every value not in a registry's enum of 5,000 store codes listed all 5,000 (65 KB), for
    // each such value of each line `dfinery send` checked.
    let codes: Vec<std::string::String> = (0..5_000).map(|i| format!("store{i:04}")).collect();
    let store = PropertyDef {
        enum_values: Some(codes),
        ..PropertyDef::new("store", String)
    };
    let err = store.check(&J::String("warehouse")).unwrap_err();
    let message = err[0].to_string();
    let first: Vec<std::string::String> = (0..20).map(|i| format!("`store{i:04}`")).collect();
    assert_eq!(
        message,
        format!(
            "value `warehouse` is not allowed; expected one of {}, … (5000 values)",
            first.join(", ")
        )
    );
    // The suggestion is still searched among them all.
    let err = store.check(&J::String("store4999x")).unwrap_err();
    assert!(
        err[0].to_string().ends_with("; did you mean `store4999`?"),
        "{}",
        err[0]
    );
}

#[test]
fn max_len_counts_characters_in_strings_and_array_elements() {
    let code = PropertyDef {
        max_len: Some(3),
        ..PropertyDef::new("code", String)
    };
    assert_eq!(rules(&code, &J::String("abc")), Vec::<&str>::new());
    assert_eq!(rules(&code, &J::String("héé")), Vec::<&str>::new());
    assert_eq!(rules(&code, &J::String("abcd")), ["max_len"]);
    assert_eq!(
        code.check(&J::String("abcd")).unwrap_err()[0].to_string(),
        "value is 4 characters long; `max_len` is 3"
    );
    let tags = PropertyDef {
        max_len: Some(2),
        ..PropertyDef::new("tags", StringArray)
    };
    let err = tags
        .check(&J::Array(vec![
            J::String("ok"),
            J::String("long"),
            J::String("xyz"),
        ]))
        .unwrap_err();
    assert_eq!(err.len(), 2);
    assert_eq!(
        err[0].to_string(),
        "element 1 is 4 characters long; `max_len` is 2"
    );
    assert_eq!(
        err[1].to_string(),
        "element 2 is 3 characters long; `max_len` is 2"
    );
}

#[test]
fn the_number_of_array_values_is_not_limited_only_their_size() {
    let tags = PropertyDef::new("tags", StringArray);
    assert_eq!(rules(&tags, &strings(11)), Vec::<&str>::new());
    // 300 one-letter strings: 4 bytes each with quotes and comma, about 1.2 KB.
    assert_eq!(rules(&tags, &strings(300)), Vec::<&str>::new());
    // 2,100 of them are over 8 KB of JSON: the size rule, not a count rule.
    assert_eq!(rules(&tags, &strings(2_100)), ["max_value_bytes"]);
    let scores = PropertyDef::new("scores", DoubleArray);
    assert_eq!(
        rules(&scores, &J::Array(vec![J::Fraction(1.5); 6])),
        Vec::<&str>::new()
    );
    let ids = PropertyDef::new("ids", LongArray);
    assert_eq!(
        rules(&ids, &J::Array(vec![J::Integer(1); 500])),
        Vec::<&str>::new()
    );
}

#[test]
fn max_items_is_enforced() {
    let tags = PropertyDef {
        max_items: Some(3),
        ..PropertyDef::new("tags", StringArray)
    };
    assert_eq!(rules(&tags, &strings(3)), Vec::<&str>::new());
    assert_eq!(rules(&tags, &strings(4)), ["max_items"]);
    assert_eq!(
        tags.check(&strings(4)).unwrap_err()[0].to_string(),
        "array has 4 elements; `max_items` is 3"
    );
    assert_eq!(rules(&tags, &strings(11)), ["max_items"]);
}

#[test]
fn values_over_8_kb_of_json_are_rejected() {
    let name = PropertyDef::new("bio", String);
    // Two quote bytes plus the text: 8190 characters is exactly 8192 bytes of JSON.
    let fits = "a".repeat(MAX_VALUE_BYTES - 2);
    assert_eq!(rules(&name, &J::String(&fits)), Vec::<&str>::new());
    let over = "a".repeat(MAX_VALUE_BYTES - 1);
    assert_eq!(rules(&name, &J::String(&over)), ["max_value_bytes"]);
    assert_eq!(
        name.check(&J::String(&over)).unwrap_err()[0].to_string(),
        "value is 8193 bytes of JSON; DFINERY allows at most 8192"
    );
    // Escapes count as written: each `"` is 2 bytes on the wire.
    let quotes = "\"".repeat(MAX_VALUE_BYTES / 2);
    assert_eq!(rules(&name, &J::String(&quotes)), ["max_value_bytes"]);
    let list = PropertyDef::new("list", StringArray);
    let chunk = "b".repeat(900);
    let ten = J::Array(vec![J::String(&chunk); 10]);
    assert_eq!(rules(&list, &ten), ["max_value_bytes"]);
}

#[test]
fn several_rules_are_reported_together() {
    let tags = PropertyDef {
        max_len: Some(1),
        max_items: Some(2),
        ..PropertyDef::new("tags", StringArray)
    };
    assert_eq!(
        rules(
            &tags,
            &J::Array(vec![J::String("ab"), J::String("c"), J::String("d")])
        ),
        ["max_len", "max_items"]
    );
}

#[test]
fn json_len_matches_serde_json_text() {
    let cases: [(J<'_>, &str); 15] = [
        (J::Null, "null"),
        (J::Fraction(0.1), "0.1"),
        (J::Fraction(1e300), "1e+300"),
        (J::Fraction(-2.5e-8), "-2.5e-8"),
        (J::Bool(true), "true"),
        (J::Bool(false), "false"),
        (J::Integer(0), "0"),
        (J::Integer(-12345), "-12345"),
        (J::Integer(i64::MIN), "-9223372036854775808"),
        (J::Fraction(1.5), "1.5"),
        (J::String("a\"b\\c\n"), r#""a\"b\\c\n""#),
        (J::String("\u{1}é"), "\"\\u0001é\""),
        (J::Array(vec![]), "[]"),
        (J::Array(vec![J::Integer(1), J::String("x")]), r#"[1,"x"]"#),
        (J::Array(vec![J::Array(vec![J::Null])]), "[[null]]"),
    ];
    for (value, text) in cases {
        assert_eq!(value.json_len(), text.len(), "{text}");
        if let J::Fraction(f) = value {
            assert_eq!(serde_json::to_string(&f).unwrap(), text);
        }
    }
}

#[test]
fn an_array_of_fractions_over_8_kb_is_too_large_and_a_scalar_never_is() {
    let prices = PropertyDef::new("prices", DoubleArray);
    // 800 × "0.123456789," = 9,600 bytes.
    let many = J::Array(vec![J::Fraction(0.123_456_789); 800]);
    assert_eq!(rules(&prices, &many), ["max_value_bytes"]);
    let few = J::Array(vec![J::Fraction(0.123_456_789); 600]);
    assert!(rules(&prices, &few).is_empty());
    let price = PropertyDef::new("price", Double);
    assert!(rules(&price, &J::Fraction(f64::MAX)).is_empty());
}
