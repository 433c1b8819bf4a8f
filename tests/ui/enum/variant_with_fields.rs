use dfinery::DfineryEnum;

#[derive(DfineryEnum)]
enum Channel {
    Web,
    Store(u32),
}

fn main() {}
