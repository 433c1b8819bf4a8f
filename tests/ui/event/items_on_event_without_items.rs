use dfinery::{DfineryEvent, DfineryItem};

#[derive(DfineryItem)]
#[dfinery(event = "wishlist_shared")]
struct Line {
    sku: String,
}

#[derive(DfineryEvent)]
#[dfinery(event = "df_login")]
struct Login {
    #[dfinery(items)]
    items: Vec<Line>,
}

fn main() {}
