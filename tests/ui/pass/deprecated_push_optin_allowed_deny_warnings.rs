#![deny(warnings)]
// Under `deny(warnings)`, a field mapped to `df_push_optin` builds once the deprecation is
// allowed on the struct or on the field, as on the user's own code.
use dfinery::{DfineryProfile, Profile};

#[derive(DfineryProfile)]
#[allow(deprecated)]
struct Consent {
    df_push_optin: bool,
}

#[derive(DfineryProfile)]
struct Renamed {
    #[allow(deprecated)]
    #[dfinery(rename = "df_push_optin")]
    informational: bool,
}

fn main() {
    let consent = Consent {
        df_push_optin: false,
    };
    assert!(consent.to_user_properties().is_ok());
    let renamed = Renamed {
        informational: true,
    };
    assert!(renamed.to_user_properties().is_ok());
}
