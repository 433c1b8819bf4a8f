use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up")]
struct SignUp {
    #[dfinery(rename = "df-sign-channel")]
    channel: String,
}

fn main() {}
