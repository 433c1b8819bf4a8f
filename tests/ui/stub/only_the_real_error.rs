use dfinery::{DfineryEvent, Event};

// The derive fails, but it still implements `Event` (with a stub): the uses below raise no
// second error, so the one real error is all the user sees.
#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up")]
struct SignUp {
    df_sign_chanel: String,
}

fn main() {
    let _ = SignUp::description();
    let _ = SignUp {
        df_sign_chanel: String::new(),
    }
    .to_record();
}
