//! Decoding saved exports (`fixtures/*.csv`): quoting, embedded commas and quotes, line breaks
//! inside quotes, empty fields, reordered columns, unknown extra columns, the documented
//! columns only; the same results whatever the chunk size of a stream.

use bytes::Bytes;
use dfinery::export::{CellError, ExportError, ExportRows};
use dfinery::{DataType, Datetime, Value};
use std::fs::File;
use uuid::Uuid;

use crate::model::{Colour, LineItem, PlainPurchase, Purchase};
use crate::support::{fixture, fixture_bytes};

fn at(text: &str) -> Datetime {
    Datetime::parse_wire(text).unwrap()
}

/// The two purchases every purchase fixture holds (beside one `df_login`).
fn expected() -> Vec<Purchase> {
    vec![
        Purchase {
            df_order_id: "ORDER-1, \"gift\"".to_owned(),
            df_payment_method: "Bank\nTransfer".to_owned(),
            df_total_purchase_amount: 9000.5,
            df_delivery_charge: 3000.0,
            df_discount: 0.0,
            store_id: None,
            items: vec![
                LineItem {
                    id: "SKU-1".to_owned(),
                    name: "Cracker, salted".to_owned(),
                    price: 5000.0,
                    quantity: 2,
                    discount: 500.0,
                    category: Some("Food".to_owned()),
                    gift_wrap: Some(true),
                    colour: Some(Colour::Red),
                },
                LineItem {
                    id: "SKU-2".to_owned(),
                    name: "He said \"hi\"".to_owned(),
                    price: 1.5,
                    quantity: 1,
                    discount: 0.0,
                    category: None,
                    gift_wrap: None,
                    colour: None,
                },
            ],
            at: at("2024-06-24T06:01:48.501Z"),
            id: Uuid::parse_str("6f1c2b9e-0d3a-4c5b-8e7f-1a2b3c4d5e01").unwrap(),
        },
        Purchase {
            df_order_id: "ORDER-2".to_owned(),
            df_payment_method: "card".to_owned(),
            df_total_purchase_amount: 10.0,
            df_delivery_charge: 0.0,
            df_discount: 1.25,
            store_id: Some("S-9".to_owned()),
            items: vec![LineItem {
                id: "SKU-3".to_owned(),
                name: "multi\r\nline ë".to_owned(),
                price: 2.0,
                quantity: 3,
                discount: 0.0,
                category: None,
                gift_wrap: Some(false),
                colour: Some(Colour::Blue),
            }],
            at: at("2024-06-24T06:59:59.999Z"),
            id: Uuid::parse_str("6f1c2b9e-0d3a-4c5b-8e7f-1a2b3c4d5e02").unwrap(),
        },
    ]
}

/// The purchases of a saved fixture.
fn purchases_in(name: &str) -> Vec<Purchase> {
    ExportRows::new(File::open(fixture(name)).unwrap())
        .unwrap()
        .events::<Purchase>()
        .unwrap()
        .map(|e| e.unwrap().event)
        .collect()
}

#[test]
fn quoting_commas_line_breaks_and_empty_fields_decode() {
    assert_eq!(purchases_in("purchases.csv"), expected());
}

#[test]
fn reordered_columns_and_unknown_extra_columns_decode_the_same() {
    assert_eq!(purchases_in("reordered.csv"), expected());
}

#[test]
fn system_columns_come_alongside() {
    let events: Vec<_> = ExportRows::new(File::open(fixture("purchases.csv")).unwrap())
        .unwrap()
        .events::<Purchase>()
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let meta = &events[0].meta;
    assert_eq!(meta.unified_id, "unified-1");
    assert_eq!(meta.event_name, "df_purchase");
    assert_eq!(meta.api_version, "v1");
    assert_eq!(meta.server_datetime, at("2024-06-24T06:02:00.123Z"));
    assert_eq!(
        meta.correction_datetime,
        Some(at("2024-06-24T06:01:48.501Z"))
    );
    assert_eq!(meta.event_log_id, Some(events[0].event.id));
    assert_eq!(events[1].meta.unified_id, "unified-2");
}

#[tokio::test]
async fn a_stream_decodes_the_same_whatever_its_chunk_size() {
    let bytes = fixture_bytes("purchases.csv");
    for size in [1, 2, 7, 33, 64, 4096] {
        let chunks: Vec<Result<Bytes, dfinery::Error>> = bytes
            .chunks(size)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let rows = ExportRows::from_stream(futures_util::stream::iter(chunks))
            .await
            .unwrap();
        let events = rows.events::<Purchase>().unwrap().into_vec().await.unwrap();
        let decoded: Vec<Purchase> = events.into_iter().map(|e| e.event).collect();
        assert_eq!(decoded, expected(), "chunks of {size} bytes");
    }
}

#[test]
fn the_documented_columns_alone_group_items_by_their_other_columns() {
    let decoded: Vec<PlainPurchase> =
        ExportRows::new(File::open(fixture("documented_columns.csv")).unwrap())
            .unwrap()
            .events::<PlainPurchase>()
            .unwrap()
            .map(|e| e.unwrap().event)
            .collect();
    let expected: Vec<PlainPurchase> = expected()
        .into_iter()
        .map(|p| PlainPurchase {
            df_order_id: p.df_order_id,
            df_payment_method: p.df_payment_method,
            df_total_purchase_amount: p.df_total_purchase_amount,
            df_delivery_charge: p.df_delivery_charge,
            df_discount: p.df_discount,
            items: p.items,
            // No `event_datetime` column: the corrected time stands in.
            at: Some(p.at),
            skipped: 0,
        })
        .collect();
    assert_eq!(decoded, expected);
    // Without `event_log_id`, `Purchase` (whose `log_id` field is not optional) cannot decode.
    let error = ExportRows::new(File::open(fixture("documented_columns.csv")).unwrap())
        .unwrap()
        .events::<Purchase>()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the export has no column `event_log_id` that `Purchase` needs; export it (check the query's property filter) or make the fields `Option`"
    );
}

#[test]
fn without_event_log_id_an_item_with_empty_cells_or_no_item_column_does_not_split_an_event() {
    // An event has one row per item whichever item columns were exported. Without a log id,
    // a row whose item cells were all empty, and every row of an export without item
    // columns, was taken for an event of its own: one purchase came back as three.
    let events = |csv: &str| -> Vec<(String, usize, usize)> {
        let mut reader = ExportRows::new(csv.as_bytes()).unwrap();
        let mut events = Vec::new();
        while let Some(group) = reader.next_event().unwrap() {
            events.push((
                group.event_name().to_owned(),
                group.rows().count(),
                group.item_rows().count(),
            ));
        }
        events
    };
    let head = "df_unified_id,event_name,df_server_datetime,df_correction_datetime,df_api_version,df_order_id";
    let at = "2024-06-24T06:02:00.123Z";
    let purchase = format!("u1,df_purchase,{at},{at},v1,O1");
    let login = format!("u1,df_login,{at},{at},v1,");
    let with_colour = format!(
        "{head},df_items_colour\r\n{purchase},red\r\n{purchase},\r\n{purchase},blue\r\n{login},\r\n{login},\r\n"
    );
    assert_eq!(
        events(&with_colour),
        [
            ("df_purchase".to_owned(), 3, 2),
            ("df_login".to_owned(), 1, 0),
            ("df_login".to_owned(), 1, 0),
        ]
    );
    let without_items = format!("{head}\r\n{purchase}\r\n{purchase}\r\n{purchase}\r\n{login}\r\n");
    assert_eq!(
        events(&without_items),
        [
            ("df_purchase".to_owned(), 3, 0),
            ("df_login".to_owned(), 1, 0)
        ]
    );
}

#[test]
fn raw_rows_are_read_by_name_with_typed_getters() {
    let mut reader = ExportRows::new(File::open(fixture("reordered.csv")).unwrap()).unwrap();
    assert_eq!(reader.header().names()[0], "store_id");
    let row = reader.next_row().unwrap().unwrap();
    assert_eq!(row.number(), 1);
    assert_eq!(
        row.decode::<Option<String>>("df_order_id", DataType::String)
            .unwrap()
            .as_deref(),
        Some("ORDER-1, \"gift\"")
    );
    assert_eq!(
        row.decode::<Option<String>>("store_id", DataType::String)
            .unwrap(),
        None
    );
    assert_eq!(
        row.decode::<Option<f64>>("df_total_purchase_amount", DataType::Double)
            .unwrap(),
        Some(9000.5)
    );
    assert_eq!(
        row.decode::<Option<i64>>("df_items_df_quantity", DataType::Long)
            .unwrap(),
        Some(2)
    );
    assert_eq!(
        row.decode::<Option<bool>>("df_items_gift_wrap", DataType::Boolean)
            .unwrap(),
        Some(true)
    );
    assert_eq!(
        row.decode::<Option<Datetime>>("df_server_datetime", DataType::Datetime)
            .unwrap(),
        Some(at("2024-06-24T06:02:00.123Z"))
    );
    assert_eq!(
        row.decode::<Option<Value>>("df_items_df_price", DataType::Double)
            .unwrap(),
        Some(Value::Double(5000.0))
    );
    assert_eq!(row.get("zz_unknown"), Some("ignored, \"really\""));
    assert_eq!(row.iter().count(), reader_header_len());
    let error = row
        .decode::<Option<i64>>("df_items_df_quantitty", DataType::Long)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the export has no column `df_items_df_quantitty`; did you mean `df_items_df_quantity`?"
    );
    let error = row
        .decode::<Option<i64>>("df_order_id", DataType::Long)
        .unwrap_err();
    assert!(matches!(
        &error,
        ExportError::Cell { row: 1, column, error: CellError::Invalid { ty: DataType::Long, .. } } if column == "df_order_id"
    ));
}

fn reader_header_len() -> usize {
    ExportRows::new(File::open(fixture("reordered.csv")).unwrap())
        .unwrap()
        .header()
        .names()
        .len()
}

#[test]
fn rows_of_one_event_are_gathered_and_other_events_stand_alone() {
    let mut reader = ExportRows::new(File::open(fixture("purchases.csv")).unwrap()).unwrap();
    let mut shapes = Vec::new();
    while let Some(group) = reader.next_event().unwrap() {
        shapes.push((
            group.event_name().to_owned(),
            group.rows().count(),
            group.item_rows().count(),
        ));
    }
    assert_eq!(
        shapes,
        [
            ("df_purchase".to_owned(), 2, 2),
            ("df_login".to_owned(), 1, 0),
            ("df_purchase".to_owned(), 1, 1)
        ]
    );
    assert_eq!(reader.rows_read(), 4);
}

#[test]
fn a_column_the_struct_needs_is_an_error_naming_it() {
    let error = ExportRows::new(File::open(fixture("missing_columns.csv")).unwrap())
        .unwrap()
        .events::<Purchase>()
        .unwrap_err();
    assert!(matches!(
        &error,
        ExportError::MissingColumns { rust_type: "Purchase", columns } if columns == &["df_order_id", "df_items_df_price"]
    ));
    assert_eq!(
        error.to_string(),
        "the export has no columns `df_order_id` and `df_items_df_price` that `Purchase` needs; export them (check the query's property filter) or make the fields `Option`"
    );
}

#[test]
fn a_bad_cell_names_its_row_and_column_and_later_events_still_decode() {
    let results: Vec<_> = ExportRows::new(File::open(fixture("bad_cell.csv")).unwrap())
        .unwrap()
        .events::<Purchase>()
        .unwrap()
        .collect();
    assert_eq!(results.len(), 2);
    let error = results[0].as_ref().unwrap_err();
    assert_eq!(
        error.to_string(),
        "row 2, column `df_items_df_quantity`: is `1.5`; a Long needs a whole number such as `42`"
    );
    assert_eq!(results[1].as_ref().unwrap().event, expected()[1]);
}

#[test]
fn a_row_with_a_field_missing_is_malformed() {
    let mut reader = ExportRows::new(File::open(fixture("malformed.csv")).unwrap()).unwrap();
    assert!(reader.next_row().unwrap().is_some());
    let error = reader.next_row().unwrap_err();
    assert!(matches!(
        error,
        ExportError::Malformed {
            row: 2,
            found: 24,
            expected: 25
        }
    ));
    // Nothing after the error.
    assert!(reader.next_row().unwrap().is_none());
}
