use dfinery::DfineryEvent;

// A flag given a value that is not a string is told to drop the value, not to quote it.
#[derive(DfineryEvent)]
#[dfinery(event = "df_login", decode = true)]
struct Login {
    #[dfinery(skip = true)]
    cache: u64,
}

fn main() {}
