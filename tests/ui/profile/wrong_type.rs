use dfinery::DfineryProfile;

#[derive(DfineryProfile)]
struct Member {
    lifetime_points: String,
}

fn main() {}
