#![allow(deprecated)]

use dfinery::DfineryProfile;

// A lint level set on the struct or on the field applies to the field's deprecation, as on the
// user's own code, over the crate's `allow`: an error where it is `deny`, a warning where `warn`.
// `expect` cannot be fulfilled by the derive's code, which is beside the struct, not in it: the
// compiler reports it unfulfilled (the derive reads it as `allow`; write `allow`).
#[derive(DfineryProfile)]
#[deny(deprecated)]
struct Consent {
    df_push_optin: bool,
}

#[derive(DfineryProfile)]
struct Renamed {
    #[deny(deprecated)]
    #[dfinery(rename = "df_push_optin")]
    informational: bool,
}

#[derive(DfineryProfile)]
#[warn(deprecated)]
struct Warned {
    df_push_optin: bool,
}

#[derive(DfineryProfile)]
#[expect(deprecated)]
struct Expected {
    df_push_optin: bool,
}

fn main() {}
