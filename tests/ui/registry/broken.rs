use dfinery::DfineryEvent;

// DFINERY_REGISTRY points to `tests/ui/registry/broken.toml`, which has two problems.
#[derive(DfineryEvent)]
#[dfinery(event = "df_login")]
struct Login {}

fn main() {}
