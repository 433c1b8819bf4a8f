use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "df_login")]
struct Login {
    #[dfinery(datetime)]
    at: String,
}

fn main() {}
