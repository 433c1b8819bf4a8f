//! Rules only a value can break are checked before sending: the error names the event, the
//! property and the rule, lists every problem, and nothing is serialised.

use dfinery::{Event, Patch, Profile, Rule};

use crate::model::{AppReview, CouponUsed, Purchase, SkuLine, line, purchase};

fn review() -> AppReview {
    AppReview {
        rating: 1,
        ..AppReview::default()
    }
}

#[test]
fn a_nan_double_is_refused_naming_event_property_and_rule() {
    let event = AppReview {
        score: Some(f32::NAN),
        ..review()
    };
    let err = event.to_record().unwrap_err();
    assert_eq!(
        err.to_string(),
        "event `app_review` is invalid: `event_properties.score`: must be a finite number (found NaN)"
    );
    assert_eq!(err.violations[0].property, "score");
}

#[test]
fn a_string_over_max_len_is_refused() {
    let event = AppReview {
        comment: Some("x".repeat(21)),
        ..review()
    };
    let err = event.to_record().unwrap_err();
    assert_eq!(err.violations[0].rule, Rule::TooLong { chars: 21, max: 20 });
    assert_eq!(err.violations[0].path, "event_properties.comment");
}

#[test]
fn arrays_are_held_to_max_items_only_not_to_a_count_of_dfinery() {
    let event = AppReview {
        tags: vec!["a".into(), "b".into(), "c".into(), "d".into()],
        counts: Some((0..300).collect()),
        ..review()
    };
    let err = event.to_record().unwrap_err();
    let rules: Vec<_> = err
        .violations
        .iter()
        .map(|v| (v.property.as_ref(), &v.rule))
        .collect();
    assert_eq!(
        rules,
        vec![("tags", &Rule::TooManyElements { len: 4, max: 3 })],
        "the registry's `max_items` applies; DFINERY does not limit the number of values"
    );
    let fine = AppReview {
        counts: Some((0..300).collect()),
        ..review()
    };
    assert!(fine.to_record().is_ok());
}

#[test]
fn a_value_over_8_kb_is_refused() {
    #[derive(dfinery::DfineryEvent)]
    #[dfinery(event = "wishlist_shared", registry = "tests/dfinery.toml")]
    struct Big {
        channel: String,
    }
    let err = Big {
        channel: "x".repeat(9000),
    }
    .to_record()
    .unwrap_err();
    assert!(matches!(
        err.violations[0].rule,
        Rule::TooLarge {
            bytes: 9002,
            max: 8192
        }
    ));
    assert!(
        err.to_string()
            .starts_with("event `wishlist_shared` is invalid: `event_properties.channel`")
    );
}

#[test]
fn an_unregistered_enum_value_in_a_string_is_refused() {
    let event = AppReview {
        channel: Some("fax".into()),
        ..review()
    };
    let err = event.to_record().unwrap_err();
    assert_eq!(
        err.violations[0].to_string(),
        "`event_properties.channel`: is `fax`, which is not one of `web`, `app`, `store`"
    );
}

#[test]
fn item_rules_name_the_item() {
    let mut event: Purchase = purchase();
    let mut bad = line("SKU-002");
    bad.price = f64::INFINITY;
    event.items.push(bad);
    let err = event.to_record().unwrap_err();
    assert_eq!(err.violations[0].path, "event_items[1].df_price");
    assert!(err.to_string().contains("event `df_purchase`"));
}

#[test]
fn required_items_must_be_present() {
    let event = CouponUsed {
        coupon_code: "WELCOME".into(),
        amount: None,
        lines: vec![],
    };
    let err = event.to_record().unwrap_err();
    assert_eq!(err.violations[0].rule, Rule::NoItems);
    assert_eq!(
        err.to_string(),
        "event `coupon_used` is invalid: `event_items`: is empty; this event needs at least one item"
    );
}

#[test]
fn item_enum_values_come_from_the_registry() {
    let event = CouponUsed {
        coupon_code: "WELCOME".into(),
        amount: None,
        lines: vec![SkuLine {
            sku: "A-1".into(),
            colour: Some("purple"),
        }],
    };
    let err = event.to_record().unwrap_err();
    assert_eq!(err.violations[0].path, "event_items[0].colour");
}

#[test]
fn more_than_100_items_are_refused() {
    let mut event = purchase();
    event.items = (0..101).map(|i| line(&format!("SKU-{i}"))).collect();
    let err = event.to_record().unwrap_err();
    assert_eq!(
        err.violations[0].rule,
        Rule::TooManyItems { len: 101, max: 100 }
    );
}

#[test]
fn user_property_rules_name_the_profile() {
    let mut member = crate::descriptions::member();
    member.avg_basket = f64::NAN;
    member.tier = Patch::Clear;
    let err = member.to_user_properties().unwrap_err();
    assert_eq!(
        err.to_string(),
        "profile `Member` is invalid: `user_properties.avg_basket`: must be a finite number (found NaN)"
    );
}
