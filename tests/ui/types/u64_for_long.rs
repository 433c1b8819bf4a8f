use dfinery::DfineryEvent;

// A `u64` can hold values a Long cannot.
#[derive(DfineryEvent)]
#[dfinery(event = "app_review")]
struct AppReview {
    rating: u64,
}

fn main() {}
