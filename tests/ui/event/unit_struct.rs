use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "df_login")]
struct Login;

fn main() {}
