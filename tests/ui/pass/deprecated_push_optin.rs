// `df_push_optin` is deprecated in DFINERY's SDKs but still accepted: a field mapped to it
// compiles (with a deprecation warning on the field) and is sent.
use dfinery::{DfineryProfile, Profile};

#[derive(DfineryProfile)]
struct Consent {
    df_push_optin: bool,
    df_push_ads_optin: bool,
}

#[derive(DfineryProfile)]
struct Renamed {
    #[dfinery(rename = "df_push_optin")]
    informational: Option<bool>,
}

fn main() {
    let consent = Consent {
        df_push_optin: true,
        df_push_ads_optin: false,
    };
    let props = consent.to_user_properties().unwrap();
    assert_eq!(
        props.get(),
        r#"{"df_push_optin":true,"df_push_ads_optin":false}"#
    );
    let renamed = Renamed {
        informational: Some(false),
    };
    assert_eq!(
        renamed.to_user_properties().unwrap().get(),
        r#"{"df_push_optin":false}"#
    );
}
