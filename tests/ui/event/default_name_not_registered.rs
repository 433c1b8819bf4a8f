use dfinery::DfineryEvent;

// Without `event = "..."`, the event is the struct's name in snake case: `sign_up`.
#[derive(DfineryEvent)]
struct SignUp {
    df_sign_channel: String,
}

fn main() {}
