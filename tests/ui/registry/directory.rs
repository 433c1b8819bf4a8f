use dfinery::DfineryEvent;

// DFINERY_REGISTRY points to a directory, not to the registry file in it.
#[derive(DfineryEvent)]
#[dfinery(event = "df_login")]
struct Login {}

fn main() {}
