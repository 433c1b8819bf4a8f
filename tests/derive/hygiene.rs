//! The derives' generated code names what it uses by absolute path or through the alias its own
//! `const _` block declares, so it compiles wherever a user puts the derive: in a
//! `#![no_implicit_prelude]` module, inside a function, or beside a user item that has the
//! alias's name (`__dfinery`), around a `where` clause as rustfmt writes one, and on
//! `#[deprecated]` types and fields (this binary denies warnings).

/// Derives, decode included, where no prelude name resolves.
#[no_implicit_prelude]
mod bare {
    /// `tier`'s values.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, ::dfinery::DfineryEnum)]
    #[dfinery(
        user_property = "tier",
        rename_all = "lowercase",
        registry = "tests/dfinery.toml"
    )]
    pub enum Tier {
        Bronze,
        Gold,
    }

    /// A `coupon_used` line with a spec that differs from `PropertySpec::new` in every field.
    #[derive(Debug, ::dfinery::DfineryItem)]
    #[dfinery(event = "coupon_used", registry = "tests/dfinery.toml", decode)]
    pub struct Line {
        pub sku: ::std::string::String,
        pub colour: ::core::option::Option<::std::string::String>,
    }

    /// `coupon_used` with its items, time and id.
    #[derive(Debug, ::dfinery::DfineryEvent)]
    #[dfinery(registry = "tests/dfinery.toml", decode)]
    pub struct CouponUsed {
        #[dfinery(log_id)]
        pub log_id: ::core::option::Option<::uuid::Uuid>,
        #[dfinery(datetime)]
        pub at: ::core::option::Option<::dfinery::Datetime>,
        pub coupon_code: ::std::string::String,
        pub amount: ::core::option::Option<f64>,
        #[dfinery(items)]
        pub lines: ::std::vec::Vec<Line>,
    }

    /// A profile with an enum and a `Patch`.
    #[derive(Debug, ::dfinery::DfineryProfile)]
    #[dfinery(registry = "tests/dfinery.toml", decode)]
    pub struct Member {
        pub lifetime_points: i64,
        pub favorite_brands: ::std::vec::Vec<::std::string::String>,
        pub tier: ::dfinery::Patch<Tier>,
    }
}

/// A user module named as the derives' alias, and a derive whose field types go through it.
mod __dfinery {
    /// A user type reached through the user's own `__dfinery` module.
    pub type Points = i64;
}

/// A profile whose field type is a path through the user's `__dfinery` module, written from
/// `self` (a path that starts with `__dfinery` would name the derives' alias, so the derive
/// refuses it with an error saying so).
#[derive(Debug, dfinery::DfineryProfile)]
#[dfinery(registry = "tests/dfinery.toml")]
struct Reward {
    lifetime_points: self::__dfinery::Points,
}

#[test]
fn derives_without_the_prelude_send_what_they_hold() {
    use dfinery::{Event, Identifier, Identity, Patch, Profile};

    let event = bare::CouponUsed {
        log_id: None,
        at: None,
        coupon_code: "WELCOME".to_owned(),
        amount: Some(1000.0),
        lines: vec![bare::Line {
            sku: "SKU-1".to_owned(),
            colour: Some("red".to_owned()),
        }],
    };
    let record = event.to_record().unwrap();
    let items: serde_json::Value =
        serde_json::from_str(record.event_items().unwrap().get()).unwrap();
    assert_eq!(
        items,
        serde_json::json!([{"sku": "SKU-1", "colour": "red"}])
    );

    let member = bare::Member {
        lifetime_points: 10,
        favorite_brands: vec!["A".to_owned()],
        tier: Patch::Set(bare::Tier::Gold),
    };
    let properties = serde_json::to_value(member.to_user_properties().unwrap()).unwrap();
    assert_eq!(properties["tier"], "gold");
    assert!(Identity::new(Identifier::ExternalId, "u").is_ok());
}

#[test]
fn a_derive_inside_a_function_and_beside_a_user_dfinery_module_compiles() {
    use dfinery::{Event, Profile};

    #[derive(Debug, dfinery::DfineryEvent)]
    #[dfinery(event = "df_login", registry = "tests/dfinery.toml", decode)]
    struct Login {
        #[dfinery(datetime)]
        at: Option<dfinery::Datetime>,
    }

    let login = Login { at: None };
    assert_eq!(Login::description().name, "df_login");
    assert!(login.to_record().is_ok());
    let reward = Reward { lifetime_points: 7 };
    let properties = serde_json::to_value(reward.to_user_properties().unwrap()).unwrap();
    assert_eq!(properties["lifetime_points"], 7);
}

/// A generic struct that decodes: its `FIELDS` constant and higher-ranked bounds hold for any
/// parameter (the parameter is in a skipped field, defaulted when read back).
#[derive(Debug, dfinery::DfineryProfile)]
#[dfinery(registry = "tests/dfinery.toml", decode)]
struct Tagged<T> {
    lifetime_points: Option<i64>,
    #[dfinery(skip)]
    tag: T,
}

#[test]
fn a_generic_decoding_struct_lists_its_fields_for_each_parameter() {
    use dfinery::__private::Field;
    use dfinery::export::DecodeProfile;

    for fields in [
        <Tagged<String> as DecodeProfile>::FIELDS,
        <Tagged<u8> as DecodeProfile>::FIELDS,
    ] {
        assert!(
            matches!(fields, [Field::Property(spec, true)] if spec.name == "lifetime_points"),
            "{fields:?}"
        );
    }
    let tagged = Tagged {
        lifetime_points: None,
        tag: 1_u8,
    };
    assert_eq!(tagged.tag, 1);
}

/// A decoding event whose bounds are in a `where` clause as rustfmt writes one (a predicate a
/// line, a trailing comma), with a default for the parameter: the decode impl adds its own
/// bounds after the user's.
#[derive(Debug, dfinery::DfineryEvent)]
#[dfinery(event = "df_sign_up", registry = "tests/dfinery.toml", decode)]
struct SignUp<C = String>
where
    C: dfinery::StringProperty + dfinery::PropertyValue,
    C: dfinery::export::FromCell,
{
    df_sign_channel: C,
}

#[test]
fn a_where_clause_ending_in_a_comma_decodes_too() {
    use dfinery::__private::Field;
    use dfinery::Event;
    use dfinery::export::DecodeEvent;

    assert!(
        matches!(
            <SignUp as DecodeEvent>::FIELDS,
            [Field::Property(spec, false)] if spec.name == "df_sign_channel"
        ),
        "{:?}",
        <SignUp as DecodeEvent>::FIELDS
    );
    let sign_up: SignUp = SignUp {
        df_sign_channel: "Kakao".to_owned(),
    };
    let record = sign_up.to_record().unwrap();
    let properties: serde_json::Value =
        serde_json::from_str(record.event_properties().unwrap().get()).unwrap();
    assert_eq!(properties, serde_json::json!({"df_sign_channel": "Kakao"}));
}

/// A `#[deprecated]` event with a deprecated field, item type and enum: their derives add no
/// `deprecated` warning (this binary denies warnings); only the user's own uses warn.
#[deprecated(note = "a test of the derives on deprecated types")]
#[derive(Debug, dfinery::DfineryEnum)]
#[dfinery(event = "wishlist_shared", item = "colour", rename_all = "lowercase")]
#[dfinery(registry = "tests/dfinery.toml")]
enum OldColour {
    #[deprecated]
    Red,
}

#[deprecated(note = "a test of the derives on deprecated types")]
#[derive(Debug, dfinery::DfineryItem)]
#[dfinery(event = "wishlist_shared", registry = "tests/dfinery.toml", decode)]
#[allow(deprecated)]
struct OldLine {
    sku: String,
    colour: Option<OldColour>,
}

#[deprecated(note = "a test of the derives on deprecated types")]
#[derive(Debug, dfinery::DfineryEvent)]
#[dfinery(event = "wishlist_shared", registry = "tests/dfinery.toml", decode)]
#[allow(deprecated)]
struct OldShare {
    #[deprecated]
    channel: Option<String>,
    #[dfinery(items)]
    lines: Vec<OldLine>,
}

#[test]
#[allow(deprecated)]
fn derives_on_deprecated_types_and_fields_add_no_warning() {
    use dfinery::Event;

    let share = OldShare {
        channel: Some("kakao".to_owned()),
        lines: vec![OldLine {
            sku: "SKU-1".to_owned(),
            colour: Some(OldColour::Red),
        }],
    };
    let record = share.to_record().unwrap();
    let items: serde_json::Value =
        serde_json::from_str(record.event_items().unwrap().get()).unwrap();
    assert_eq!(
        items,
        serde_json::json!([{"sku": "SKU-1", "colour": "red"}])
    );
}

/// `app_review`'s `tags` through an alias that takes a const parameter.
type Tags<const N: usize> = [String; N];

/// An event generic over a const parameter that a property field's type names through an
/// alias: the derive's check that the type hides no `Option` is made for each `N` the event is
/// used with, as for a type parameter (made beside the struct, it named `N` outside the struct
/// and the event did not compile: E0747).
#[derive(Debug, dfinery::DfineryEvent)]
#[dfinery(event = "app_review", registry = "tests/dfinery.toml")]
struct TaggedReview<const N: usize> {
    rating: i64,
    tags: Tags<N>,
}

#[test]
fn a_property_type_naming_a_const_parameter_compiles_and_sends() {
    use dfinery::Event;

    let review = TaggedReview::<2> {
        rating: 5,
        tags: ["fast".to_owned(), "cheap".to_owned()],
    };
    let record = review.to_record().unwrap();
    let properties: serde_json::Value =
        serde_json::from_str(record.event_properties().unwrap().get()).unwrap();
    assert_eq!(
        properties,
        serde_json::json!({"rating": 5, "tags": ["fast", "cheap"]})
    );
}

/// Derives in a module that forbids `deprecated` (and `non_upper_case_globals`,
/// `unreachable_patterns`), with nothing deprecated in them: the generated code must not
/// `allow` them, which a `forbid` refuses (E0453 "allow(deprecated) incompatible with previous
/// forbid", on every derive).
#[forbid(deprecated, non_upper_case_globals, unreachable_patterns)]
mod strict {
    /// `app_review`'s `channel` values.
    #[derive(Debug, Clone, Copy, dfinery::DfineryEnum)]
    #[dfinery(rename_all = "lowercase")]
    pub enum Channel {
        Web,
    }

    /// `app_review` with an enum property, decoded too.
    #[derive(Debug, dfinery::DfineryEvent)]
    #[dfinery(event = "app_review", registry = "tests/dfinery.toml", decode)]
    pub struct Review {
        pub rating: i64,
        pub channel: Option<Channel>,
    }
}

#[test]
fn derives_compile_where_deprecated_is_forbidden() {
    use dfinery::Event;

    let review = strict::Review {
        rating: 4,
        channel: Some(strict::Channel::Web),
    };
    let record = review.to_record().unwrap();
    let properties: serde_json::Value =
        serde_json::from_str(record.event_properties().unwrap().get()).unwrap();
    assert_eq!(
        properties,
        serde_json::json!({"rating": 4, "channel": "web"})
    );
}

/// Derives in a module that forbids common lints, `unused_imports` among them (and
/// `unsafe_code`, `missing_docs`, the naming styles, the `unused` group, a few allow-by-default
/// ones): the generated code must neither trigger them nor `allow` them, which a `forbid`
/// refuses (E0453 "allow(unused_imports) incompatible with previous forbid", from the probe of
/// a field whose type is an alias: `#[allow(unused_imports)] use ProbeFallback as _`).
#[forbid(
    unused,
    unused_imports,
    unsafe_code,
    missing_docs,
    deprecated,
    nonstandard_style,
    unreachable_code,
    unreachable_patterns,
    unused_qualifications,
    unused_results,
    trivial_casts,
    trivial_numeric_casts,
    unused_lifetimes,
    single_use_lifetimes,
    rust_2018_idioms
)]
mod forbidding {
    /// A comment, through an alias (probed for a hidden `Option`).
    pub type Comment = Option<String>;
    /// A rating, through an alias.
    pub type Rating = i64;

    /// `app_review`'s `channel` values.
    #[derive(Debug, Clone, Copy, dfinery::DfineryEnum)]
    #[dfinery(rename_all = "lowercase")]
    pub enum Channel {
        /// The web.
        Web,
        /// The app.
        App,
    }

    /// `app_review` with aliased fields, decoded too.
    #[derive(Debug, dfinery::DfineryEvent)]
    #[dfinery(event = "app_review", registry = "tests/dfinery.toml", decode)]
    pub struct Review {
        /// Required.
        pub rating: Rating,
        /// Optional, through an alias.
        pub comment: Comment,
        /// An enum.
        pub channel: Option<Channel>,
    }

    /// `app_review` with a type parameter.
    #[derive(Debug, dfinery::DfineryEvent)]
    #[dfinery(event = "app_review", registry = "tests/dfinery.toml")]
    pub struct GenericReview<T: dfinery::StringProperty> {
        /// Required.
        pub rating: i64,
        /// A type parameter.
        pub comment: T,
    }

    /// A profile with an aliased field.
    #[derive(Debug, dfinery::DfineryProfile)]
    #[dfinery(registry = "tests/dfinery.toml")]
    pub struct Member {
        /// Through an alias.
        pub lifetime_points: Option<Rating>,
    }
}

#[test]
fn derives_compile_where_common_lints_are_forbidden() {
    use dfinery::{Event, Profile};

    let review = forbidding::Review {
        rating: 4,
        comment: Some("fine".to_owned()),
        channel: Some(forbidding::Channel::App),
    };
    let record = review.to_record().unwrap();
    let properties: serde_json::Value =
        serde_json::from_str(record.event_properties().unwrap().get()).unwrap();
    assert_eq!(
        properties,
        serde_json::json!({"rating": 4, "comment": "fine", "channel": "app"})
    );
    let generic = forbidding::GenericReview {
        rating: 2,
        comment: "meh",
    };
    assert!(generic.to_record().is_ok());
    let member = forbidding::Member {
        lifetime_points: Some(3),
    };
    assert!(member.to_user_properties().is_ok());
}

/// `#[repr(packed)]` structs: a reference to one of their fields may be unaligned (E0793), so
/// the derives copy each field out, as serde's derive does. It failed to compile: "error[E0793]:
/// reference to packed field is unaligned" on every field.
mod packed {
    /// `app_review`, packed, its fields `Copy`.
    #[derive(dfinery::DfineryEvent)]
    #[dfinery(event = "app_review", registry = "tests/dfinery.toml")]
    #[repr(C, packed)]
    pub struct Review {
        pub recommended: bool,
        pub rating: i64,
        pub comment: Option<&'static str>,
        pub score: Option<f64>,
    }

    /// A packed profile, `packed(2)` alone (the form without `C`, clippy's lint aside).
    #[derive(dfinery::DfineryProfile)]
    #[dfinery(registry = "tests/dfinery.toml")]
    #[allow(clippy::repr_packed_without_abi)]
    #[repr(packed(2))]
    pub struct Member {
        pub lifetime_points: Option<i64>,
        pub avg_basket: f64,
    }
}

#[test]
fn derives_read_the_fields_of_a_packed_struct_by_copy() {
    use dfinery::{Event, Profile};

    let review = packed::Review {
        recommended: true,
        rating: 5,
        comment: Some("tidy"),
        score: None,
    };
    let record = review.to_record().unwrap();
    let properties: serde_json::Value =
        serde_json::from_str(record.event_properties().unwrap().get()).unwrap();
    assert_eq!(
        properties,
        serde_json::json!({"recommended": true, "rating": 5, "comment": "tidy"})
    );
    let member = packed::Member {
        lifetime_points: Some(7),
        avg_basket: 1.5,
    };
    let properties = member.to_user_properties().unwrap();
    let properties: serde_json::Value = serde_json::from_str(properties.get()).unwrap();
    assert_eq!(
        properties,
        serde_json::json!({"lifetime_points": 7, "avg_basket": 1.5})
    );
}
