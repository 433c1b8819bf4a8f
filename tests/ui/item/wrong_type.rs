use dfinery::DfineryItem;

#[derive(DfineryItem)]
#[dfinery(event = "df_purchase")]
struct Line {
    df_item_id: String,
    df_item_name: String,
    df_price: f64,
    df_quantity: f64,
    df_discount: f64,
}

fn main() {}
