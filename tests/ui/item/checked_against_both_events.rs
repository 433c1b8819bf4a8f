use dfinery::DfineryItem;

// `note` is an item property of `wishlist_shared` but not of `coupon_used`.
#[derive(DfineryItem)]
#[dfinery(event = "wishlist_shared", event = "coupon_used")]
struct Line {
    sku: String,
    note: Option<String>,
}

fn main() {}
