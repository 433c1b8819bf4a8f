use dfinery::DfineryEvent;

// A field type passed through a `$t:ty` fragment is still seen as an `Option`.
macro_rules! event {
    ($name:ident { $($field:ident: $ty:ty),* }) => {
        #[derive(DfineryEvent)]
        #[dfinery(event = "app_review")]
        struct $name { $($field: $ty),* }
    };
}

event!(AppReview { rating: Option<i64> });

fn main() {}
