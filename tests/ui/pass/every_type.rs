use dfinery::{Date, Datetime, DfineryEvent, Event};

#[derive(DfineryEvent)]
struct AppReview<'a> {
    rating: u32,
    score: Option<f32>,
    comment: &'a str,
    recommended: bool,
    reviewed_at: Option<std::time::SystemTime>,
    visit_date: Date,
    tags: [&'a str; 2],
    counts: &'a [i16],
    weights: Box<[f64]>,
    #[dfinery(datetime)]
    at: Datetime,
}

fn main() {
    let review = AppReview {
        rating: 5,
        score: None,
        comment: "ok",
        recommended: true,
        reviewed_at: None,
        visit_date: Date::from_ymd(2024, 6, 24).unwrap(),
        tags: ["a", "b"],
        counts: &[1, 2],
        weights: vec![0.5].into_boxed_slice(),
        at: Datetime::now(),
    };
    assert!(review.to_record().is_ok());
}
