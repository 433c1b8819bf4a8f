use dfinery::DfineryEvent;

// An array holds no null: an `Option` element is refused with what to use instead.
#[derive(DfineryEvent)]
#[dfinery(event = "app_review")]
struct AppReview {
    rating: i64,
    tags: Vec<Option<String>>,
}

fn main() {}
