use dfinery::{DfineryEvent, DfineryItem};

#[derive(DfineryItem)]
#[dfinery(event = "wishlist_shared")]
struct Line {
    sku: String,
}

#[derive(DfineryEvent)]
#[dfinery(event = "wishlist_shared")]
struct WishlistShared<const N: usize> {
    #[dfinery(items)]
    lines: [Line; N],
}

fn main() {}
