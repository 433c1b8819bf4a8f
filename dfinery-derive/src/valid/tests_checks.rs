//! The registry checks without trybuild: each test parses a derive input with
//! `syn::parse_quote!`, runs the same `check_*` function the derive runs, and asserts the
//! messages (or the checked model). The UI cases under `tests/ui/` pin the rendered compiler
//! output; these pin the decisions, on any compiler.

use std::path::PathBuf;
use std::sync::OnceLock;

use dfinery_schema::DataType;
use syn::DeriveInput;

use super::*;
use crate::ast::{Enum, Kind, Struct};
use crate::errors::Errors;

/// A registry exercising every check: standard events and user properties (some enabled),
/// custom events with required properties and items, enums and limits.
const REGISTRY: &str = r#"
[service]
id = "derive-unit-tests"
standard_events = ["df_login", "df_purchase"]
standard_user_properties = ["df_gender"]

[events.df_purchase]
properties.store_id = { type = "string", max_len = 16 }
items.gift_wrap     = "boolean"
items.colour        = { type = "string", enum = ["red", "green", "blue"] }

[events.app_review]
properties.rating   = { type = "long", required = true }
properties.comment  = { type = "string", max_len = 20 }
properties.channel  = { type = "string", enum = ["web", "app"] }
properties.tags     = { type = "array<string>", max_items = 3 }

[events.coupon_used]
properties.coupon_code = { type = "string", required = true }
properties.amount      = { type = "double", required = true }
items.sku              = { type = "string", required = true, max_len = 12 }
items.colour           = { type = "string", enum = ["red", "green"] }
items.gift_wrap        = "string"
items.size             = { type = "string", enum = ["s", "m"] }
items_required         = true

[events.wishlist_shared]
properties.channel = "string"
items.sku          = { type = "string", required = true }
items.note         = "string"
items.colour       = { type = "string", enum = ["red", "green", "blue"] }
items.gift_wrap    = "boolean"
items.size         = { type = "string", enum = ["l"] }

[events.gift_sent]
items.sku          = { type = "string", required = true }
items.colour       = { type = "string", enum = ["blue"] }

[user_properties]
lifetime_points = "long"
tier            = { type = "string", enum = ["bronze", "silver", "gold"] }
"#;

/// Writes [`REGISTRY`] once per test process and returns the file's absolute path (the derive
/// joins a relative path to `CARGO_MANIFEST_DIR`; an absolute one is taken as it is). Every
/// run writes the same file, named by a hash of its content, so runs leave one file, not one
/// each; it is written beside and renamed into place, so a run reading it while another
/// writes it reads it whole.
fn registry_file() -> String {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut hasher = DefaultHasher::new();
        REGISTRY.hash(&mut hasher);
        let dir = std::env::temp_dir();
        let path: PathBuf = dir.join(format!(
            "dfinery-derive-valid-{:016x}.toml",
            hasher.finish()
        ));
        let part = dir.join(format!("dfinery-derive-valid-{}.part", std::process::id()));
        std::fs::write(&part, REGISTRY).expect("the temp dir is writable");
        std::fs::rename(&part, &path).expect("the temp dir is writable");
        path.to_str().expect("a UTF-8 temp path").to_owned()
    })
    .clone()
}

/// Every message recorded, in order.
fn messages(errors: Errors) -> Vec<String> {
    errors
        .into_error()
        .map(|e| e.into_iter().map(|e| e.to_string()).collect())
        .unwrap_or_default()
}

/// Adds `#[dfinery(registry = "<temp file>")]` to `input`.
fn with_registry(mut input: DeriveInput) -> DeriveInput {
    let path = registry_file();
    input
        .attrs
        .push(syn::parse_quote!(#[dfinery(registry = #path)]));
    input
}

/// The specs of the property fields, in field order.
fn specs(checked: &Checked<'_, '_>) -> Vec<Spec> {
    checked.properties().map(|(_, spec)| spec.clone()).collect()
}

/// A checked event: its name, its property specs, and whether items are required (when it
/// has an items field).
type EventOut = (String, Vec<Spec>, Option<bool>);

/// Runs the event checks: the checked event and the messages.
fn event(input: DeriveInput) -> (Option<EventOut>, Vec<String>) {
    let input = with_registry(input);
    let mut errors = Errors::new();
    let parsed = Struct::from_input(&input, Kind::Event, &mut errors).expect("parses");
    let checked = check_struct(&parsed, &mut errors).map(|c| {
        let CheckedKind::Event { name } = &c.kind else {
            panic!("an event checks as an event")
        };
        (
            name.clone(),
            specs(&c),
            c.items().map(|(_, required)| required),
        )
    });
    (checked, messages(errors))
}

/// A checked item: its events and its property specs.
type ItemOut = (Vec<String>, Vec<Spec>);

/// Runs the item checks: the checked item and the messages.
fn item(input: DeriveInput) -> (Option<ItemOut>, Vec<String>) {
    let input = with_registry(input);
    let mut errors = Errors::new();
    let parsed = Struct::from_input(&input, Kind::Item, &mut errors).expect("parses");
    let checked = check_struct(&parsed, &mut errors).map(|c| {
        let CheckedKind::Item { events } = &c.kind else {
            panic!("an item checks as an item")
        };
        (events.clone(), specs(&c))
    });
    (checked, messages(errors))
}

fn profile(input: DeriveInput) -> (Option<Vec<Spec>>, Vec<String>) {
    let input = with_registry(input);
    let mut errors = Errors::new();
    let parsed = Struct::from_input(&input, Kind::Profile, &mut errors).expect("parses");
    let checked = check_struct(&parsed, &mut errors).map(|c| specs(&c));
    (checked, messages(errors))
}

fn enumeration(input: DeriveInput) -> (bool, Vec<String>) {
    let input = with_registry(input);
    let mut errors = Errors::new();
    let parsed = Enum::from_input(&input, &mut errors).expect("parses");
    let checked = check_enum(&parsed, &mut errors);
    (checked.registry.is_some(), messages(errors))
}

fn names(specs: &[Spec]) -> Vec<&str> {
    specs.iter().map(|s| s.name.as_str()).collect()
}

fn assert_one(messages: &[String], expected: &str) {
    assert_eq!(messages, [expected.to_owned()], "messages: {messages:#?}");
}

// --- events: name resolution ---

#[test]
fn an_event_resolves_by_attribute_and_its_fields_by_name_or_rename() {
    let (checked, errors) = event(syn::parse_quote! {
        #[dfinery(event = "app_review")]
        struct Review {
            rating: i64,
            #[dfinery(rename = "comment")]
            text: Option<String>,
            #[dfinery(skip)]
            local: u8,
            tags: Vec<String>,
        }
    });
    assert!(errors.is_empty(), "{errors:#?}");
    let (name, specs, items) = checked.expect("checked");
    assert_eq!(name, "app_review");
    assert_eq!(names(&specs), ["rating", "comment", "tags"]);
    assert_eq!(items, None);
    let rating = &specs[0];
    assert_eq!(
        (rating.ty, rating.required, rating.scope),
        (DataType::Long, true, Scope::Event)
    );
    assert_eq!(specs[1].max_len, Some(20));
    assert_eq!(
        (specs[2].ty, specs[2].max_items),
        (DataType::StringArray, Some(3))
    );
}

#[test]
fn an_event_resolves_by_the_struct_name_in_snake_case() {
    let (checked, errors) = event(syn::parse_quote! {
        struct AppReview { rating: i64 }
    });
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(checked.expect("checked").0, "app_review");
}

#[test]
fn an_unregistered_event_suggests_the_closest_with_the_fix_for_where_the_name_came_from() {
    let (checked, errors) = event(syn::parse_quote! {
        #[dfinery(event = "app_reveiw")]
        struct Review { rating: i64 }
    });
    assert!(checked.is_none());
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].starts_with("event `app_reveiw` is not registered in `/"));
    assert!(
        errors[0].ends_with("; did you mean `app_review`?"),
        "{}",
        errors[0]
    );

    let (_, errors) = event(syn::parse_quote! {
        struct AppReveiw { rating: i64 }
    });
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(
            "event `app_reveiw` (the struct's name in snake case) is not registered in `"
        ),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].ends_with(
            "; did you mean `app_review`? name it with `#[dfinery(event = \"app_review\")]`"
        ),
        "{}",
        errors[0]
    );
}

#[test]
fn an_event_with_no_close_name_says_how_to_register_it() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "zzz_qqq")]
        struct Nothing { a: i64 }
    });
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].ends_with("; register it under `[events.zzz_qqq]`"),
        "{}",
        errors[0]
    );
    let (_, errors) = event(syn::parse_quote! {
        struct ZzzQqq { a: i64 }
    });
    assert!(
        errors[0].ends_with(
            "; name a registered event with `#[dfinery(event = \"...\")]` or register it under `[events.zzz_qqq]`"
        ),
        "{}",
        errors[0]
    );
}

/// A `df_` name that is no standard one cannot be registered as it is (the registry refuses
/// the prefix for custom names), so the fix is a name without it.
#[test]
fn a_reserved_name_that_is_not_standard_is_told_to_drop_the_prefix() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "df_zzz_qqq")]
        struct Nothing {}
    });
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("; register a custom event without it under `[events.zzz_qqq]` in `")
            && errors[0].ends_with("` and name it with `#[dfinery(event = \"zzz_qqq\")]`"),
        "{}",
        errors[0]
    );
    assert!(!errors[0].contains("[events.df_zzz_qqq]"), "{}", errors[0]);
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "app_review")]
        struct Review { rating: i64, DF_zzz_qqq: Option<String> }
    });
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(
            "unknown property `DF_zzz_qqq` for event `app_review`, and the `df_` prefix is reserved for DFINERY's standard names; map the field to a custom name with `#[dfinery(rename = \"zzz_qqq\")]` and register it under `[events.app_review]`"
        ),
        "{}",
        errors[0]
    );
}

#[test]
fn a_standard_event_that_is_not_enabled_says_where_to_enable_it() {
    let (checked, errors) = event(syn::parse_quote! {
        #[dfinery(event = "df_refund")]
        struct Refund {}
    });
    assert!(checked.is_none());
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("standard event `df_refund` is not enabled in `"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].ends_with("`; add `\"df_refund\"` to `standard_events`"),
        "{}",
        errors[0]
    );
}

#[test]
fn an_invalid_event_name_is_reported_as_such() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "Bad Name")]
        struct Bad {}
    });
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("invalid event name: "),
        "{}",
        errors[0]
    );
}

// --- events: properties ---

#[test]
fn an_unknown_property_suggests_the_closest_and_does_not_also_report_it_missing() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "app_review")]
        struct Review { ratign: i64 }
    });
    // `rating` is required and unfilled, but the did-you-mean already says what to do.
    assert_one(
        &errors,
        "unknown property `ratign` for event `app_review`; did you mean `rating`?",
    );
}

/// A name `rename_all` made that is not registered says it came from `rename_all` and how to
/// map the field: "did you mean `lifetime_points`?" at a field already named `lifetime_points`
/// gave no fix the user could apply (renaming the field changes nothing under the style).
#[test]
fn a_name_made_by_rename_all_says_so_and_how_to_map_the_field() {
    let (_, errors) = profile(syn::parse_quote! {
        #[dfinery(rename_all = "camelCase")]
        struct Member { lifetime_points: i64 }
    });
    assert_one(
        &errors,
        "unknown user property `lifetimePoints` (the name `rename_all = \"camelCase\"` makes of field `lifetime_points`); did you mean `lifetime_points`? map the field to it with `#[dfinery(rename = \"lifetime_points\")]`",
    );
    // A field the style leaves as it is reads as before.
    let (_, errors) = profile(syn::parse_quote! {
        #[dfinery(rename_all = "camelCase")]
        struct Member { tiers: String }
    });
    assert_one(
        &errors,
        "unknown user property `tiers`; did you mean `tier`?",
    );
}

#[test]
fn an_unknown_property_with_no_close_name_gives_the_fix() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "app_review")]
        struct Review { rating: i64, qqqqqqqq: i64 }
    });
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(
            "unknown property `qqqqqqqq` for event `app_review`; register it under `[events.app_review]` in `"
        ),
        "{}",
        errors[0]
    );
    assert!(errors[0].ends_with("` or mark the field `#[dfinery(skip)]`"));
}

#[test]
fn an_item_property_on_the_event_points_to_the_item_type() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "wishlist_shared")]
        struct Shared { note: String }
    });
    assert_one(
        &errors,
        "unknown property `note` for event `wishlist_shared`; it is an item property: put it on the item type (`#[derive(DfineryItem)]`) held by a `#[dfinery(items)]` field",
    );
}

#[test]
fn an_invalid_property_name_is_reported_with_a_suggestion() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "app_review")]
        struct Review {
            rating: i64,
            #[dfinery(rename = "comm ent")]
            comment: String,
        }
    });
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("invalid property name: "),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].ends_with("; did you mean `comment`?"),
        "{}",
        errors[0]
    );
}

/// A field whose own name cannot be a property name is told about `rename` and `skip` (a
/// `_marker: PhantomData<T>` is no property); a bad `rename` literal is only told the rule.
#[test]
fn an_invalid_field_name_gets_the_attributes_that_fix_it() {
    let (_, errors) = profile(syn::parse_quote! {
        struct Member {
            lifetime_points: i64,
            _marker: PhantomData<u8>,
            #[dfinery(rename = "_points")]
            points: i64,
        }
    });
    assert_eq!(
        errors,
        [
            "invalid property name: name `_marker` starts with `_`; start it with an ASCII letter; or map the field with `#[dfinery(rename = \"...\")]`, or leave it out with `#[dfinery(skip)]` if it is not a property",
            "invalid property name: name `_points` starts with `_`; start it with an ASCII letter",
        ]
    );
}

#[test]
fn a_property_filled_twice_is_reported_at_the_second_field() {
    let (checked, errors) = event(syn::parse_quote! {
        #[dfinery(event = "app_review")]
        struct Review {
            rating: i64,
            #[dfinery(rename = "rating")]
            stars: i64,
        }
    });
    assert_one(
        &errors,
        "property `rating` is already filled by field `rating`; map each property to one field",
    );
    assert_eq!(names(&checked.expect("checked").1), ["rating"]);
}

// --- required properties and wrappers (type mapping) ---

#[test]
fn a_missing_required_property_is_named() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "app_review")]
        struct Review { comment: String }
    });
    assert_one(
        &errors,
        "missing required property `rating` for event `app_review`; add a field for it (`#[dfinery(rename = \"...\")]` maps a field with another name)",
    );
}

#[test]
fn several_missing_required_properties_are_named_together() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "coupon_used")]
        struct Coupon {
            #[dfinery(items)]
            items: Vec<u8>,
        }
    });
    assert_one(
        &errors,
        "missing required properties `amount`, `coupon_code` for event `coupon_used`; add a field for each (`#[dfinery(rename = \"...\")]` maps a field with another name)",
    );
}

#[test]
fn a_required_property_cannot_be_an_option() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "app_review")]
        struct Review { rating: Option<i64> }
    });
    assert_one(
        &errors,
        "property `rating` is required for event `app_review`; use `i64` instead of `Option<i64>`",
    );
}

#[test]
fn patch_is_only_for_user_properties() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "app_review")]
        struct Review { rating: i64, comment: dfinery::Patch<String> }
    });
    assert_one(
        &errors,
        "`Patch` is only for user properties (it can send `null`); use `Option<String>` for the optional property `comment`",
    );
    let (checked, errors) = profile(syn::parse_quote! {
        struct Points { lifetime_points: Patch<i64>, tier: Option<String> }
    });
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(
        names(&checked.expect("checked")),
        ["lifetime_points", "tier"]
    );
}

#[test]
fn an_optional_property_may_be_an_option_and_a_required_one_plain() {
    let (checked, errors) = event(syn::parse_quote! {
        #[dfinery(event = "app_review")]
        struct Review { rating: i64, comment: Option<String>, channel: core::option::Option<String> }
    });
    assert!(errors.is_empty(), "{errors:#?}");
    let specs = checked.expect("checked").1;
    assert_eq!(specs[2].enum_values, ["web", "app"]);
}

// --- items on events ---

#[test]
fn items_must_fit_the_event() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "app_review")]
        struct Review {
            rating: i64,
            #[dfinery(items)]
            items: Vec<u8>,
        }
    });
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("event `app_review` takes no items (it has no item properties in `"),
        "{}",
        errors[0]
    );
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "coupon_used")]
        struct Coupon { coupon_code: String, amount: f64 }
    });
    assert_one(
        &errors,
        "event `coupon_used` requires items; add a field `#[dfinery(items)] items: Vec<T>` where `T` derives `DfineryItem`",
    );
    // An items field whose attributes conflict is one error, the conflict: "requires items;
    // add a field `#[dfinery(items)]`" followed it, though the field was there.
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "coupon_used")]
        struct Coupon {
            coupon_code: String,
            amount: f64,
            #[dfinery(items, datetime)]
            items: Vec<u8>,
        }
    });
    assert_one(
        &errors,
        "`items` and `datetime` cannot be combined on one field; keep one",
    );
    let (checked, errors) = event(syn::parse_quote! {
        #[dfinery(event = "coupon_used")]
        struct Coupon {
            coupon_code: String,
            amount: f64,
            #[dfinery(items)]
            items: Vec<u8>,
        }
    });
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(checked.expect("checked").2, Some(true));
    let (checked, _) = event(syn::parse_quote! {
        #[dfinery(event = "wishlist_shared")]
        struct Shared {
            #[dfinery(items)]
            items: Vec<u8>,
        }
    });
    assert_eq!(checked.expect("checked").2, Some(false));
}

/// An event that requires items refuses an `Option` of them at compile time, as a required
/// property refuses `Option`: `None` failed every send at run time. Optional items may be one.
#[test]
fn required_items_cannot_be_an_option() {
    for (ty, fix) in [
        (
            quote::quote!(Option<Vec<Line>>),
            "use `Vec<Line>` instead of `Option<Vec<Line>>`",
        ),
        (
            quote::quote!(Box<Option<&'a [Line]>>),
            "use `&'a [Line]` instead of `Box<Option<&'a [Line]>>`",
        ),
    ] {
        let (_, errors) = event(syn::parse_quote! {
            #[dfinery(event = "coupon_used")]
            struct Coupon<'a> {
                coupon_code: String,
                amount: f64,
                #[dfinery(items)]
                items: #ty,
            }
        });
        assert_one(
            &errors,
            &format!("event `coupon_used` requires items; {fix}"),
        );
    }
    let (checked, errors) = event(syn::parse_quote! {
        #[dfinery(event = "wishlist_shared")]
        struct Shared {
            #[dfinery(items)]
            items: Option<Vec<Line>>,
        }
    });
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(checked.expect("checked").2, Some(false));
}

#[test]
fn one_items_field_and_no_type_parameter_in_it() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "wishlist_shared")]
        struct Shared {
            #[dfinery(items)]
            first: Vec<u8>,
            #[dfinery(items)]
            second: Vec<u8>,
        }
    });
    assert_one(
        &errors,
        "`#[dfinery(items)]` is already on field `first`; an event has one such field",
    );
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "wishlist_shared")]
        struct Shared<T> {
            #[dfinery(items)]
            items: Vec<T>,
        }
    });
    assert_one(
        &errors,
        "the items field cannot use the type parameter `T` (the event's description is a `static`); name the item type",
    );
}

/// A static cannot name a const parameter either: `[Line; N]` would otherwise fail in the
/// generated code with "cannot find value `N`", away from what to do about it.
#[test]
fn no_const_parameter_in_the_items_field() {
    let (_, errors) = event(syn::parse_quote! {
        #[dfinery(event = "wishlist_shared")]
        struct Shared<const N: usize> {
            #[dfinery(items)]
            items: [Line; N],
        }
    });
    assert_one(
        &errors,
        "the items field cannot use the const parameter `N` (the event's description is a `static`); give the array a fixed length or use a `Vec`",
    );
}

#[test]
fn the_checked_model_says_what_each_field_fills_in_declaration_order() {
    let input = with_registry(syn::parse_quote! {
        #[dfinery(event = "coupon_used")]
        struct Used {
            #[dfinery(log_id)]
            id: Uuid,
            amount: f64,
            #[dfinery(skip)]
            note: String,
            coupon_code: String,
            #[dfinery(items)]
            lines: Vec<Line>,
            #[dfinery(datetime)]
            at: Datetime,
        }
    });
    let mut errors = Errors::new();
    let parsed = Struct::from_input(&input, Kind::Event, &mut errors).expect("parses");
    let checked = check_struct(&parsed, &mut errors).expect("checked");
    assert!(errors.is_empty(), "{:#?}", messages(errors));
    let fills: Vec<(String, String)> = checked
        .fields
        .iter()
        .map(|f| {
            let fills = match &f.fills {
                Fills::Property(spec) => format!("property {}", spec.name),
                Fills::Items { required } => format!("items, required: {required}"),
                Fills::Datetime => "datetime".to_owned(),
                Fills::LogId => "log_id".to_owned(),
                Fills::Nothing => "nothing".to_owned(),
            };
            (f.field.rust_name(), fills)
        })
        .collect();
    let expected = [
        ("id", "log_id"),
        ("amount", "property amount"),
        ("note", "nothing"),
        ("coupon_code", "property coupon_code"),
        ("lines", "items, required: true"),
        ("at", "datetime"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(fills, expected);
    // The property fields in order: the `i`-th reads spec constant `i`.
    let properties: Vec<String> = checked.properties().map(|(f, _)| f.rust_name()).collect();
    assert_eq!(properties, ["amount", "coupon_code"]);
    assert_eq!(
        checked.items().map(|(f, r)| (f.rust_name(), r)),
        Some(("lines".to_owned(), true))
    );
    assert_eq!(
        checked.datetime().map(|f| f.rust_name()).as_deref(),
        Some("at")
    );
    assert_eq!(
        checked.log_id().map(|f| f.rust_name()).as_deref(),
        Some("id")
    );
}

// --- items ---

#[test]
fn an_item_is_checked_against_each_event_with_the_strictest_rules() {
    let (checked, errors) = item(syn::parse_quote! {
        #[dfinery(event = "wishlist_shared", event = "coupon_used")]
        struct Line { sku: String, colour: Option<String>, note: Option<String> }
    });
    // `note` is not an item property of `coupon_used`.
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(
            "unknown item property `note` for event `coupon_used`; register it under `[events.coupon_used]` as `items.<name>` in `"
        ),
        "{}",
        errors[0]
    );
    let (events, specs) = checked.expect("checked");
    assert_eq!(events, ["wishlist_shared", "coupon_used"]);
    assert_eq!(names(&specs), ["sku", "colour", "note"]);
    // The strictest of both: `sku` is limited to 12 characters by `coupon_used` only, and
    // only the colours both events allow remain.
    assert_eq!(specs[0].max_len, Some(12));
    assert!(specs[0].required);
    assert_eq!(specs[1].enum_values, ["red", "green"]);
    assert_eq!(specs[1].scope, Scope::Item);
}

#[test]
fn a_required_item_property_must_be_filled_for_each_event() {
    let (_, errors) = item(syn::parse_quote! {
        #[dfinery(event = "coupon_used", event = "wishlist_shared")]
        struct Line { colour: Option<String> }
    });
    assert_eq!(
        errors,
        [
            "missing required item property `sku` for event `coupon_used`; add a field for it (`#[dfinery(rename = \"...\")]` maps a field with another name)",
            "missing required item property `sku` for event `wishlist_shared`; add a field for it (`#[dfinery(rename = \"...\")]` maps a field with another name)",
        ]
    );
}

#[test]
fn an_item_field_with_two_types_under_two_events_is_an_error() {
    let (_, errors) = item(syn::parse_quote! {
        #[dfinery(event = "wishlist_shared", event = "coupon_used")]
        struct Line { sku: String, gift_wrap: Option<bool> }
    });
    assert_one(
        &errors,
        "item property `gift_wrap` is a Boolean for event `wishlist_shared` but a String for event `coupon_used`; one field can fill only one type",
    );
}

#[test]
fn an_item_field_whose_values_under_two_events_have_none_in_common_is_an_error() {
    // Merged, the values both events allow were none, which the run-time checks read as any
    // value allowed: `size: "xl"` was sent though both events refuse it.
    let (_, errors) = item(syn::parse_quote! {
        #[dfinery(event = "wishlist_shared", event = "coupon_used")]
        struct Line { sku: String, size: Option<String> }
    });
    assert_one(
        &errors,
        "item property `size` allows \"l\" for event `wishlist_shared` but \"s\", \"m\" for event `coupon_used`; no value fits both, so one field cannot fill it for both: give the item one of the events, or register a value both allow",
    );
}

#[test]
fn the_values_an_item_field_had_are_those_every_event_before_shares() {
    // The message credited the values the first two events share to the first alone, which
    // allows `blue` too.
    let (_, errors) = item(syn::parse_quote! {
        #[dfinery(event = "wishlist_shared", event = "coupon_used", event = "gift_sent")]
        struct Line { sku: String, colour: Option<String> }
    });
    assert_one(
        &errors,
        "item property `colour` allows \"red\", \"green\" for events `wishlist_shared` and `coupon_used` but \"blue\" for event `gift_sent`; no value fits both, so one field cannot fill it for both: give the item one of the events, or register a value both allow",
    );
}

#[test]
fn an_item_needs_events_that_take_items_listed_once() {
    let (checked, errors) = item(syn::parse_quote! {
        struct Line { sku: String }
    });
    assert!(checked.is_none());
    assert_one(
        &errors,
        "`DfineryItem` needs the events whose items it fills, to check its fields against their item properties; add `#[dfinery(event = \"df_purchase\")]` (once per event)",
    );
    let (checked, errors) = item(syn::parse_quote! {
        #[dfinery(event = "wishlist_shared", event = "wishlist_shared", event = "app_review")]
        struct Line { sku: String }
    });
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!(
        errors[0],
        "event `wishlist_shared` is listed twice; keep one"
    );
    assert!(
        errors[1].starts_with("event `app_review` takes no items"),
        "{}",
        errors[1]
    );
    assert_eq!(checked.expect("checked").0, ["wishlist_shared"]);
    let (_, errors) = item(syn::parse_quote! {
        #[dfinery(event = "coupon_used")]
        struct Line { sku: String, coupon_code: String }
    });
    assert_one(
        &errors,
        "unknown item property `coupon_code` for event `coupon_used`; it is an event property: put it on the event struct",
    );
}

// --- profiles ---

/// An `Option` inside an `Option` or a `Patch` of a user property is refused: its `None` looks
/// like a clear but sent nothing (`Some(None)` and `Patch::Set(None)` are absent). `Patch`'s
/// `Clear` sends the `null` that clears; an `Option<Patch<T>>` keeps that `Clear`, so it stays.
#[test]
fn a_user_property_option_inside_an_option_or_a_patch_cannot_clear_and_says_patch_does() {
    let (_, errors) = profile(syn::parse_quote! {
        struct Me {
            tier: Option<Option<String>>,
            lifetime_points: Patch<Box<Option<i64>>>,
        }
    });
    assert_eq!(
        errors,
        [
            "`Option<Option<String>>` cannot clear user property `tier`: `Some(None)` sends nothing, as `None` does; use `Patch<String>`, whose `Patch::Clear` sends the `null` that clears it",
            "`Patch<Box<Option<i64>>>` cannot clear user property `lifetime_points`: `Patch::Set(None)` sends nothing, as `Patch::Keep` does; use `Patch<i64>`, whose `Patch::Clear` sends the `null` that clears it",
        ]
    );
    let (checked, errors) = profile(syn::parse_quote! {
        struct Me { tier: Option<Patch<String>>, lifetime_points: Box<Option<i64>> }
    });
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(checked.expect("checked").len(), 2);
}

#[test]
fn a_standard_user_property_that_is_not_enabled_says_where_to_enable_it() {
    let (_, errors) = profile(syn::parse_quote! {
        struct Me { df_name: String, df_gender: String }
    });
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("standard user property `df_name` is not enabled in `"),
        "{}",
        errors[0]
    );
    assert!(errors[0].ends_with("`; add `\"df_name\"` to `standard_user_properties`"));
}

#[test]
fn an_unknown_user_property_suggests_or_gives_the_fix() {
    let (_, errors) = profile(syn::parse_quote! {
        struct Me { lifetime_point: i64 }
    });
    assert_one(
        &errors,
        "unknown user property `lifetime_point`; did you mean `lifetime_points`?",
    );
    let (_, errors) = profile(syn::parse_quote! {
        struct Me { qqqqqqqq: i64 }
    });
    assert!(
        errors[0].starts_with(
            "unknown user property `qqqqqqqq`; register it under `[user_properties]` in `"
        ),
        "{errors:#?}"
    );
}

// --- enums ---

#[test]
fn enum_values_must_be_registered_values_of_a_string_property() {
    let (bound, errors) = enumeration(syn::parse_quote! {
        #[dfinery(user_property = "tier", rename_all = "lowercase")]
        enum Tier { Bronze, Silver, Gold }
    });
    assert!(bound && errors.is_empty(), "{errors:#?}");
    let (_, errors) = enumeration(syn::parse_quote! {
        #[dfinery(user_property = "tier", rename_all = "lowercase")]
        enum Tier { Bronze, Silvr, Platinum }
    });
    assert_eq!(
        errors,
        [
            "`silvr` is not a registered value of user property `tier`; did you mean `silver`? (set it with `#[dfinery(rename = \"silver\")]`)",
            "`platinum` is not a registered value of user property `tier`; the registered values are `bronze`, `silver`, `gold`",
        ]
    );
    let (_, errors) = enumeration(syn::parse_quote! {
        #[dfinery(user_property = "lifetime_points")]
        enum Points { One }
    });
    assert_one(
        &errors,
        "user property `lifetime_points` is registered as Long; a `DfineryEnum` can only fill a String or an Array of String property",
    );
}

/// Variants whose values are registered under one `rename_all` style get that style once, not
/// a `rename` hint each; a variant's own `rename` is kept, and is not changed by the style.
#[test]
fn values_one_rename_all_style_would_register_get_that_style_once() {
    let (_, errors) = enumeration(syn::parse_quote! {
        #[dfinery(user_property = "tier")]
        enum Tier { Bronze, Silver, Gold }
    });
    assert_one(
        &errors,
        "`Bronze`, `Silver`, `Gold` are not registered values of user property `tier`; add `#[dfinery(rename_all = \"lowercase\")]` to the enum, which sends them as `bronze`, `silver`, `gold`, the registered values",
    );
    let (_, errors) = enumeration(syn::parse_quote! {
        #[dfinery(user_property = "tier", rename_all = "UPPERCASE")]
        enum Tier { Bronze, #[dfinery(rename = "silver")] Argent, Gold }
    });
    assert_one(
        &errors,
        "`BRONZE`, `GOLD` are not registered values of user property `tier`; change the enum's `rename_all = \"UPPERCASE\"` to `rename_all = \"lowercase\"`, which sends them as `bronze`, `gold`, the registered values",
    );
    // One wrong value keeps its own hint; so do values no single style registers.
    let (_, errors) = enumeration(syn::parse_quote! {
        #[dfinery(user_property = "tier", rename_all = "lowercase")]
        enum Tier { Bronze, #[dfinery(rename = "Silver")] Silver, Gold }
    });
    assert_one(
        &errors,
        "`Silver` is not a registered value of user property `tier`; did you mean `silver`? (set it with `#[dfinery(rename = \"silver\")]`)",
    );
    let (_, errors) = enumeration(syn::parse_quote! {
        #[dfinery(user_property = "tier")]
        enum Tier { Bronze, Silvr, Gold }
    });
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

/// A variant whose `#[dfinery(...)]` has an error gets that error only: its value is not the
/// one meant, so it is not also reported as unregistered or as a duplicate.
#[test]
fn a_variant_with_an_attribute_error_is_not_also_checked_as_a_value() {
    let (_, errors) = enumeration(syn::parse_quote! {
        #[dfinery(user_property = "tier")]
        enum Tier {
            #[dfinery(rename = 5)]
            Bronze,
            #[dfinery(renam = "bronze")]
            Silver,
            #[dfinery(rename = "bronze")]
            Gold,
        }
    });
    assert_eq!(
        errors,
        [
            "`rename` takes a string literal; write `rename = \"...\"`",
            "unknown attribute `renam` on a `DfineryEnum` variant; did you mean `rename`?",
        ]
    );
}

/// An error in the enum's own `#[dfinery(...)]` is the only error: the registry checks are
/// skipped, as a struct's are, since the style, the binding or the registry meant are unknown.
/// They added an error at the enum advising the `rename_all` the first error already named.
#[test]
fn an_enum_attribute_error_is_the_only_error() {
    let (bound, errors) = enumeration(syn::parse_quote! {
        #[dfinery(user_property = "tier", rename_all = "lower")]
        enum Tier { Bronze, Silver, Gold }
    });
    assert!(!bound);
    assert_one(
        &errors,
        "unknown `rename_all` style `lower`; did you mean `lowercase`?",
    );
    let (bound, errors) = enumeration(syn::parse_quote! {
        #[dfinery(user_property = "tier", registry = 5)]
        enum Tier { Bronze }
    });
    assert!(!bound);
    assert_one(
        &errors,
        "`registry` takes a string literal; write `registry = \"...\"`",
    );
}

#[test]
fn enum_bindings_resolve_event_and_item_properties() {
    let (_, errors) = enumeration(syn::parse_quote! {
        #[dfinery(event = "app_review", property = "channel", rename_all = "lowercase")]
        enum Channel { Web, App, Store }
    });
    assert_one(
        &errors,
        "`store` is not a registered value of property `channel` of event `app_review`; the registered values are `web`, `app`",
    );
    let (_, errors) = enumeration(syn::parse_quote! {
        #[dfinery(event = "df_purchase", item = "color", rename_all = "lowercase")]
        enum Colour { Red }
    });
    assert_one(
        &errors,
        "unknown item property `color` for event `df_purchase`; did you mean `colour`?",
    );
    let (_, errors) = enumeration(syn::parse_quote! {
        #[dfinery(event = "app_review", property = "qqqqqqqq")]
        enum Q { A }
    });
    assert_one(
        &errors,
        "unknown property `qqqqqqqq` for event `app_review`; register it under `[events.app_review]`",
    );
}

#[test]
fn enum_user_bindings_explain_unknown_and_not_enabled_properties() {
    let (_, errors) = enumeration(syn::parse_quote! {
        #[dfinery(user_property = "df_membership")]
        enum M { A }
    });
    assert!(
        errors[0].starts_with("standard user property `df_membership` is not enabled in `"),
        "{errors:#?}"
    );
    let (_, errors) = enumeration(syn::parse_quote! {
        #[dfinery(user_property = "teir")]
        enum T { A }
    });
    assert_one(
        &errors,
        "unknown user property `teir`; did you mean `tier`?",
    );
    let (_, errors) = enumeration(syn::parse_quote! {
        #[dfinery(user_property = "qqqqqqqq")]
        enum T { A }
    });
    assert!(
        errors[0].starts_with(
            "unknown user property `qqqqqqqq`; register it under `[user_properties]` in `"
        ),
        "{errors:#?}"
    );
}

#[test]
fn enum_values_are_unique_and_an_unbound_enum_needs_no_registry() {
    let (bound, errors) = enumeration(syn::parse_quote! {
        enum E {
            A,
            #[dfinery(rename = "A")]
            B,
        }
    });
    assert!(!bound);
    assert_one(
        &errors,
        "value `A` is already used by variant `A`; give each variant its own value with `#[dfinery(rename = \"...\")]`",
    );
}

// --- merging (the strictest rules) ---

#[test]
fn merging_takes_the_other_values_when_none_are_set_and_keeps_the_smaller_limits() {
    let base = Spec {
        name: "sku".into(),
        ty: DataType::String,
        required: false,
        max_len: None,
        max_items: Some(5),
        enum_values: vec![],
        scope: Scope::Item,
    };
    let mut a = base.clone();
    a.merge(&Spec {
        max_len: Some(7),
        max_items: Some(9),
        enum_values: vec!["x".into()],
        ..base.clone()
    });
    assert_eq!(a.max_len, Some(7));
    assert_eq!(a.max_items, Some(5));
    assert_eq!(a.enum_values, ["x"]);
    assert!(!a.required);
    let mut b = Spec {
        enum_values: vec!["x".into(), "y".into()],
        ..base.clone()
    };
    b.merge(&base);
    assert_eq!(
        b.enum_values,
        ["x", "y"],
        "no values on the other side: any value"
    );
    assert_eq!(min_option(Some(3), Some(2)), Some(2));
    assert_eq!(min_option(None, Some(2)), Some(2));
    assert_eq!(min_option(None, None), None);
}
