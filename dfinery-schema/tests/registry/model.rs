//! Looking things up in a registry, and "did you mean" over its names.

use dfinery_schema::Registry;

use crate::support::load_ok;

fn registry() -> Registry {
    load_ok("lookup.toml")
}

#[test]
fn events_and_user_properties_are_found_by_exact_name() {
    let r = registry();
    assert_eq!(r.event("coupon_used").unwrap().name, "coupon_used");
    assert!(r.event("Coupon_used").is_none());
    assert!(r.event("df_refund").is_none());
    assert_eq!(
        r.user_property("lifetime_points").unwrap().name,
        "lifetime_points"
    );
    assert!(r.user_property("df_push_optin").is_some());
    assert!(r.user_property("df_name").is_none());
}

#[test]
fn properties_and_items_are_found_by_name() {
    let r = registry();
    let e = r.event("coupon_used").unwrap();
    assert!(e.property("amount").is_some());
    assert!(e.property("sku").is_none());
    assert!(e.item_property("sku").is_some());
    assert!(e.takes_items());
    assert!(!r.event("df_login").unwrap().takes_items());
}

#[test]
fn required_iterators_list_only_required_ones() {
    let r = registry();
    let e = r.event("coupon_used").unwrap();
    let names = |it: Vec<&dfinery_schema::PropertyDef>| {
        it.into_iter().map(|p| p.name.clone()).collect::<Vec<_>>()
    };
    assert_eq!(names(e.required_properties().collect()), ["coupon_code"]);
    assert_eq!(names(e.required_items().collect()), ["sku"]);
    let purchase = r.event("df_purchase").unwrap();
    assert_eq!(
        names(purchase.required_properties().collect()),
        [
            "df_delivery_charge",
            "df_discount",
            "df_order_id",
            "df_payment_method",
            "df_total_purchase_amount"
        ]
    );
    assert_eq!(
        names(purchase.required_items().collect()),
        [
            "df_discount",
            "df_item_id",
            "df_item_name",
            "df_price",
            "df_quantity"
        ]
    );
}

#[test]
fn suggestions_come_from_the_registered_names() {
    let r = registry();
    assert_eq!(r.suggest_event("coupon_use"), Some("coupon_used"));
    assert_eq!(r.suggest_event("purchase"), Some("df_purchase"));
    assert_eq!(r.suggest_event("df_refund"), None);
    assert_eq!(
        r.suggest_user_property("lifetime_point"),
        Some("lifetime_points")
    );
    assert_eq!(r.suggest_user_property("df_gendre"), Some("df_gender"));
    let purchase = r.event("df_purchase").unwrap();
    assert_eq!(purchase.suggest_property("df_order"), Some("df_order_id"));
    assert_eq!(purchase.suggest_item_property("df_prise"), Some("df_price"));
    assert_eq!(purchase.suggest_item_property("colour"), None);
}
