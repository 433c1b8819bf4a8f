//! Comparison 4, export decoding: rows per second decoded into the typed `Purchase` (items
//! gathered back into their events, system columns read) against plain `csv::StringRecord`
//! iteration over the same bytes. The CSV is a real export of the emulator.

use std::hint::black_box;
use std::io;
use std::time::Duration;

use bytes::Bytes;
use dfinery::export::{EventQuery, ExportRows};
use dfinery::{Datetime, Event, Identifier, Identity};
use serde::Deserialize;

use crate::fixtures::{ITEMS_PER_PURCHASE, Purchase, fresh_purchase};
use crate::lab::Lab;
use crate::measure::{Sample, best_of};
use crate::report::{Comparison, Figure, Goal, Ratio};

/// Sends `events` purchases (five items each, dated now) and exports them back: one CSV row
/// per item.
///
/// # Errors
///
/// When sending or exporting fails.
pub fn export_csv(lab: &Lab, events: usize) -> io::Result<Bytes> {
    lab.reset()?;
    let client = lab.client()?;
    let purchase = Purchase {
        at: Datetime::now(),
        ..fresh_purchase()
    };
    let records = (0..events)
        .map(|_| purchase.to_record())
        .collect::<Result<Vec<_>, _>>()
        .map_err(io::Error::other)?;
    let who = Identity::new(Identifier::ExternalId, "bench-export").map_err(io::Error::other)?;
    let request = EventQuery::last_days(1)
        .to_request()
        .map_err(io::Error::other)?;
    let bytes = lab.runtime().block_on(async {
        client
            .send_events(&who, records)
            .await
            .map_err(io::Error::other)?;
        client
            .export_events(&request)
            .await
            .map_err(io::Error::other)?
            .collect_bytes()
            .await
            .map_err(io::Error::other)
    });
    lab.reset()?;
    bytes
}

/// The baseline: `csv::StringRecord` iteration as the `csv` docs show it
/// (`reader.records()`), each field touched. Returns the rows.
///
/// # Errors
///
/// When the CSV is malformed.
pub fn csv_rows(bytes: &[u8]) -> Result<usize, csv::Error> {
    let mut reader = csv::Reader::from_reader(bytes);
    let mut rows = 0;
    for record in reader.records() {
        black_box(record?.iter().map(str::len).sum::<usize>());
        rows += 1;
    }
    Ok(rows)
}

/// One export row as a `csv` + serde user would read it: `#[derive(Deserialize)]` over the
/// columns the purchase needs, by header name, values owned and parsed; rows are not gathered
/// into events.
#[derive(Debug, Deserialize)]
pub struct CsvRow {
    /// `df_unified_id`.
    pub df_unified_id: String,
    /// `event_log_id`.
    pub event_log_id: String,
    /// `event_datetime`.
    pub event_datetime: String,
    /// `df_order_id`.
    pub df_order_id: String,
    /// `df_payment_method`.
    pub df_payment_method: String,
    /// `df_total_purchase_amount`.
    pub df_total_purchase_amount: f64,
    /// `df_delivery_charge`.
    pub df_delivery_charge: f64,
    /// `df_discount`.
    pub df_discount: f64,
    /// `df_items_df_item_id`.
    pub df_items_df_item_id: String,
    /// `df_items_df_item_name`.
    pub df_items_df_item_name: String,
    /// `df_items_df_price`.
    pub df_items_df_price: f64,
    /// `df_items_df_quantity`.
    pub df_items_df_quantity: i64,
    /// `df_items_df_discount`.
    pub df_items_df_discount: f64,
    /// `df_items_df_category1`.
    pub df_items_df_category1: Option<String>,
    /// `df_items_df_category2`.
    pub df_items_df_category2: Option<String>,
}

/// What a `csv` user would write for typed rows: `reader.deserialize::<CsvRow>()`. Returns
/// the rows.
///
/// # Errors
///
/// When a row does not deserialise.
pub fn csv_serde_rows(bytes: &[u8]) -> Result<usize, csv::Error> {
    let mut reader = csv::Reader::from_reader(bytes);
    let mut rows = 0;
    for row in reader.deserialize::<CsvRow>() {
        black_box(row?);
        rows += 1;
    }
    Ok(rows)
}

/// A stricter baseline: one `csv::StringRecord` reused for every row (`read_record`), so it
/// allocates nothing per row. Returns the rows.
///
/// # Errors
///
/// When the CSV is malformed.
pub fn csv_rows_reused(bytes: &[u8]) -> Result<usize, csv::Error> {
    let mut reader = csv::Reader::from_reader(bytes);
    let mut record = csv::StringRecord::new();
    let mut rows = 0;
    while reader.read_record(&mut record)? {
        black_box(record.iter().map(str::len).sum::<usize>());
        rows += 1;
    }
    Ok(rows)
}

/// dfinery: every purchase decoded into [`Purchase`] with its system columns. Returns the
/// rows (items) decoded.
///
/// # Errors
///
/// When a row does not decode.
pub fn typed_rows(bytes: &[u8]) -> Result<usize, dfinery::export::ExportError> {
    let mut rows = 0;
    for event in ExportRows::new(bytes)?.events::<Purchase>()? {
        let event = event?;
        rows += black_box(&event).event.items.len().max(1);
    }
    Ok(rows)
}

/// dfinery's borrowed path: every row read with [`ExportRows::next_row`], each cell a `&str`
/// of the current record ([`ExportRow::iter`](dfinery::export::ExportRow::iter)), each
/// field touched as [`csv_rows`] does. Returns the rows.
///
/// # Errors
///
/// When the export is malformed.
pub fn borrowed_rows(bytes: &[u8]) -> Result<usize, dfinery::export::ExportError> {
    let mut reader = ExportRows::new(bytes)?;
    let mut rows = 0;
    while let Some(row) = reader.next_row()? {
        black_box(
            row.iter()
                .map(|(_, text)| text)
                .map(str::len)
                .sum::<usize>(),
        );
        rows += 1;
    }
    Ok(rows)
}

/// The figures of comparison 4.
#[derive(Debug, Clone, Copy)]
pub struct DecodeSamples {
    /// [`typed_rows`], one iteration per export.
    pub typed: Sample,
    /// [`borrowed_rows`], one iteration per export.
    pub borrowed: Sample,
    /// [`csv_rows`], one iteration per export.
    pub csv: Sample,
    /// [`csv_rows_reused`], one iteration per export.
    pub csv_reused: Sample,
    /// [`csv_serde_rows`], one iteration per export.
    pub csv_serde: Sample,
    /// Rows in the export.
    pub rows: usize,
    /// Bytes in the export.
    pub bytes: usize,
}

impl DecodeSamples {
    /// Rows per second of `sample`.
    pub fn rows_per_second(&self, sample: Sample) -> f64 {
        sample.per_second() * self.rows as f64
    }
}

/// Measures both decoders over `bytes`, interleaved, best of `rounds` windows.
///
/// # Errors
///
/// When a decoder fails, they disagree on the number of rows, or the export holds no rows
/// (every figure would be 0 rows/s and every ratio NaN).
pub fn measure(bytes: &[u8], rounds: usize, window: Duration) -> io::Result<DecodeSamples> {
    let typed = typed_rows(bytes).map_err(io::Error::other)?;
    let borrowed = borrowed_rows(bytes).map_err(io::Error::other)?;
    let csv = csv_rows(bytes).map_err(io::Error::other)?;
    let reused = csv_rows_reused(bytes).map_err(io::Error::other)?;
    let serde = csv_serde_rows(bytes).map_err(io::Error::other)?;
    if typed != csv || borrowed != csv || reused != csv || serde != csv {
        return Err(io::Error::other(format!(
            "the typed decoder read {typed} rows, the borrowed path {borrowed}, csv {csv}, \
             csv into a reused record {reused}, csv with serde {serde}"
        )));
    }
    if csv == 0 {
        return Err(io::Error::other(format!(
            "the export holds no rows ({} bytes): there is nothing to decode, so no figure",
            bytes.len()
        )));
    }
    let samples = best_of(
        rounds,
        window,
        &mut [
            &mut || typed_rows(bytes).unwrap_or(0),
            &mut || borrowed_rows(bytes).unwrap_or(0),
            &mut || csv_rows(bytes).unwrap_or(0),
            &mut || csv_rows_reused(bytes).unwrap_or(0),
            &mut || csv_serde_rows(bytes).unwrap_or(0),
        ],
    );
    Ok(DecodeSamples {
        typed: samples[0],
        borrowed: samples[1],
        csv: samples[2],
        csv_reused: samples[3],
        csv_serde: samples[4],
        rows: typed,
        bytes: bytes.len(),
    })
}

/// The figures of comparison 4 under the keys of the report's flat map of figures.
pub fn figures(s: &DecodeSamples) -> Vec<(&'static str, f64)> {
    let typed = s.rows_per_second(s.typed);
    let borrowed = s.rows_per_second(s.borrowed);
    let csv = s.rows_per_second(s.csv);
    let serde = s.rows_per_second(s.csv_serde);
    let per_row = |sample: Sample| sample.allocs_per_iter() / s.rows as f64;
    vec![
        ("decode.typed_over_csv_serde", typed / serde),
        ("decode.borrowed_over_csv_records", borrowed / csv),
        ("decode.typed_over_csv_records", typed / csv),
        ("decode.typed_allocs_per_row", per_row(s.typed)),
        ("decode.borrowed_allocs_per_row", per_row(s.borrowed)),
        ("decode.typed_rows_per_s", typed),
        ("decode.borrowed_rows_per_s", borrowed),
    ]
}

/// The owned fields of one export row of [`Purchase`] in this export: an item's id, name and
/// two categories (`None` holds nothing), plus a fifth of the event's order id, payment method
/// and the three `String`s of its system columns (five items per event). The goal for the
/// typed path is at most 2 allocations per row beyond these.
pub fn owned_fields_per_row(bytes: &[u8]) -> f64 {
    let mut owned = 0usize;
    let mut rows = 0usize;
    let Ok(events) = ExportRows::new(bytes).and_then(|r| r.events::<Purchase>()) else {
        return 0.0;
    };
    for event in events.flatten() {
        owned += 5;
        for item in &event.event.items {
            owned += 2
                + usize::from(item.df_category1.is_some())
                + usize::from(item.df_category2.is_some());
        }
        rows += event.event.items.len().max(1);
    }
    owned as f64 / rows.max(1) as f64
}

/// The report's rows for comparison 4.
pub fn comparison(s: &DecodeSamples, owned_per_row: f64) -> Comparison {
    let typed = s.rows_per_second(s.typed);
    let borrowed = s.rows_per_second(s.borrowed);
    let csv = s.rows_per_second(s.csv);
    let reused = s.rows_per_second(s.csv_reused);
    let serde = s.rows_per_second(s.csv_serde);
    let per_row = |sample: Sample| sample.allocs_per_iter() / s.rows as f64;
    let allocs = |sample: Sample| format!("{:.1} allocs/row", per_row(sample));
    Comparison {
        title: format!(
            "4. export decode: {} rows ({} purchases x {ITEMS_PER_PURCHASE} items, {} KiB) of an emulator export",
            s.rows,
            s.rows / ITEMS_PER_PURCHASE,
            s.bytes / 1024
        ),
        figures: vec![
            Figure::new(
                "dfinery typed: ExportRows::events::<Purchase>()",
                typed,
                "rows/s",
            )
            .with_extra(format!(
                "{}, of which {owned_per_row:.1} for owned fields",
                allocs(s.typed)
            )),
            Figure::new(
                "dfinery borrowed: ExportRows::next_row(), &str fields",
                borrowed,
                "rows/s",
            )
            .with_extra(allocs(s.borrowed)),
            Figure::new(
                "csv: reader.records() (StringRecord iteration)",
                csv,
                "rows/s",
            )
            .with_extra(allocs(s.csv)),
            Figure::new(
                "csv: read_record into one reused StringRecord",
                reused,
                "rows/s",
            )
            .with_extra(allocs(s.csv_reused)),
            Figure::new(
                "csv + serde: reader.deserialize::<CsvRow>()",
                serde,
                "rows/s",
            )
            .with_extra(allocs(s.csv_serde)),
        ],
        ratios: vec![
            Ratio::new(
                "typed rows/s / csv + serde rows/s",
                typed / serde,
                Goal::AtLeast(1.5),
            ),
            Ratio::new(
                "borrowed rows/s / csv records() rows/s",
                borrowed / csv,
                Goal::AtLeast(0.8),
            ),
            Ratio::new(
                "typed allocs/row beyond the owned fields (a count, not a ratio)",
                per_row(s.typed) - owned_per_row,
                Goal::AtMost(2.0),
            ),
            Ratio::new(
                "typed rows/s / csv records() rows/s",
                typed / csv,
                Goal::None,
            ),
            Ratio::new(
                "typed rows/s / csv reused-record rows/s",
                typed / reused,
                Goal::None,
            ),
        ],
        notes: vec![
            "typed rows are whole structs (owned Strings, numbers parsed, datetimes and ids \
             checked, items gathered into their events); borrowed rows are the text of every \
             cell, checked (UTF-8, field count, no error body) but not parsed; the csv rows are \
             text fields only; csv + serde rows are owned and parsed but flat (no events, \
             nothing checked)"
                .to_owned(),
            crate::report::keys_note(&figures(s)),
        ],
    }
}
