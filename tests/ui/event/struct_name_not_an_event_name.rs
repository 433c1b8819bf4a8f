use dfinery::DfineryEvent;

// The event name defaults to the struct's name in snake case, which must be a valid event name.
#[derive(DfineryEvent)]
struct _Purchase {
    df_order_id: String,
}

fn main() {}
