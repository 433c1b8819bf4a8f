use dfinery::DfineryEnum;

// An error in the enum's own `#[dfinery(...)]` is its only error: the values are not also
// checked against the registry (which advised the `rename_all` the first error names, or
// read another registry than the one meant).
#[derive(DfineryEnum)]
#[dfinery(user_property = "tier", rename_all = "lower")]
enum Tier {
    Bronze,
    Silver,
    Gold,
}

#[derive(DfineryEnum)]
#[dfinery(user_property = "tier", registry = 5)]
enum Level {
    Unregistered,
}

fn main() {}
