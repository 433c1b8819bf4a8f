use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "df_login", event = "df_sign_up")]
struct Login {}

fn main() {}
