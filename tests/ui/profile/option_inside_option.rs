use dfinery::{DfineryProfile, Patch};

// `Some(None)` and `Patch::Set(None)` look like a clear but send nothing, as `None` and
// `Patch::Keep` do: only `Patch::Clear` sends the `null` that clears a user property.
#[derive(DfineryProfile)]
struct Member {
    df_name: Option<Option<String>>,
    tier: Patch<Option<String>>,
}

fn main() {}
