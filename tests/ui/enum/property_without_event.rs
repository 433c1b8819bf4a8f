use dfinery::DfineryEnum;

#[derive(DfineryEnum)]
#[dfinery(property = "channel")]
enum Channel {
    Web,
}

#[derive(DfineryEnum)]
#[dfinery(item = "colour")]
enum Colour {
    Red,
}

fn main() {}
