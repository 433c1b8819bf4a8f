use dfinery::{DfineryEvent, Patch};

// `null` cannot be sent in an event: `Patch` is for user properties.
#[derive(DfineryEvent)]
#[dfinery(event = "app_review")]
struct AppReview {
    rating: i64,
    score: Patch<f64>,
}

fn main() {}
