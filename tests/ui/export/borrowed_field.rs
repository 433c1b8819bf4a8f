use dfinery::DfineryEvent;

// Deriving works with a borrowed field; only decoding it from an export fails, on the field.
#[derive(DfineryEvent)]
struct AppReview<'a> {
    rating: i64,
    comment: Option<&'a str>,
}

fn main() {
    fn decode<T: dfinery::export::DecodeEvent>() {}
    decode::<AppReview<'static>>();
}
