//! The static descriptions the derives emit for introspection (the CLI's coverage check).

use dfinery::{DataType, Date, Event, FieldDescription, Item, Patch, Profile, Scope};

use crate::model::{Gender, LineItem, Member, Purchase, SkuLine, WishlistShared};

/// The field of a description that fills the property `name`.
fn named(properties: &'static [FieldDescription], name: &str) -> Option<&'static FieldDescription> {
    properties.iter().find(|f| f.spec.name == name)
}

pub fn member() -> Member {
    Member {
        df_name: "Hong Gildong".to_owned(),
        df_gender: Gender::Male,
        df_birth: Date::from_ymd(1999, 1, 1).unwrap(),
        df_membership: Some("VIP".to_owned()),
        df_push_ads_optin: true,
        df_sms_ads_optin: false,
        favorite_brands: vec!["A"],
        lifetime_points: 1,
        avg_basket: 1.5,
        tier: Patch::Keep,
    }
}

#[test]
fn an_event_describes_its_name_fields_and_items() {
    let description = Purchase::description();
    assert_eq!(description.name, "df_purchase");
    assert_eq!(description.rust_name, "Purchase");
    let fields: Vec<_> = description
        .properties
        .iter()
        .map(|f| (f.rust_field, f.spec.name, f.spec.ty, f.spec.required))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("df_order_id", "df_order_id", DataType::String, true),
            (
                "df_payment_method",
                "df_payment_method",
                DataType::String,
                true
            ),
            (
                "df_total_purchase_amount",
                "df_total_purchase_amount",
                DataType::Double,
                true
            ),
            (
                "df_delivery_charge",
                "df_delivery_charge",
                DataType::Double,
                true
            ),
            ("df_discount", "df_discount", DataType::Double, true),
            ("store_id", "store_id", DataType::String, false),
        ]
    );
    assert_eq!(
        named(description.properties, "store_id")
            .unwrap()
            .spec
            .max_len,
        Some(16)
    );
    let items = description.items.unwrap();
    assert_eq!(items.rust_field, "items");
    assert!(items.required);
    assert_eq!((items.item)().rust_name, "LineItem");
    assert!(
        named(Purchase::description().properties, "log_id").is_none(),
        "`log_id` is not a property"
    );
}

#[test]
fn an_item_describes_its_item_properties() {
    let description = LineItem::description();
    let price = named(description.properties, "df_price").unwrap();
    assert_eq!(price.rust_field, "price");
    assert_eq!(price.spec.scope, Scope::Item);
    assert!(price.spec.required);
    assert!(named(description.properties, "internal_note").is_none());
    assert_eq!(description.properties.len(), 7);
}

#[test]
fn an_item_under_two_events_takes_the_strictest_rules() {
    // `sku` is required under both events; `colour` has the same values under both.
    let description = SkuLine::description();
    assert!(named(description.properties, "sku").unwrap().spec.required);
    assert_eq!(
        named(description.properties, "colour")
            .unwrap()
            .spec
            .enum_values,
        &["red", "green", "blue"]
    );
    let items = WishlistShared::description().items.unwrap();
    assert!(!items.required);
}

#[test]
fn a_profile_describes_its_user_properties_with_enum_values() {
    let description = Member::description();
    assert_eq!(description.rust_name, "Member");
    let gender = named(description.properties, "df_gender").unwrap();
    assert_eq!(
        gender.spec.enum_values,
        &["Male", "Female", "NonBinary", "Other"]
    );
    assert_eq!(gender.spec.scope, Scope::User);
    assert_eq!(
        named(description.properties, "tier")
            .unwrap()
            .spec
            .enum_values,
        &["bronze", "silver", "gold"]
    );
    assert_eq!(description.properties.len(), 10);
    assert!(member().to_user_properties().is_ok());
}

/// A field whose type can be absent, as the coverage check reads it: an `Option` or a `Patch`
/// written out, or hidden behind an alias (its `SHAPE`); not a plain value. A type parameter
/// (one description serves every instantiation) may be an `Option`, so it can be absent unless
/// its property was required at build time (the derive then refuses an `Option` for it where
/// the type is used); it was read as never absent.
#[test]
fn a_field_says_whether_it_can_be_absent() {
    type MaybeComment = Option<String>;
    type Rating = i64;

    #[derive(dfinery::DfineryEvent)]
    #[dfinery(event = "app_review", registry = "tests/dfinery.toml")]
    #[allow(dead_code)]
    struct Review {
        rating: Rating,
        comment: MaybeComment,
        score: Option<f64>,
        channel: Box<Option<&'static str>>,
        recommended: bool,
    }

    #[derive(dfinery::DfineryEvent)]
    #[dfinery(event = "app_review", registry = "tests/dfinery.toml")]
    #[allow(dead_code)]
    struct Generic<R: dfinery::LongProperty, T: dfinery::StringProperty> {
        rating: R,
        comment: T,
        score: Option<f64>,
    }

    let absent = |properties: &'static [FieldDescription]| -> Vec<(&str, bool)> {
        properties
            .iter()
            .map(|f| (f.rust_field, f.absent))
            .collect()
    };
    assert_eq!(
        absent(Review::description().properties),
        [
            ("rating", false),
            ("comment", true),
            ("score", true),
            ("channel", true),
            ("recommended", false),
        ]
    );
    assert_eq!(
        absent(<Generic<i64, Option<String>>>::description().properties),
        [("rating", false), ("comment", true), ("score", true)]
    );
    assert_eq!(
        absent(Purchase::description().properties)
            .into_iter()
            .filter(|(_, absent)| *absent)
            .collect::<Vec<_>>(),
        [("store_id", true)]
    );
    assert_eq!(
        named(Member::description().properties, "tier").map(|f| f.absent),
        Some(true),
        "a `Patch` can send nothing"
    );
    assert_eq!(
        named(LineItem::description().properties, "df_category2").map(|f| f.absent),
        Some(true)
    );
    // What `dfinery check --coverage` reads: each property with its field, type, rules and
    // whether it can be absent.
    let manifest = dfinery::coverage::Manifest::new()
        .event::<Review>()
        .to_json();
    for property in [
        r#"{"name":"rating","rust_field":"rating","type":"long","absent":false}"#,
        r#"{"name":"comment","rust_field":"comment","type":"string","absent":true,"max_len":20}"#,
        r#"{"name":"channel","rust_field":"channel","type":"string","absent":true,"enum":["web","app","store"]}"#,
    ] {
        assert!(manifest.contains(property), "no {property} in {manifest}");
    }
    assert!(
        manifest.starts_with(r#"{"format":"dfinery-coverage/2","#),
        "{manifest}"
    );
}

/// A `DfineryEnum` field says the values it can send (its enum's wire values), also in an
/// `Option` or an array, for a property without an `enum` rule at build time: the coverage
/// check compares them with a rule added since. The manifest said nothing of them (`enum`
/// only carried the registry's rule), so a rule added later that allows every variant was
/// reported "can send any value".
#[test]
fn a_dfinery_enum_field_lists_the_values_it_can_send() {
    #[derive(Debug, Clone, Copy, dfinery::DfineryEnum)]
    #[dfinery(rename_all = "lowercase")]
    enum Mood {
        Glad,
        Sad,
    }

    #[derive(dfinery::DfineryEvent)]
    #[dfinery(event = "app_review", registry = "tests/dfinery.toml")]
    #[allow(dead_code)]
    struct Review {
        rating: i64,
        comment: Option<Mood>,
        tags: Vec<Mood>,
        score: Option<f64>,
    }

    let manifest = dfinery::coverage::Manifest::new()
        .event::<Review>()
        .to_json();
    for property in [
        r#"{"name":"comment","rust_field":"comment","type":"string","absent":true,"max_len":20,"enum":["glad","sad"]}"#,
        r#"{"name":"tags","rust_field":"tags","type":"array<string>","absent":false,"max_len":10,"max_items":3,"enum":["glad","sad"]}"#,
        r#"{"name":"score","rust_field":"score","type":"double","absent":true}"#,
    ] {
        assert!(manifest.contains(property), "no {property} in {manifest}");
    }
    let values = |properties: &'static [FieldDescription]| -> Vec<(&str, &[&str])> {
        properties
            .iter()
            .map(|f| (f.rust_field, f.values))
            .collect()
    };
    assert_eq!(
        values(Review::description().properties),
        [
            ("rating", &[][..]),
            ("comment", &["glad", "sad"][..]),
            ("tags", &["glad", "sad"][..]),
            ("score", &[][..]),
        ]
    );

    // A type parameter cannot be probed: any value, as before.
    #[derive(dfinery::DfineryEvent)]
    #[dfinery(event = "app_review", registry = "tests/dfinery.toml")]
    #[allow(dead_code)]
    struct Generic<T: dfinery::StringProperty> {
        rating: i64,
        comment: T,
    }
    assert_eq!(
        values(<Generic<Mood>>::description().properties),
        [("rating", &[][..]), ("comment", &[][..])]
    );
}
