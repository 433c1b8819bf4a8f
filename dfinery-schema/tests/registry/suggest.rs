//! "Did you mean".

use dfinery_schema::suggest;

const EVENTS: [&str; 5] = [
    "df_login",
    "df_logout",
    "df_purchase",
    "df_refund",
    "coupon_used",
];

#[test]
fn typos_find_the_closest_name() {
    assert_eq!(suggest("df_purchse", EVENTS), Some("df_purchase"));
    assert_eq!(suggest("df_refnud", EVENTS), Some("df_refund"));
    assert_eq!(suggest("coupon_usde", EVENTS), Some("coupon_used"));
    assert_eq!(suggest("df_logot", EVENTS), Some("df_logout"));
}

#[test]
fn case_differences_are_found() {
    assert_eq!(suggest("DF_Purchase", EVENTS), Some("df_purchase"));
    assert_eq!(suggest("Coupon_Used", EVENTS), Some("coupon_used"));
}

#[test]
fn a_missing_or_extra_df_prefix_is_found() {
    assert_eq!(suggest("purchase", EVENTS), Some("df_purchase"));
    assert_eq!(suggest("refund", EVENTS), Some("df_refund"));
    assert_eq!(suggest("df_coupon_used", EVENTS), Some("coupon_used"));
}

#[test]
fn the_best_match_wins_over_the_first() {
    assert_eq!(
        suggest("df_loginn", ["df_logout", "df_login"]),
        Some("df_login")
    );
    assert_eq!(
        suggest("df_logouts", ["df_login", "df_logout"]),
        Some("df_logout")
    );
}

#[test]
fn nothing_close_gives_none() {
    assert_eq!(suggest("shipping_address", EVENTS), None);
    assert_eq!(suggest("x", EVENTS), None);
    assert_eq!(suggest("df_zzz", EVENTS), None);
    assert_eq!(suggest("anything", []), None);
}

#[test]
fn the_name_itself_is_never_suggested() {
    assert_eq!(suggest("df_login", ["df_login"]), None);
}
