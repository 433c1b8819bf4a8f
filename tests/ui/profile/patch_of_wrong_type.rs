use dfinery::{DfineryProfile, Patch};

#[derive(DfineryProfile)]
struct Member {
    df_push_ads_optin: Patch<i64>,
}

fn main() {}
