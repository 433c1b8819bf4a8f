//! The naming rule and the reserved prefix.

use dfinery_schema::names::{MAX_NAME_LEN, NameError, check_name, is_reserved};

#[test]
fn valid_names_pass() {
    for name in [
        "a",
        "Z",
        "coupon_used",
        "CouponUsed",
        "a1_b2",
        "x_",
        "df_login",
        &"a".repeat(MAX_NAME_LEN),
    ] {
        assert_eq!(check_name(name), Ok(()), "{name}");
    }
}

#[test]
fn empty_is_rejected() {
    assert_eq!(check_name(""), Err(NameError::Empty));
    assert_eq!(
        NameError::Empty.to_string(),
        "name is empty; give it at least one ASCII letter"
    );
}

#[test]
fn a_name_must_start_with_an_ascii_letter() {
    for (name, found) in [("1abc", '1'), ("_abc", '_'), ("éa", 'é'), (" a", ' ')] {
        let err = check_name(name).unwrap_err();
        assert_eq!(
            err,
            NameError::BadStart {
                name: name.into(),
                found
            },
            "{name}"
        );
    }
    assert_eq!(
        check_name("9lives").unwrap_err().to_string(),
        "name `9lives` starts with `9`; start it with an ASCII letter"
    );
}

#[test]
fn only_ascii_letters_digits_and_underscores_follow() {
    for (name, found) in [
        ("coupon-used", '-'),
        ("a.b", '.'),
        ("caf\u{e9}", '\u{e9}'),
        ("a b", ' '),
        ("a\nb", '\n'),
    ] {
        assert_eq!(
            check_name(name),
            Err(NameError::BadChar {
                name: name.into(),
                found
            }),
            "{name:?}"
        );
    }
    assert_eq!(
        check_name("a\tb").unwrap_err().to_string(),
        "name `a\\tb` contains `\\t`; use only ASCII letters, digits and `_`"
    );
    // A name of a megabyte is quoted by its start.
    let long = format!("{}-", "a".repeat(1 << 20));
    assert_eq!(
        check_name(&long).unwrap_err().to_string(),
        format!(
            "name `{}…` contains `-`; use only ASCII letters, digits and `_`",
            "a".repeat(20)
        )
    );
}

#[test]
fn names_are_capped_at_100_characters() {
    let long = "a".repeat(MAX_NAME_LEN + 1);
    assert_eq!(
        check_name(&long),
        Err(NameError::TooLong {
            name: long.clone(),
            len: 101
        })
    );
    assert_eq!(
        check_name(&long).unwrap_err().to_string(),
        "name `aaaaaaaaaaaaaaaaaaaa…` is 101 characters long; shorten it to at most 100"
    );
}

#[test]
fn the_df_prefix_is_reserved_in_any_case() {
    assert!(is_reserved("df_login"));
    assert!(is_reserved("df_"));
    assert!(is_reserved("DF_x"));
    assert!(is_reserved("Df_x"));
    assert!(!is_reserved("df"));
    assert!(!is_reserved("dfx_login"));
    assert!(!is_reserved("my_df_x"));
    assert!(!is_reserved(""));
    assert!(!is_reserved("dé"));
}
