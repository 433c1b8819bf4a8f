use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "app_review")]
struct AppReview {
    rating: i64,
    score: i64,
}

fn main() {}
