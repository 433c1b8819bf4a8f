#![deny(deprecated)]
// The deprecation warning of a field mapped to `df_push_optin` is the user's to silence, as
// on their own code: `#[allow(deprecated)]` on the struct or on the field applies to it, though
// the derive's code is beside the struct.
use dfinery::{DfineryProfile, Profile};

#[derive(DfineryProfile)]
#[allow(deprecated)]
struct Consent {
    df_push_optin: bool,
}

#[derive(DfineryProfile)]
struct Renamed {
    #[allow(dead_code, deprecated)]
    #[dfinery(rename = "df_push_optin")]
    informational: Option<bool>,
    df_push_ads_optin: bool,
}

fn main() {
    let consent = Consent {
        df_push_optin: true,
    };
    assert_eq!(
        consent.to_user_properties().unwrap().get(),
        r#"{"df_push_optin":true}"#
    );
    let renamed = Renamed {
        informational: Some(false),
        df_push_ads_optin: true,
    };
    assert_eq!(
        renamed.to_user_properties().unwrap().get(),
        r#"{"df_push_optin":false,"df_push_ads_optin":true}"#
    );
}
