use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up")]
struct SignUp {
    df_sign_channel: Option<String>,
}

fn main() {}
