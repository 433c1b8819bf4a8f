use dfinery::{DfineryEvent, DfineryItem};

// The item's derive fails; the event holding it raises no error of its own.
#[derive(DfineryItem)]
#[dfinery(event = "wishlist_shared")]
struct Line {
    skuu: String,
}

#[derive(DfineryEvent)]
struct WishlistShared {
    channel: String,
    #[dfinery(items)]
    lines: Vec<Line>,
}

fn main() {}
