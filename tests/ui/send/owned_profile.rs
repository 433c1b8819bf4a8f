use dfinery::{DfineryProfile, Identifier, Identity, Tracker};

// A typed profile passed by value: the calls take it by reference (`&member`).
#[derive(DfineryProfile)]
struct Member {
    df_name: Option<String>,
}

fn record(tracker: &Tracker) {
    let user = Identity::new(Identifier::ExternalId, "dfn-user-123").unwrap();
    let _ = tracker.try_update_profile(&user, Member { df_name: None });
}

fn main() {}
