use dfinery::DfineryEnum;

// Only the attribute's error: the variant is not also reported as an unregistered value.
#[derive(DfineryEnum)]
#[dfinery(user_property = "tier")]
enum Tier {
    #[dfinery(rename = bronze)]
    Bronze,
    #[dfinery(rename = "silver")]
    Silver,
}

fn main() {}
