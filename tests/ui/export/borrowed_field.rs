use dfinery::DfineryEvent;

// A borrowed field cannot be decoded: opting in derives, decoding it is an error on the field.
#[derive(DfineryEvent)]
#[dfinery(decode)]
struct AppReview<'a> {
    rating: i64,
    comment: Option<&'a str>,
}

fn main() {
    fn decode<T: dfinery::export::DecodeEvent>() {}
    decode::<AppReview<'static>>();
}
