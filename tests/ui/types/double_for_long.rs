use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "app_review")]
struct AppReview {
    rating: f64,
}

fn main() {}
