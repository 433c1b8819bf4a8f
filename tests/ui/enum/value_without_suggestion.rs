use dfinery::DfineryEnum;

#[derive(DfineryEnum)]
#[dfinery(user_property = "tier", rename_all = "lowercase")]
enum Tier {
    Bronze,
    Silver,
    Platinum,
}

fn main() {}
