use dfinery::DfineryItem;

#[derive(DfineryItem)]
#[dfinery(event = "coupon_used")]
struct Line {
    sku: String,
    coupon_code: String,
}

fn main() {}
