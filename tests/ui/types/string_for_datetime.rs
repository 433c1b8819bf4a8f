use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "app_review")]
struct AppReview {
    rating: i64,
    reviewed_at: String,
}

fn main() {}
