use dfinery::DfineryEnum;

// `channel` of `app_review` takes `web`, `app` and `store`: every variant differs only by case,
// so one `rename_all` is suggested instead of a `rename` on each variant.
#[derive(DfineryEnum)]
#[dfinery(event = "app_review", property = "channel")]
enum Channel {
    Web,
    App,
    Store,
}

fn main() {}
