use dfinery::{DfineryEvent, DfineryItem, DfineryProfile};

// DFINERY_REGISTRY points to `tests/ui/registry/broken.toml`, which has two problems. The first
// type lists them; each other type fails with one error naming that type, instead of the same
// block again (a crate with 30 derived types printed it 30 times).
#[derive(DfineryEvent)]
#[dfinery(event = "df_login")]
struct Login {}

#[derive(DfineryItem)]
#[dfinery(event = "coupon_used")]
struct Line {
    sku: String,
}

#[derive(DfineryProfile)]
struct Consents {
    df_push_ad_optin: bool,
}

fn main() {}
