use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up")]
struct SignUp(String);

fn main() {}
