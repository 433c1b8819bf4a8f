use dfinery::{DfineryEvent, Patch};

// `Patch` inside another wrapper still sends `null` for `Clear`, which an event refuses.
#[derive(DfineryEvent)]
#[dfinery(event = "app_review")]
struct AppReview {
    rating: i64,
    score: Option<Patch<f64>>,
}

fn main() {}
