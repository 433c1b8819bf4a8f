use dfinery::DfineryEvent;

// The derives read each field of a `#[repr(packed)]` struct by copy (a reference to it may be
// unaligned): a field that is not `Copy` is one error on its type, saying so and how to fix it.
#[derive(DfineryEvent)]
#[dfinery(event = "app_review")]
#[repr(packed)]
struct Review {
    rating: i64,
    comment: Option<String>,
}

fn main() {}
