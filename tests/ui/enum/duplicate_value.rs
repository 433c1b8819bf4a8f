use dfinery::DfineryEnum;

#[derive(DfineryEnum)]
#[dfinery(rename_all = "lowercase")]
enum Channel {
    Web,
    #[dfinery(rename = "web")]
    Site,
}

fn main() {}
