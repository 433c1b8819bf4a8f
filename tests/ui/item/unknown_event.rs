use dfinery::DfineryItem;

#[derive(DfineryItem)]
#[dfinery(event = "wishlist_share")]
struct Line {
    sku: String,
}

fn main() {}
