use dfinery::DfineryEvent;

// DFINERY_REGISTRY points to `tests/ui/registry/many_problems.toml`, which has 12 problems:
// the first 10 are errors, the last 2 one error counting them (a registry with thousands of
// problems made thousands of errors for every derive of a crate).
#[derive(DfineryEvent)]
#[dfinery(event = "df_login")]
struct Login {}

fn main() {}
