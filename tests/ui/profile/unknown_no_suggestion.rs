use dfinery::DfineryProfile;

#[derive(DfineryProfile)]
struct Member {
    shoe_size: i64,
}

fn main() {}
