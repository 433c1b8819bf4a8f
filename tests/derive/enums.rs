//! `#[derive(DfineryEnum)]`: variants are sent as their registered values, as properties and
//! as array elements.

use dfinery::{DfineryEnumValue, PropertyValue, Value};

use crate::model::{Gender, Tier};

#[test]
fn values_are_the_variant_names_or_their_renames() {
    assert_eq!(Gender::VALUES, &["Male", "Female", "NonBinary", "Other"]);
    let all = [
        Gender::Male,
        Gender::Female,
        Gender::NonBinary,
        Gender::Other,
    ];
    let strs: Vec<&str> = all.iter().map(DfineryEnumValue::as_str).collect();
    assert_eq!(strs, Gender::VALUES);
    assert_eq!(Tier::VALUES, &["bronze", "silver", "gold"]);
    assert_eq!(Tier::Silver.as_str(), "silver");
    assert_eq!(Tier::Gold.to_value(), Some(Value::String("gold".into())));
}

#[test]
fn rename_and_every_rename_all_style() {
    #[derive(dfinery::DfineryEnum)]
    #[dfinery(rename_all = "kebab-case")]
    enum Channel {
        InStore,
        #[dfinery(rename = "APP")]
        App,
    }
    assert_eq!(Channel::VALUES, &["in-store", "APP"]);
    assert_eq!(Channel::InStore.as_str(), "in-store");
    assert_eq!(Channel::App.as_str(), "APP");
}

#[test]
fn an_enum_fills_an_array_of_string() {
    #[derive(dfinery::DfineryProfile)]
    #[dfinery(registry = "tests/dfinery.toml")]
    struct Brands {
        favorite_brands: Vec<Tier>,
    }
    use dfinery::Profile;
    let props = Brands {
        favorite_brands: vec![Tier::Gold, Tier::Bronze],
    }
    .to_user_properties()
    .unwrap();
    assert_eq!(props.get(), r#"{"favorite_brands":["gold","bronze"]}"#);
}
