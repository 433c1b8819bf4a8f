use dfinery::{DfineryEvent, Identifier, Identity, Tracker};

// Typed events passed by value: the calls take them by reference (`(user, &login)`).
#[derive(DfineryEvent)]
#[dfinery(event = "df_login")]
struct Login {}

async fn record(tracker: &Tracker) {
    let user = Identity::new(Identifier::ExternalId, "dfn-user-123").unwrap();
    let _ = tracker.track_many(vec![(user.clone(), Login {}), (user, Login {})]).await;
}

fn main() {}
