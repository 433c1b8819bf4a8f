use dfinery::{DfineryEvent, Event, PropertyValue, StringProperty};

// A type parameter filling a required property is checked for each type the struct is used
// with: an `Option` there could leave the property out.
#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up")]
struct SignUp<C: StringProperty + PropertyValue> {
    df_sign_channel: C,
}

fn main() {
    let _ = SignUp {
        df_sign_channel: "Kakao",
    }
    .to_record();
    let _ = SignUp {
        df_sign_channel: None::<&str>,
    }
    .to_record();
}
