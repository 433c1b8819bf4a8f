//! Registry files that parse, to the expected model.

use std::collections::BTreeMap;

use dfinery_schema::{DataType, EventDef, PropertyDef, Registry, catalog};

use crate::support::{fixture, load_ok};

fn custom(name: &str, ty: DataType) -> PropertyDef {
    PropertyDef::new(name, ty)
}

fn by_name(props: impl IntoIterator<Item = PropertyDef>) -> BTreeMap<String, PropertyDef> {
    props.into_iter().map(|p| (p.name.clone(), p)).collect()
}

fn consent_flags() -> impl Iterator<Item = PropertyDef> {
    catalog::CONSENT_FLAGS
        .into_iter()
        .map(|f| catalog::standard_user_property(f).unwrap())
}

#[test]
fn a_registry_using_every_feature_parses_to_the_expected_model() {
    let registry = load_ok("full.toml");

    let coupon_used = EventDef {
        name: "coupon_used".into(),
        standard: false,
        properties: by_name([
            PropertyDef {
                required: true,
                max_len: Some(32),
                ..custom("coupon_code", DataType::String)
            },
            custom("amount", DataType::Double),
            PropertyDef {
                max_items: Some(5),
                max_len: Some(20),
                ..custom("tags", DataType::StringArray)
            },
            custom("used_at", DataType::Datetime),
        ]),
        items: by_name([
            PropertyDef {
                required: true,
                ..custom("sku", DataType::String)
            },
            custom("unit_price", DataType::Double),
        ]),
        items_required: true,
    };
    let mut purchase = catalog::standard_event("df_purchase").unwrap();
    purchase
        .properties
        .insert("store_id".into(), custom("store_id", DataType::String));
    purchase
        .items
        .insert("gift_wrap".into(), custom("gift_wrap", DataType::Boolean));
    let events = [
        catalog::standard_event("df_login").unwrap(),
        catalog::standard_event("df_sign_up").unwrap(),
        catalog::standard_event("df_refund").unwrap(),
        purchase,
        coupon_used,
    ];

    let standard_users = ["df_name", "df_gender", "df_birth", "df_membership"]
        .map(|n| catalog::standard_user_property(n).unwrap());
    let custom_users = [
        custom("lifetime_points", DataType::Long),
        PropertyDef {
            enum_values: Some(vec!["bronze".into(), "silver".into(), "gold".into()]),
            ..custom("tier", DataType::String)
        },
        custom("birthday_coupon_sent", DataType::Date),
    ];

    let expected = Registry {
        service_id: Some("my-service".into()),
        events: events.into_iter().map(|e| (e.name.clone(), e)).collect(),
        user_properties: by_name(
            standard_users
                .into_iter()
                .chain(custom_users)
                .chain(consent_flags()),
        ),
    };
    assert_eq!(registry, expected);
}

#[test]
fn the_crate_docs_show_the_full_fixture_verbatim() {
    let docs = std::fs::read_to_string(fixture("../../src/lib.rs")).unwrap();
    let block: String = docs
        .lines()
        .skip_while(|l| *l != "//! ```toml")
        .skip(1)
        .take_while(|l| *l != "//! ```")
        .map(|l| format!("{}\n", l.strip_prefix("//! ").unwrap_or("")))
        .collect();
    let fixture_text = std::fs::read_to_string(fixture("full.toml")).unwrap();
    assert_eq!(block, fixture_text);
}

#[test]
fn the_example_of_the_design_document_parses() {
    let registry = load_ok("design_example.toml");
    assert_eq!(registry.service_id.as_deref(), Some("my-service"));
    let names: Vec<&str> = registry.events.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "coupon_used",
            "df_login",
            "df_purchase",
            "df_refund",
            "df_sign_up"
        ]
    );
    let coupon = registry.event("coupon_used").unwrap();
    assert_eq!(coupon.property("tags").unwrap().ty, DataType::StringArray);
    assert!(!coupon.items_required);
    assert_eq!(
        registry.event("df_purchase").unwrap().property("store_id"),
        Some(&custom("store_id", DataType::String))
    );
    assert_eq!(registry.user_properties.len(), 4 + 5 + 2);
}

#[test]
fn lists_may_stand_at_the_top_level() {
    let registry = load_ok("lists_at_top_level.toml");
    assert_eq!(registry.service_id.as_deref(), Some("shop"));
    assert_eq!(registry.events.keys().collect::<Vec<_>>(), ["df_view_cart"]);
    // Listing a consent flag is allowed; it is registered anyway.
    let mut expected: Vec<&str> = catalog::CONSENT_FLAGS.to_vec();
    expected.push("df_membership");
    expected.sort();
    assert_eq!(
        registry.user_properties.keys().collect::<Vec<_>>(),
        expected
    );
}

#[test]
fn an_empty_file_registers_only_the_consent_flags() {
    let registry = Registry::parse("").unwrap();
    assert_eq!(
        registry,
        Registry {
            service_id: None,
            events: BTreeMap::new(),
            user_properties: by_name(consent_flags()),
        }
    );
}

#[test]
fn spacing_inside_array_types_is_allowed() {
    let registry = Registry::parse("[user_properties]\nscores = \"array< double >\"\n").unwrap();
    assert_eq!(
        registry.user_property("scores").unwrap().ty,
        DataType::DoubleArray
    );
    for spaced in [" array < long > ", "  string "] {
        assert!(spaced.parse::<DataType>().is_ok(), "{spaced:?}");
    }
    // Not inside a name: a misspelt registry was read as `string`, `long`, `datetime`.
    for broken in ["str ing", "lo ng", "date time", "array<str ing>"] {
        assert!(broken.parse::<DataType>().is_err(), "{broken:?}");
    }
}

#[test]
fn the_standard_registry_enables_the_whole_catalog() {
    let registry = Registry::standard();
    assert_eq!(registry.service_id, None);
    assert_eq!(registry.events.len(), 15);
    assert_eq!(registry.user_properties.len(), 9);
    assert_eq!(
        registry.event("df_refund"),
        catalog::standard_event("df_refund").as_ref()
    );
    assert!(registry.events.values().all(|e| e.standard));
    assert!(registry.user_properties.values().all(|p| p.standard));
}

#[test]
fn names_that_differ_only_in_case_are_kept_apart_with_a_warning() {
    // Accepted in silence: `Coupon_Used` and `coupon_used` are two events to DFINERY, most
    // likely one meant twice.
    let src = "[events.coupon_used]\n\
               properties.code = \"string\"\n\
               properties.Code = \"string\"\n\
               items.sku = \"string\"\n\
               items.SKU = \"string\"\n\
               [events.Coupon_Used]\n\
               [user_properties]\n\
               tier = \"string\"\n\
               TIER = \"string\"\n\
               Tier = \"long\"\n";
    let (registry, warnings) = Registry::parse_with_warnings(src).unwrap();
    assert!(registry.event("coupon_used").is_some());
    assert!(registry.event("Coupon_Used").is_some());
    assert!(registry.user_property("TIER").is_some());
    let found: Vec<(usize, usize, &str)> = warnings
        .iter()
        .map(|d| (d.line, d.column, d.message.as_str()))
        .collect();
    let tail = "only in case; names are case-sensitive, so DFINERY takes them as two: keep one \
                spelling if one is meant";
    assert_eq!(
        found,
        [
            (
                3,
                12,
                &*format!("property `Code` of event `coupon_used` differs from `code` {tail}")
            ),
            (
                5,
                7,
                &*format!("item property `SKU` of event `coupon_used` differs from `sku` {tail}")
            ),
            (
                6,
                9,
                &*format!("event `Coupon_Used` differs from `coupon_used` {tail}")
            ),
            (
                9,
                1,
                &*format!("user property `TIER` differs from `tier` {tail}")
            ),
            (
                10,
                1,
                &*format!("user property `Tier` differs from `tier` {tail}")
            ),
        ]
    );
}

#[test]
fn enum_values_that_differ_only_in_case_or_white_space_or_are_blank_get_a_warning() {
    // Accepted in silence: DFINERY compares values exactly, so `gold` and `Gold ` are two
    // values, one most likely unreachable; a blank value sends an empty text.
    let src = "[user_properties]\n\
               tier = { type = \"string\", enum = [\"gold\", \"Gold \", \"silver\", \" \"] }\n";
    let (registry, warnings) = Registry::parse_with_warnings(src).unwrap();
    let values = registry.user_property("tier").unwrap().enum_values.clone();
    assert_eq!(
        values.unwrap(),
        ["gold", "Gold ", "silver", " "].map(String::from)
    );
    let found: Vec<(usize, usize, &str)> = warnings
        .iter()
        .filter(|d| d.message.starts_with("`enum`"))
        .map(|d| (d.line, d.column, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                2,
                43,
                "`enum` value `Gold ` of user property `tier` differs from `gold` only in case \
                 or white space; values are compared exactly, so keep one spelling if one is \
                 meant"
            ),
            (
                2,
                62,
                "`enum` value ` ` of user property `tier` is blank; to send no value leave the \
                 property out, or remove the value"
            ),
        ]
    );
}

#[test]
fn a_registry_without_events_gets_a_warning() {
    // An empty (or cut-short) file parsed in silence, and every event was then refused.
    for src in [
        "",
        "\n# nothing yet\n",
        "[user_properties]\ntier = \"string\"\n",
    ] {
        let (registry, warnings) = Registry::parse_with_warnings(src).unwrap();
        assert!(registry.events.is_empty());
        assert_eq!(warnings.len(), 1, "{src:?}");
        assert_eq!((warnings[0].line, warnings[0].column), (1, 1));
        assert!(
            warnings[0]
                .message
                .starts_with("the registry has no events, so every event would be refused"),
            "{}",
            warnings[0].message
        );
    }
    let (_, warnings) = Registry::parse_with_warnings("standard_events = [\"df_login\"]").unwrap();
    assert!(warnings.is_empty());
}

#[test]
fn an_event_property_named_like_an_export_column_is_kept_with_a_warning() {
    // Its export named `event_datetime` twice, and the project's own reader refused the file.
    let src = "[events.coupon_used]\nproperties.event_datetime = \"datetime\"\nproperties.code = \"string\"\n[user_properties]\nevent_name = \"string\"\n";
    let (registry, warnings) = Registry::parse_with_warnings(src).unwrap();
    assert!(registry.event("coupon_used").is_some());
    let messages: Vec<&str> = warnings.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with("property `event_datetime` of event `coupon_used` has the name of a column every event export has"),
        "{messages:?}"
    );
}
