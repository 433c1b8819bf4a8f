use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up")]
struct SignUp {
    #[dfinery(renam = "df_sign_channel")]
    channel: String,
}

fn main() {}
