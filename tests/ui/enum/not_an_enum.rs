use dfinery::{DfineryEnum, DfineryProfile};

// Only the derive's error: the field the type fills raises no second one.
#[derive(DfineryEnum)]
#[dfinery(user_property = "tier")]
struct Tier {
    name: String,
}

#[derive(DfineryProfile)]
struct Member {
    tier: Option<Tier>,
}

fn main() {}
