use dfinery::{DfineryEvent, DfineryItem, DfineryProfile, Patch};

// An alias hides the `Option` or `Patch` the derive reads in a type as written; the same rules
// hold at compile time, on the field's type.
type Maybe<T> = Option<T>;
type Code = Option<String>;
// An alias of a plain value is fine.
type Points = i64;

#[derive(DfineryEvent)]
struct AppReview {
    rating: Maybe<i64>,
    comment: Maybe<Patch<String>>,
}

#[derive(DfineryEvent)]
#[dfinery(event = "coupon_used")]
struct CouponUsed {
    coupon_code: Code,
    #[dfinery(items)]
    lines: Vec<Line>,
}

#[derive(DfineryItem)]
#[dfinery(event = "coupon_used")]
struct Line {
    sku: Maybe<String>,
}

#[derive(DfineryProfile)]
struct Member {
    tier: Option<Maybe<String>>,
    lifetime_points: Patch<Points>,
}

fn main() {}
