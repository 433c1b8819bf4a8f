use dfinery::DfineryItem;

#[derive(DfineryItem)]
#[dfinery(event = "df_sign_up")]
struct Line {
    sku: String,
}

fn main() {}
