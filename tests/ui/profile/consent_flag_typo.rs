use dfinery::DfineryProfile;

#[derive(DfineryProfile)]
struct Consents {
    df_push_ad_optin: bool,
}

fn main() {}
