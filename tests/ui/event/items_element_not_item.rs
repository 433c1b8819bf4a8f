use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "wishlist_shared")]
struct WishlistShared {
    channel: String,
    #[dfinery(items)]
    skus: Vec<String>,
}

fn main() {}
