use std::marker::PhantomData;

use dfinery::DfineryEvent;

// A field that is no property gets the attribute that leaves it out.
#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up")]
struct SignUp<C> {
    df_sign_channel: String,
    _marker: PhantomData<C>,
}

fn main() {}
