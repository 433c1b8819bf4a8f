use dfinery::{DfineryEvent, DfineryItem};

#[derive(DfineryItem)]
#[dfinery(event = "df_purchase")]
struct Line {
    df_item_id: String,
    df_item_name: String,
    df_price: f64,
    df_quantity: i64,
    df_discount: f64,
}

#[derive(DfineryEvent)]
#[dfinery(event = "df_purchase")]
struct Purchase {
    df_order_id: String,
    df_discount: f64,
    #[dfinery(items)]
    items: Vec<Line>,
}

fn main() {}
