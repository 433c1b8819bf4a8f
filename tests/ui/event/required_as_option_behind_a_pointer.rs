use std::sync::Arc;

use dfinery::DfineryEvent;

// An `Option` behind a pointer is still absent when `None`: a required property cannot be one.
#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up")]
struct SignUp {
    df_sign_channel: Box<Option<String>>,
}

#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up")]
struct SharedSignUp<'a> {
    df_sign_channel: &'a Arc<Option<String>>,
}

fn main() {}
