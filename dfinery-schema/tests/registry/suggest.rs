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

#[test]
fn a_name_longer_than_any_registered_one_gets_no_suggestion() {
    // A typo in the last letter is found up to 256 bytes; past that the name is not compared
    // (a name of megabytes took seconds against a registry's names).
    let name = |len: usize, last: char| format!("{}{last}", "a".repeat(len - 1));
    let (candidate, typo) = (name(256, 'b'), name(256, 'c'));
    assert_eq!(
        suggest(&typo, [candidate.as_str()]),
        Some(candidate.as_str())
    );
    let (candidate, typo) = (name(257, 'b'), name(257, 'c'));
    assert_eq!(suggest(&typo, [candidate.as_str()]), None);
    let huge = format!("df_purchase{}", "x".repeat(1 << 20));
    assert_eq!(suggest(&huge, EVENTS), None);
}
