use dfinery::DfineryEvent;

// The error points at the `rename` literal, the name that is wrong.
#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up")]
struct SignUp {
    #[dfinery(rename = "df_sing_channel")]
    channel: String,
}

fn main() {}
