use dfinery::DfineryEvent;

// `coupon_used` requires items: the conflict is the one error, not followed by "requires
// items; add a field `#[dfinery(items)]`" for the field that has it.
#[derive(DfineryEvent)]
#[dfinery(event = "coupon_used")]
struct CouponUsed {
    coupon_code: String,
    amount: f64,
    #[dfinery(items, datetime)]
    items: Vec<String>,
}

fn main() {}
