use dfinery::DfineryEnum;

#[derive(DfineryEnum)]
#[dfinery(user_property = "lifetime_points")]
enum Points {
    Few,
    Many,
}

fn main() {}
