//! The round trip: typed events of three kinds (with items, without, and with optional items)
//! sent to the emulator, exported back and decoded into the same structs, equal field by field.

use std::collections::HashMap;

use dfinery::export::{EventQuery, ExportedEvent};
use dfinery::{Date, Datetime, Event, EventRecord};
use uuid::Uuid;

use crate::model::{AppReview, Channel, Colour, LineItem, Purchase, WishItem, WishlistShared};
use crate::support::{client, days, emulator, user};

/// The events sent, by kind.
#[derive(Default)]
struct Sent {
    purchases: Vec<Purchase>,
    reviews: Vec<AppReview>,
    wishlists: Vec<WishlistShared>,
}

/// Text that needs CSV quoting: commas, quotes, line breaks, non-ASCII.
fn awkward(i: usize) -> String {
    match i % 5 {
        0 => format!("plain-{i}"),
        1 => format!("comma, {i}"),
        2 => format!("say \"{i}\""),
        3 => format!("two\nlines {i}"),
        _ => format!("한글 {i}\r\nend"),
    }
}

fn purchase(i: usize, at: Datetime) -> Purchase {
    let items = (0..1 + i % 3)
        .map(|n| LineItem {
            id: format!("SKU-{i}-{n}"),
            name: awkward(i + n),
            price: 1000.5 + n as f64,
            quantity: 1 + n as i64,
            discount: 0.1 * n as f64,
            category: (n % 2 == 0).then(|| format!("cat,{n}")),
            gift_wrap: (n % 3 != 2).then_some(n % 2 == 0),
            colour: [Some(Colour::Red), None, Some(Colour::Blue)][n % 3],
        })
        .collect();
    Purchase {
        df_order_id: awkward(i),
        df_payment_method: "BankTransfer".to_owned(),
        df_total_purchase_amount: 9000.25 + i as f64,
        df_delivery_charge: 3000.0,
        df_discount: 0.0,
        store_id: i.is_multiple_of(2).then(|| format!("store-{i}")),
        items,
        at,
        id: Uuid::new_v4(),
    }
}

fn review(i: usize, at: Datetime) -> AppReview {
    let full = i.is_multiple_of(2);
    AppReview {
        rating: i as i64 - 50,
        score: full.then_some(4.75),
        comment: full.then(|| format!("ok, \"{}\"", i % 100)),
        recommended: full.then_some(i.is_multiple_of(4)),
        reviewed_at: full.then_some(at),
        visit_date: full.then(|| Date::from_ymd(2024, 2, 29).unwrap()),
        tags: full.then(|| vec!["a,b".to_owned(), "c\"d".to_owned()]),
        counts: full.then(|| vec![1, -2, i as i64]),
        weights: full.then(|| vec![0.5, 1e-3]),
        channel: full.then_some([Channel::Web, Channel::App, Channel::Store][i % 3]),
        at,
        id: Uuid::new_v4(),
    }
}

fn wishlist(i: usize, at: Datetime) -> WishlistShared {
    let items = (0..i % 3)
        .map(|n| WishItem {
            sku: format!("W-{i}-{n}"),
            note: (n == 0).then(|| awkward(i)),
            colour: (n == 1).then_some(Colour::Green),
        })
        .collect();
    WishlistShared {
        channel: (i % 2 == 1).then(|| "kakao".to_owned()),
        items,
        at,
        id: Uuid::new_v4(),
    }
}

/// `events` keyed by their log id.
fn by_id<T: Clone>(events: &[T], id: impl Fn(&T) -> Uuid) -> HashMap<Uuid, T> {
    events.iter().map(|e| (id(e), e.clone())).collect()
}

#[tokio::test]
async fn three_kinds_of_typed_events_come_back_equal() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let now = Datetime::now().unix_millis();
    let mut sent = Sent::default();
    for u in 0..6 {
        let mut records: Vec<EventRecord> = Vec::new();
        for i in 0..50 {
            let n = u * 50 + i;
            let at = Datetime::from_unix_millis(now - n as i64).unwrap();
            match n % 3 {
                0 => {
                    let event = purchase(n, at);
                    records.push(event.to_record().unwrap());
                    sent.purchases.push(event);
                }
                1 => {
                    let event = review(n, at);
                    records.push(event.to_record().unwrap());
                    sent.reviews.push(event);
                }
                _ => {
                    let event = wishlist(n, at);
                    records.push(event.to_record().unwrap());
                    sent.wishlists.push(event);
                }
            }
        }
        client
            .send_events(&user(&format!("user-{u}")), records)
            .await
            .unwrap();
    }
    assert_eq!(emulator.events().len(), 300);

    let (from, to) = days();
    let mut rows = client
        .export_event_rows(&EventQuery::new(from, to))
        .await
        .unwrap();
    let (mut purchases, mut reviews, mut wishlists) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(group) = rows.next_event().await.unwrap() {
        let meta = group.first().event_meta().unwrap();
        assert!(!meta.unified_id.is_empty());
        assert_eq!(meta.api_version, "v1");
        match group.event_name() {
            "df_purchase" => {
                let event = group.decode::<Purchase>().unwrap();
                assert_eq!(meta.event_log_id, Some(event.id));
                assert_eq!(meta.event_datetime, Some(event.at));
                assert_eq!(group.rows().count(), event.items.len());
                purchases.push(event);
            }
            "app_review" => reviews.push(group.decode::<AppReview>().unwrap()),
            "wishlist_shared" => wishlists.push(group.decode::<WishlistShared>().unwrap()),
            other => panic!("unexpected event `{other}`"),
        }
    }
    // One row per item: more rows than events.
    assert!(rows.rows_read() > 300, "{} rows", rows.rows_read());
    assert_eq!(
        by_id(&purchases, |e| e.id),
        by_id(&sent.purchases, |e| e.id)
    );
    assert_eq!(by_id(&reviews, |e| e.id), by_id(&sent.reviews, |e| e.id));
    assert_eq!(
        by_id(&wishlists, |e| e.id),
        by_id(&sent.wishlists, |e| e.id)
    );
    assert_eq!(purchases.len() + reviews.len() + wishlists.len(), 300);
}

#[tokio::test]
async fn a_typed_export_decodes_one_kind_with_its_system_columns() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let at = Datetime::now();
    let purchases: Vec<Purchase> = (0..20).map(|i| purchase(i, at)).collect();
    let reviews: Vec<EventRecord> = (0..5).map(|i| review(i, at).to_record().unwrap()).collect();
    let mut records: Vec<EventRecord> = purchases.iter().map(|p| p.to_record().unwrap()).collect();
    records.extend(reviews);
    client.send_events(&user("buyer"), records).await.unwrap();

    let (from, to) = days();
    // All events exported: the reviews are skipped, not decoded.
    let mut stream = client
        .export_event_rows(&EventQuery::new(from, to))
        .await
        .and_then(|rows| rows.events::<Purchase>())
        .unwrap();
    let mut got: Vec<ExportedEvent<Purchase>> = Vec::new();
    while let Some(event) = stream.try_next().await.unwrap() {
        got.push(event);
    }
    assert_eq!(stream.skipped(), 5);
    assert_eq!(
        got.iter().map(|e| e.event.clone()).collect::<Vec<_>>(),
        purchases
    );
    let stored = emulator.events_named("df_purchase");
    for (exported, stored) in got.iter().zip(&stored) {
        assert_eq!(exported.meta.event_name, "df_purchase");
        assert_eq!(exported.meta.unified_id, stored.df_unified_id);
        assert_eq!(exported.meta.correction_datetime, Some(at));
        assert!(exported.meta.server_datetime.unix_millis() >= at.unix_millis() - 1000);
    }

    // Narrowed to the type's own event and properties: nothing to skip.
    let query = EventQuery::new(from, to)
        .event::<Purchase>()
        .properties_of::<Purchase>();
    let narrowed = client
        .export_event_rows(&query)
        .await
        .and_then(|rows| rows.events::<Purchase>())
        .unwrap()
        .into_vec()
        .await
        .unwrap();
    assert_eq!(
        narrowed.into_iter().map(|e| e.event).collect::<Vec<_>>(),
        purchases
    );
}

#[test]
fn an_optional_items_field_needs_no_item_columns() {
    // An export filtered to some properties has no `df_items_*` columns: an `Option` of items
    // was refused as missing `df_items_sku`, the error advising to make the fields `Option`.
    use dfinery::export::ExportRows;
    let body = "df_unified_id,event_name,df_server_datetime,df_correction_datetime,df_api_version,channel\r\n\
                u1,wishlist_shared,2024-06-24T06:02:00.123Z,2024-06-24T06:01:48.501Z,v1,app\r\n";
    let mut rows = ExportRows::new(std::io::Cursor::new(body)).unwrap();
    let group = rows.next_event().unwrap().expect("one event");
    let event = group.decode::<crate::model::MaybeWishlist>().unwrap();
    assert_eq!(event.channel.as_deref(), Some("app"));
    assert_eq!(event.items, None);
    // With some item columns, an `Option` needs those its items need.
    let some = "df_unified_id,event_name,df_server_datetime,df_correction_datetime,df_api_version,channel,df_items_note\r\n\
                u1,wishlist_shared,2024-06-24T06:02:00.123Z,2024-06-24T06:01:48.501Z,v1,app,gift\r\n";
    let mut rows = ExportRows::new(std::io::Cursor::new(some)).unwrap();
    let group = rows.next_event().unwrap().expect("one event");
    let error = group.decode::<crate::model::MaybeWishlist>().unwrap_err();
    assert!(error.to_string().contains("df_items_sku"), "{error}");
    // A `Vec` of items needs them.
    let mut rows = ExportRows::new(std::io::Cursor::new(body)).unwrap();
    let group = rows.next_event().unwrap().expect("one event");
    let error = group.decode::<WishlistShared>().unwrap_err();
    assert!(error.to_string().contains("df_items_sku"), "{error}");
}
