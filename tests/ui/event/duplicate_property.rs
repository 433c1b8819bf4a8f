use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up")]
struct SignUp {
    df_sign_channel: String,
    #[dfinery(rename = "df_sign_channel")]
    channel: String,
}

fn main() {}
