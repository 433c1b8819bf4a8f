use dfinery::DfineryEnum;

#[derive(DfineryEnum)]
#[dfinery(event = "app_review")]
enum Channel {
    Web,
}

fn main() {}
