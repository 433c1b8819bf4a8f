use dfinery::DfineryProfile;

#[derive(DfineryProfile)]
#[dfinery(rename_all = "kebab-case")]
struct Member {
    lifetime_points: i64,
}

fn main() {}
