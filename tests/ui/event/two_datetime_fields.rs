use dfinery::{Datetime, DfineryEvent};

#[derive(DfineryEvent)]
#[dfinery(event = "df_login")]
struct Login {
    #[dfinery(datetime)]
    at: Datetime,
    #[dfinery(datetime)]
    also_at: Datetime,
}

fn main() {}
