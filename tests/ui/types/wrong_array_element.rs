use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "app_review")]
struct AppReview {
    rating: i64,
    tags: Vec<i64>,
}

fn main() {}
