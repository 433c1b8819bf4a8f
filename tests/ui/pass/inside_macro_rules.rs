#![deny(warnings)]

// The derives on types a `macro_rules!` macro writes, with names and types it was given:
// what the derives emit resolves whatever mix of spans (the macro's own, the caller's) the
// input carries.

use dfinery::export::ExportRows;
use dfinery::{DfineryEnum, DfineryEvent, DfineryItem, DfineryProfile, Event, Patch, Profile};

macro_rules! colour {
    ($name:ident { $($variant:ident),* }) => {
        #[derive(Debug, PartialEq, DfineryEnum)]
        #[dfinery(rename_all = "lowercase")]
        enum $name {
            $($variant),*
        }
    };
}

macro_rules! wishlist {
    ($event:ident, $line:ident, $colour:ty, $sku:ident: $sku_ty:ty, $channel:ident) => {
        #[derive(Debug, PartialEq, DfineryItem)]
        #[dfinery(event = "wishlist_shared", decode)]
        struct $line {
            $sku: $sku_ty,
            colour: Option<$colour>,
        }

        #[derive(Debug, PartialEq, DfineryEvent)]
        #[dfinery(event = "wishlist_shared", decode)]
        struct $event {
            $channel: Option<String>,
            #[dfinery(items)]
            items: Vec<$line>,
            #[dfinery(skip)]
            seen: bool,
        }
    };
}

macro_rules! member {
    ($name:ident, $field:ident: $ty:ty) => {
        #[derive(DfineryProfile)]
        #[dfinery(decode)]
        struct $name {
            $field: Patch<$ty>,
        }
    };
}

macro_rules! review {
    ($name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        #[derive(DfineryEvent)]
        #[dfinery(event = "app_review")]
        struct $name {
            $($field: $ty),*
        }
    };
}

// The attributes from the caller, the fields' types from the macro.
macro_rules! with_fields {
    ($(#[$meta:meta])* event $name:ident) => {
        $(#[$meta])*
        struct $name {
            coupon_code: String,
            amount: Option<f64>,
            #[dfinery(items)]
            items: Vec<CouponLine>,
        }
    };
    ($(#[$meta:meta])* item $name:ident) => {
        $(#[$meta])*
        struct $name {
            sku: String,
            unit_price: Option<f64>,
            colour: Option<Shade>,
        }
    };
    ($(#[$meta:meta])* profile $name:ident) => {
        $(#[$meta])*
        struct $name {
            lifetime_points: Option<i64>,
            tier: Patch<String>,
        }
    };
    ($(#[$meta:meta])* enum $name:ident) => {
        $(#[$meta])*
        enum $name {
            Red,
            Blue,
        }
    };
}

with_fields! {
    #[derive(Debug, PartialEq, DfineryItem)]
    #[dfinery(event = "coupon_used", decode)]
    item CouponLine
}
with_fields! {
    #[derive(Debug, PartialEq, DfineryEvent)]
    #[dfinery(event = "coupon_used", decode)]
    event CouponUsed
}
with_fields! {
    #[derive(DfineryProfile)]
    #[dfinery(decode)]
    profile Points
}
with_fields! {
    #[derive(Debug, PartialEq, DfineryEnum)]
    #[dfinery(rename_all = "lowercase")]
    enum Shade
}

colour!(Colour { Red, Green });
wishlist!(Shared, Line, Colour, sku: String, channel);
member!(Member, tier: String);
review!(Review { rating: i64, score: Option<f64>, tags: Vec<String> });

fn main() {
    let csv = "df_unified_id,df_api_version,event_name,df_server_datetime,df_correction_datetime,channel,df_items_colour,df_items_sku\r\n\
               u,v1,wishlist_shared,2024-06-24T06:01:48.501Z,2024-06-24T06:01:48.501Z,web,red,A\r\n";
    let events: Vec<_> = ExportRows::new(csv.as_bytes())
        .unwrap()
        .events::<Shared>()
        .unwrap()
        .map(|e| e.unwrap().event)
        .collect();
    assert_eq!(
        events,
        [Shared {
            channel: Some("web".to_owned()),
            items: vec![Line { sku: "A".to_owned(), colour: Some(Colour::Red) }],
            seen: false,
        }]
    );
    let _ = Colour::Green;
    let _ = ExportRows::new("df_unified_id,tier\r\nu,gold\r\n".as_bytes())
        .unwrap()
        .profiles::<Member>();
    let coupon = CouponUsed {
        coupon_code: "C1".to_owned(),
        amount: Some(2.5),
        items: vec![CouponLine { sku: "A".to_owned(), unit_price: None, colour: Some(Shade::Blue) }],
    };
    let record = coupon.to_record().unwrap();
    assert_eq!(record.event_properties().unwrap().get(), r#"{"coupon_code":"C1","amount":2.5}"#);
    assert_eq!(record.event_items().unwrap().get(), r#"[{"sku":"A","colour":"blue"}]"#);
    let csv = "df_unified_id,df_api_version,event_name,df_server_datetime,df_correction_datetime,coupon_code,amount,df_items_sku,df_items_unit_price,df_items_colour\r\n\
               u,v1,coupon_used,2024-06-24T06:01:48.501Z,2024-06-24T06:01:48.501Z,C1,2.5,A,,blue\r\n";
    let decoded: Vec<_> = ExportRows::new(csv.as_bytes())
        .unwrap()
        .events::<CouponUsed>()
        .unwrap()
        .map(|e| e.unwrap().event)
        .collect();
    assert_eq!(decoded, [coupon]);
    let _ = Shade::Red;
    let points = Points { lifetime_points: Some(3), tier: Patch::Clear };
    assert_eq!(
        points.to_user_properties().unwrap().get(),
        r#"{"lifetime_points":3,"tier":null}"#
    );
    let _ = ExportRows::new("df_unified_id,lifetime_points,tier\r\nu,3,gold\r\n".as_bytes())
        .unwrap()
        .profiles::<Points>();
    let review = Review { rating: 5, score: Some(4.5), tags: vec!["a".to_owned()] };
    assert!(review.to_record().is_ok());
}
