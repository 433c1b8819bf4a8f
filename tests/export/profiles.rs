//! User-profile exports decoded into a `DfineryProfile`: from a fixture, and sent to the
//! emulator and exported back.

use dfinery::export::{ExportError, ExportKind, ExportRows, ProfileQuery};
use dfinery::{Date, Patch, Profile};
use std::fs::File;

use crate::model::{Member, Purchase, Tier};
use crate::support::{client, emulator, fixture, user};

#[test]
fn a_saved_profile_export_decodes_with_its_ids() {
    let profiles: Vec<_> = ExportRows::new(File::open(fixture("profiles.csv")).unwrap())
        .unwrap()
        .profiles::<Member>()
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(profiles.len(), 3);
    assert_eq!(profiles[0].unified_id, "u-1");
    assert_eq!(profiles[0].external_id.as_deref(), Some("dfn-user-123"));
    assert_eq!(
        profiles[0].profile,
        Member {
            df_name: Patch::Set("Hong, Gildong".to_owned()),
            df_membership: Some("VIP".to_owned()),
            df_birth: Some(Date::from_ymd(1999, 1, 1).unwrap()),
            df_push_ads_optin: Some(true),
            lifetime_points: Some(34000),
            avg_basket: Some(42.195),
            favorite_brands: Some(vec!["A,1".to_owned(), "B \"2\"".to_owned()]),
            tier: Some(Tier::Gold),
        }
    );
    // An empty cell is a cleared value; an empty external id is none.
    assert_eq!(profiles[1].external_id, None);
    assert_eq!(profiles[1].profile.df_name, Patch::Clear);
    assert_eq!(profiles[1].profile.favorite_brands, Some(Vec::new()));
    assert_eq!(
        profiles[2].profile.df_name,
        Patch::Set("Line\nBreak".to_owned())
    );
    assert_eq!(profiles[2].profile.tier, Some(Tier::Bronze));
}

#[test]
fn a_profile_export_decodes_the_same_whatever_its_column_order() {
    // Property columns first and `df_unified_id` last, as in DFINERY's example export, and
    // the properties in reverse order: columns are found by header name, never by position.
    let decode = |name: &str| -> Vec<_> {
        ExportRows::new(File::open(fixture(name)).unwrap())
            .unwrap()
            .profiles::<Member>()
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let usual = decode("profiles.csv");
    let reordered = decode("profiles_reordered.csv");
    assert_eq!(reordered.len(), 3);
    assert_eq!(reordered, usual);
    assert_eq!(reordered[0].unified_id, "u-1");
    assert_eq!(reordered[0].profile.tier, Some(Tier::Gold));
}

#[tokio::test]
async fn profiles_sent_come_back_equal() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let mut sent = Vec::new();
    for i in 0..12_i64 {
        let member = Member {
            df_name: Patch::Set(format!("Name, {i} \"q\"")),
            df_membership: (i % 2 == 0).then(|| "VIP".to_owned()),
            df_birth: (i % 3 == 0).then(|| Date::from_ymd(1990, 1, 1 + i as u8).unwrap()),
            df_push_ads_optin: Some(i % 2 == 1),
            lifetime_points: Some(i * 1000),
            avg_basket: (i % 4 == 0).then_some(0.1 * i as f64),
            favorite_brands: (i % 2 == 0).then(|| vec!["a,b".to_owned(), format!("{i}")]),
            tier: [None, Some(Tier::Silver), Some(Tier::Gold)][(i % 3) as usize],
        };
        let id = format!("member-{i}");
        client
            .update_profile(&user(&id), member.to_user_properties().unwrap())
            .await
            .unwrap();
        sent.push((id, member));
    }
    let query = ProfileQuery::new()
        .properties_of::<Member>()
        .with_external_id();
    let mut got = client
        .export_profile_rows(&query)
        .await
        .and_then(|rows| rows.profiles::<Member>())
        .unwrap()
        .into_vec()
        .await
        .unwrap();
    got.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    sent.sort_by(|a, b| a.0.cmp(&b.0));
    let got: Vec<(String, Member)> = got
        .into_iter()
        .map(|p| (p.external_id.unwrap(), p.profile))
        .collect();
    assert_eq!(got, sent);
}

/// A member with only `favorite_brands` set to `brands`.
fn with_brands(brands: Vec<String>) -> Member {
    Member {
        df_name: Patch::Keep,
        df_membership: None,
        df_birth: None,
        df_push_ads_optin: None,
        lifetime_points: None,
        avg_basket: None,
        favorite_brands: Some(brands),
        tier: None,
    }
}

#[tokio::test]
async fn arrays_of_11_and_300_values_go_through_end_to_end() {
    let emulator = emulator().await;
    let client = client(&emulator);
    // DFINERY limits the number of array user properties, not the values in one array.
    let eleven: Vec<String> = (0..11).map(|i| format!("brand-{i}")).collect();
    let three_hundred: Vec<String> = (0..300).map(|i| format!("b{i}")).collect();
    for (id, brands) in [("eleven", &eleven), ("three-hundred", &three_hundred)] {
        let member = with_brands(brands.clone());
        client
            .update_profile(&user(id), member.to_user_properties().unwrap())
            .await
            .unwrap();
    }
    assert_eq!(emulator.stats().rejected, 0);
    let query = ProfileQuery::new()
        .properties_of::<Member>()
        .with_external_id();
    let mut got = client
        .export_profile_rows(&query)
        .await
        .and_then(|rows| rows.profiles::<Member>())
        .unwrap()
        .into_vec()
        .await
        .unwrap();
    got.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    let brands: Vec<(Option<String>, Option<Vec<String>>)> = got
        .into_iter()
        .map(|p| (p.external_id, p.profile.favorite_brands))
        .collect();
    assert_eq!(
        brands,
        [
            (Some("eleven".to_owned()), Some(eleven)),
            (Some("three-hundred".to_owned()), Some(three_hundred)),
        ]
    );
}

#[tokio::test]
async fn a_9_kb_array_is_refused_before_sending() {
    let emulator = emulator().await;
    let client = client(&emulator);
    // Nine values of 1 KB: over the 8 KB a value may hold.
    let member = with_brands((0..9).map(|_| "x".repeat(1_024)).collect());
    let error = client
        .update_profile(&user("big"), &member)
        .await
        .unwrap_err();
    let dfinery::Error::InvalidProfile(invalid) = &error else {
        panic!("expected InvalidProfile, got {error:?}");
    };
    assert_eq!(invalid.violations.len(), 1);
    assert_eq!(
        invalid.violations[0].to_string(),
        "`user_properties.favorite_brands`: is 9244 bytes of JSON; at most 8192 are allowed"
    );
    let props = dfinery::UserProperties::builder()
        .property("favorite_brands", vec!["x".repeat(1_024); 9])
        .build();
    assert!(props.is_err(), "the dynamic builder refuses it too");
    assert_eq!(emulator.stats().requests, 0, "nothing was sent");
}

#[test]
fn an_export_of_the_other_kind_is_refused_naming_both_kinds() {
    // `Member`'s fields are all optional, and an event export has `df_unified_id`: its rows
    // decoded silently as profiles, every property `None`.
    let error = ExportRows::new(File::open(fixture("purchases.csv")).unwrap())
        .unwrap()
        .profiles::<Member>()
        .expect_err("an event export is not decoded as profiles");
    assert!(
        matches!(
            error,
            ExportError::WrongKind {
                rust_type: "Member",
                found: ExportKind::Events,
                asked: ExportKind::Profiles
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "this is an event export, but `Member` decodes user profiles; read it with `.events::<T>()` into a type of that kind, or export user profiles instead"
    );
    // The reverse named the event system columns as missing, as if the query had left them out.
    let error = ExportRows::new(File::open(fixture("profiles.csv")).unwrap())
        .unwrap()
        .events::<Purchase>()
        .expect_err("a profile export is not decoded as events");
    assert_eq!(
        error.to_string(),
        "this is a user-profile export, but `Purchase` decodes events; read it with `.profiles::<T>()` into a type of that kind, or export events instead"
    );
    assert!(!error.is_retryable());
}
