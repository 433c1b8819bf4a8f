use dfinery::DfineryEvent;

// The unknown key is the error (not its value), and the entry after it is still checked.
#[derive(DfineryEvent)]
#[dfinery(evnt = 5, rename_all = "kebab")]
struct Login {}

fn main() {}
