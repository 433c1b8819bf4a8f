use dfinery::DfineryEnum;

#[derive(DfineryEnum)]
#[dfinery(event = "df_purchase", item = "colour", rename_all = "lowercase")]
enum Colour {
    Red,
    Green,
    Yellow,
}

fn main() {}
