use dfinery::DfineryEvent;

// A custom property cannot start with `df_`: the fix is a name without it, not to register
// `df_platform_version` (which the registry would refuse).
#[derive(DfineryEvent)]
#[dfinery(event = "app_review")]
struct AppReview {
    rating: i64,
    df_platform_version: Option<String>,
}

fn main() {}
