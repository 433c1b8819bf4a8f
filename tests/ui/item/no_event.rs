use dfinery::DfineryItem;

#[derive(DfineryItem)]
struct Line {
    sku: String,
}

fn main() {}
