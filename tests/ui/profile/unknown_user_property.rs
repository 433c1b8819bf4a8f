use dfinery::DfineryProfile;

#[derive(DfineryProfile)]
struct Member {
    df_nmae: String,
}

fn main() {}
