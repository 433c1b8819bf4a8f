use dfinery::DfineryEvent;

// `note` is an item property of `wishlist_shared`, not an event property.
#[derive(DfineryEvent)]
#[dfinery(event = "wishlist_shared")]
struct WishlistShared {
    channel: String,
    note: String,
}

fn main() {}
