use dfinery::DfineryEnum;

#[derive(DfineryEnum)]
#[dfinery(event = "app_review", property = "channel")]
enum Channel {
    #[dfinery(rename = "Web")]
    Web,
    #[dfinery(rename = "app")]
    App,
}

fn main() {}
