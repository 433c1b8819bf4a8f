use dfinery::{DfineryEvent, DfineryItem};

#[derive(DfineryItem)]
#[dfinery(event = "wishlist_shared")]
struct Line {
    sku: String,
}

// A fixed number of items cannot be rebuilt from an export, which may hold any number.
#[derive(DfineryEvent)]
struct WishlistShared {
    #[dfinery(items)]
    items: [Line; 2],
}

fn main() {
    fn decode<T: dfinery::export::DecodeEvent>() {}
    decode::<WishlistShared>();
}
