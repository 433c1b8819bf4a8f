use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "df_login")]
struct Login {
    #[dfinery(log_id)]
    id: u128,
}

fn main() {}
