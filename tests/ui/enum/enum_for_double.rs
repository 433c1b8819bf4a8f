use dfinery::{DfineryEnum, DfineryProfile};

#[derive(DfineryEnum)]
enum Basket {
    Small,
    Large,
}

#[derive(DfineryProfile)]
struct Member {
    avg_basket: Basket,
}

fn main() {}
