#![deny(deprecated)]

use dfinery::DfineryProfile;

#[derive(DfineryProfile)]
struct Consent {
    df_push_optin: bool,
    df_push_ads_optin: bool,
}

#[derive(DfineryProfile)]
struct Renamed {
    #[dfinery(rename = "df_push_optin")]
    informational: bool,
}

fn main() {}
