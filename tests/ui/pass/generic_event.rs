use dfinery::{DfineryEvent, Event, PropertyValue, StringProperty};

// Type parameters work when the bounds say the field can fill its property.
#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up")]
struct SignUp<C: StringProperty + PropertyValue> {
    df_sign_channel: C,
}

fn main() {
    assert!(
        SignUp {
            df_sign_channel: "Kakao"
        }
        .to_record()
        .is_ok()
    );
}
