use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "df_login")]
struct Login {
    #[dfinery(skip, datetime)]
    at: dfinery::Datetime,
}

fn main() {}
