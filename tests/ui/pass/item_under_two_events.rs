use dfinery::{DfineryEvent, DfineryItem, Event};

#[derive(DfineryItem)]
#[dfinery(event = "coupon_used", event = "wishlist_shared")]
struct Line {
    sku: String,
}

#[derive(DfineryEvent)]
struct CouponUsed {
    coupon_code: String,
    #[dfinery(items)]
    lines: Vec<Line>,
}

#[derive(DfineryEvent)]
struct WishlistShared<'a> {
    #[dfinery(items)]
    lines: Option<&'a [Line]>,
}

fn main() {
    let lines = vec![Line { sku: "A".into() }];
    let shared = WishlistShared {
        lines: Some(&lines),
    };
    assert!(shared.to_record().is_ok());
    assert!(
        CouponUsed {
            coupon_code: "C".into(),
            lines
        }
        .to_record()
        .is_ok()
    );
}
