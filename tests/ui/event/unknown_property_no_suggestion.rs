use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "wishlist_shared")]
struct WishlistShared {
    channel: String,
    referrer: String,
}

fn main() {}
