use dfinery::{DfineryEvent, DfineryItem};

#[derive(DfineryItem)]
#[dfinery(event = "wishlist_shared", decode)]
struct Line {
    sku: String,
}

// A fixed number of items cannot be rebuilt from an export, which may hold any number.
#[derive(DfineryEvent)]
#[dfinery(decode)]
struct WishlistShared {
    #[dfinery(items)]
    items: [Line; 2],
}

fn main() {}
