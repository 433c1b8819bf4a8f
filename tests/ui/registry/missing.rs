use dfinery::DfineryEvent;

// DFINERY_REGISTRY points to a file that does not exist.
#[derive(DfineryEvent)]
#[dfinery(event = "df_login")]
struct Login {}

fn main() {}
