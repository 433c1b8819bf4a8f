#![deny(warnings)]

use dfinery::{DfineryEvent, DfineryItem, DfineryProfile, Event, Patch};

// A crate that only sends: no `decode`, so no decode impls, and nothing to warn about.
#[derive(DfineryItem)]
#[dfinery(event = "wishlist_shared")]
struct Line<'a> {
    sku: &'a str,
}

#[derive(DfineryEvent)]
struct WishlistShared<'a> {
    channel: Option<&'a str>,
    #[dfinery(items)]
    items: &'a [Line<'a>],
}

#[derive(DfineryProfile)]
struct Member {
    df_name: Patch<String>,
}

fn main() {
    let items = [Line { sku: "SKU-1" }];
    let event = WishlistShared {
        channel: Some("kakao"),
        items: &items,
    };
    assert!(event.to_record().is_ok());
    let _ = Member {
        df_name: Patch::Keep,
    };
}
