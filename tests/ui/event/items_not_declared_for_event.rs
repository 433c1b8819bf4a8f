use dfinery::{DfineryEvent, DfineryItem};

// `Line` was checked against `wishlist_shared` only, not against `coupon_used`.
#[derive(DfineryItem)]
#[dfinery(event = "wishlist_shared")]
struct Line {
    sku: String,
}

#[derive(DfineryEvent)]
struct CouponUsed {
    coupon_code: String,
    #[dfinery(items)]
    lines: Vec<Line>,
}

fn main() {}
