use dfinery::{DfineryEvent, DfineryItem};

// `coupon_used` requires items: an alias (or a pointer to one) hiding an `Option` of items is
// refused at compile time, as `Option<Vec<Line>>` written out is; it compiled, and every send
// of `None` failed at run time with "no items". An alias of a plain list is fine.
#[derive(DfineryItem)]
#[dfinery(event = "coupon_used")]
struct Line {
    sku: String,
}

type Lines = Option<Vec<Line>>;
type Plain = Vec<Line>;

#[derive(DfineryEvent)]
#[dfinery(event = "coupon_used")]
struct CouponUsed {
    coupon_code: String,
    #[dfinery(items)]
    lines: Lines,
}

#[derive(DfineryEvent)]
#[dfinery(event = "coupon_used")]
struct BoxedCouponUsed<'a> {
    coupon_code: String,
    #[dfinery(items)]
    lines: Box<&'a Lines>,
}

#[derive(DfineryEvent)]
#[dfinery(event = "coupon_used")]
struct PlainCouponUsed {
    coupon_code: String,
    #[dfinery(items)]
    lines: Plain,
}

fn main() {}
