use dfinery::DfineryEvent;

// `df_logout` is a standard event, but `tests/dfinery.toml` does not enable it.
#[derive(DfineryEvent)]
#[dfinery(event = "df_logout")]
struct Logout {}

fn main() {}
