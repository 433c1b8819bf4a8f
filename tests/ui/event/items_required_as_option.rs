use dfinery::{DfineryEvent, DfineryItem};

// `df_refund` requires items (its catalog entry requires `df_items`): `None` would fail every
// send, so the items field cannot be an `Option`, as a required property cannot.
#[derive(DfineryItem)]
#[dfinery(event = "df_refund")]
struct Line {
    df_item_id: String,
    df_item_name: String,
    df_price: f64,
    df_quantity: i64,
    df_discount: f64,
}

#[derive(DfineryEvent)]
#[dfinery(event = "df_refund")]
struct Refund {
    df_total_refund_amount: f64,
    #[dfinery(items)]
    items: Option<Vec<Line>>,
}

fn main() {}
