use dfinery::DfineryProfile;

#[derive(DfineryProfile)]
#[dfinery(rename_all = "snakecase")]
struct Member {
    lifetime_points: i64,
}

fn main() {}
