use dfinery::DfineryProfile;

#[derive(DfineryProfile)]
struct Member {
    lifetime_points: i64,
    #[dfinery(skip = "yes")]
    cache: u64,
}

fn main() {}
