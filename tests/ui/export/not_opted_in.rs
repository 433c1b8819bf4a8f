use dfinery::DfineryEvent;
use dfinery::export::ExportRows;

// Sent only: decoding it from an export is one error naming the fix.
#[derive(DfineryEvent)]
struct AppReview {
    rating: i64,
}

fn main() {
    let reader = ExportRows::new(&b"event_name\r\n"[..]).unwrap();
    let _ = reader.events::<AppReview>();
}
