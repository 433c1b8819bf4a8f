use dfinery::{DfineryEvent, DfineryItem};

// The event decodes, its item type does not: the error names the item type and the fix.
#[derive(DfineryItem)]
#[dfinery(event = "wishlist_shared")]
struct Line {
    sku: String,
}

#[derive(DfineryEvent)]
#[dfinery(decode)]
struct WishlistShared {
    #[dfinery(items)]
    items: Vec<Line>,
}

fn main() {}
