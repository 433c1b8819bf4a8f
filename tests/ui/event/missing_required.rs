use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up")]
struct SignUp {
    #[dfinery(skip)]
    channel: String,
}

fn main() {}
