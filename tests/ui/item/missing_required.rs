use dfinery::DfineryItem;

#[derive(DfineryItem)]
#[dfinery(event = "df_purchase")]
struct Line {
    df_item_id: String,
    df_price: f64,
}

fn main() {}
