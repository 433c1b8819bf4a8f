use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(name = "df_sign_up")]
struct SignUp {
    df_sign_channel: String,
}

fn main() {}
