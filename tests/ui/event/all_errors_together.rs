use dfinery::DfineryEvent;

// Four misspelt fields: four errors in one build, none hidden behind the first.
#[derive(DfineryEvent)]
#[dfinery(event = "app_review")]
struct AppReview {
    ratng: i64,
    scroe: f64,
    coment: String,
    #[dfinery(rename = "tag")]
    tags: Vec<String>,
}

fn main() {}
