#![deny(warnings)]

use dfinery::export::ExportRows;
use dfinery::{DfineryEnum, DfineryEvent, DfineryItem, DfineryProfile, Patch};

#[derive(Debug, PartialEq, DfineryEnum)]
#[dfinery(rename_all = "lowercase")]
enum Colour {
    Red,
    Green,
}

#[derive(Debug, PartialEq, DfineryItem)]
#[dfinery(event = "wishlist_shared", decode)]
struct Line {
    sku: String,
    colour: Option<Colour>,
}

#[derive(Debug, PartialEq, DfineryEvent)]
#[dfinery(decode)]
struct WishlistShared {
    channel: Option<String>,
    #[dfinery(items)]
    items: Vec<Line>,
    #[dfinery(skip)]
    seen: bool,
}

#[derive(DfineryProfile)]
#[dfinery(decode)]
struct Member {
    tier: Patch<String>,
}

fn main() {
    let csv = "df_unified_id,df_api_version,event_name,df_server_datetime,df_correction_datetime,channel,df_items_colour,df_items_sku\r\n\
               u,v1,wishlist_shared,2024-06-24T06:01:48.501Z,2024-06-24T06:01:48.501Z,web,red,A\r\n\
               u,v1,wishlist_shared,2024-06-24T06:01:48.501Z,2024-06-24T06:01:48.501Z,web,green,B\r\n";
    let events: Vec<_> = ExportRows::new(csv.as_bytes())
        .unwrap()
        .events::<WishlistShared>()
        .unwrap()
        .map(|e| e.unwrap().event)
        .collect();
    assert_eq!(
        events,
        [WishlistShared {
            channel: Some("web".to_owned()),
            items: vec![
                Line { sku: "A".to_owned(), colour: Some(Colour::Red) },
                Line { sku: "B".to_owned(), colour: Some(Colour::Green) },
            ],
            seen: false,
        }]
    );
    let _ = ExportRows::new("df_unified_id,tier\r\nu,gold\r\n".as_bytes())
        .unwrap()
        .profiles::<Member>();
}
