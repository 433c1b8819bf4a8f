//! Comparison 1, serialisation: a derived `df_purchase` with five items to wire JSON bytes,
//! against the same data with `#[derive(Serialize)]` (the floor) and against a `json!` value
//! (what other Rust analytics SDKs do); and dfinery's string escaper against `serde_json`'s on
//! that event's keys and strings ([`escape`]).

use std::time::Duration;

use dfinery::{Event, ValidationError};
use serde_json::{Value, json};

use crate::escape;
use crate::fixtures::{Purchase, SerdePurchase, purchase, serde_purchase};
use crate::measure::{Sample, best_of};
use crate::report::{Comparison, Figure, Goal, Ratio};

/// The dfinery path: check every value and write the record ([`Event::to_record`]), then the
/// event object's bytes.
///
/// # Errors
///
/// The event's [`ValidationError`] when a value breaks a rule.
pub fn typed(purchase: &Purchase) -> Result<Vec<u8>, ValidationError> {
    let record = purchase.to_record()?;
    Ok(serde_json::to_vec(&record).unwrap_or_default())
}

/// The floor: `serde_json::to_vec` of the `#[derive(Serialize)]` struct, with no check at all.
pub fn serde(purchase: &SerdePurchase) -> Vec<u8> {
    serde_json::to_vec(purchase).unwrap_or_default()
}

/// [`typed`] written into `out` (cleared first), a buffer the caller keeps between events: the
/// goal's side, against [`serde_into`] doing the same.
///
/// # Errors
///
/// The event's [`ValidationError`] when a value breaks a rule.
pub fn typed_into(purchase: &Purchase, out: &mut Vec<u8>) -> Result<usize, ValidationError> {
    out.clear();
    let record = purchase.to_record()?;
    serde_json::to_writer(&mut *out, &record).unwrap_or_default();
    Ok(out.len())
}

/// [`serde()`] written into `out` (cleared first), a buffer the caller keeps between events:
/// the floor with the same buffer reuse as [`typed_into`].
pub fn serde_into(purchase: &SerdePurchase, out: &mut Vec<u8>) -> usize {
    out.clear();
    serde_json::to_writer(&mut *out, purchase).unwrap_or_default();
    out.len()
}

/// What other SDKs do: build a `serde_json::Value` with `json!` from the same data, then
/// serialise it.
pub fn json_value(purchase: &Purchase) -> Vec<u8> {
    serde_json::to_vec(&json_purchase(purchase)).unwrap_or_default()
}

/// `purchase` as a `json!` value.
pub fn json_purchase(purchase: &Purchase) -> Value {
    let items: Vec<Value> = purchase
        .items
        .iter()
        .map(|item| {
            json!({
                "df_item_id": item.id,
                "df_item_name": item.name,
                "df_price": item.price,
                "df_quantity": item.quantity,
                "df_discount": item.discount,
                "df_category1": item.df_category1,
                "df_category2": item.df_category2,
            })
        })
        .collect();
    json!({
        "event_log_id": purchase.log_id.unwrap_or_default().to_string(),
        "event_name": "df_purchase",
        "event_datetime": purchase.at.to_string(),
        "event_items": items,
        "event_properties": {
            "df_order_id": purchase.df_order_id,
            "df_payment_method": purchase.df_payment_method,
            "df_total_purchase_amount": purchase.df_total_purchase_amount,
            "df_delivery_charge": purchase.df_delivery_charge,
            "df_discount": purchase.df_discount,
        },
    })
}

/// The figures of comparison 1.
#[derive(Debug, Clone, Copy)]
pub struct SerializeSamples {
    /// [`typed`].
    pub typed: Sample,
    /// [`serde()`].
    pub serde: Sample,
    /// [`typed_into`], one buffer kept across events.
    pub typed_into: Sample,
    /// [`serde_into`], one buffer kept across events.
    pub serde_into: Sample,
    /// [`json_value`].
    pub json_value: Sample,
    /// [`escape::dfinery`] over [`escape::purchase_strings`].
    pub escape_dfinery: Sample,
    /// [`escape::serde`] over the same strings.
    pub escape_serde: Sample,
}

/// Measures the three paths, interleaved, `rounds` times `window` each, keeping each one's best.
pub fn measure(rounds: usize, window: Duration) -> SerializeSamples {
    let purchase = purchase();
    let twin = serde_purchase(&purchase);
    let strings = escape::purchase_strings();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut our_buffer, mut their_buffer) = (Vec::new(), Vec::new());
    let samples = best_of(
        rounds,
        window,
        &mut [
            &mut || typed(&purchase).map_or(0, |bytes| bytes.len()),
            &mut || serde(&twin).len(),
            &mut || typed_into(&purchase, &mut our_buffer).unwrap_or(0),
            &mut || serde_into(&twin, &mut their_buffer),
            &mut || json_value(&purchase).len(),
            &mut || escape::dfinery(&strings, &mut ours),
            &mut || escape::serde(&strings, &mut theirs),
        ],
    );
    SerializeSamples {
        typed: samples[0],
        serde: samples[1],
        typed_into: samples[2],
        serde_into: samples[3],
        json_value: samples[4],
        escape_dfinery: samples[5],
        escape_serde: samples[6],
    }
}

/// The report's rows for comparison 1.
pub fn compare(rounds: usize, window: Duration) -> Comparison {
    let s = measure(rounds, window);
    let figure = |label: &str, sample: Sample| {
        Figure::time(label, sample.ns_per_iter(), "event").with_allocs(sample)
    };
    Comparison {
        title: "1. serialisation: derived `df_purchase` with 5 items -> wire JSON bytes".to_owned(),
        figures: vec![
            figure(
                "dfinery derive: to_record (checks) + to_writer into a kept buffer",
                s.typed_into,
            ),
            figure(
                "serde derive: serde_json::to_writer into a kept buffer (floor)",
                s.serde_into,
            ),
            figure("dfinery derive: to_record (checks) + to_vec", s.typed),
            figure("serde derive: serde_json::to_vec", s.serde),
            figure("json! Value + serde_json::to_vec", s.json_value),
            figure(
                "dfinery's string escaper: the event's keys and strings",
                s.escape_dfinery,
            ),
            figure(
                "serde_json::to_writer of each string: the same strings",
                s.escape_serde,
            ),
        ],
        ratios: vec![
            // Both into a buffer kept across events, so neither side pays for growing a fresh
            // one (dfinery's record reuses its own scratch space and chunk; `to_vec` alone
            // would leave serde growing a new vector five times per event).
            Ratio::new(
                "dfinery time / serde-derive time, each into a kept buffer",
                s.typed_into.ns_per_iter() / s.serde_into.ns_per_iter(),
                Goal::AtMost(1.10),
            ),
            Ratio::new(
                "dfinery time / serde-derive time, each to a new Vec (to_vec)",
                s.typed.ns_per_iter() / s.serde.ns_per_iter(),
                Goal::None,
            ),
            Ratio::new(
                "json! time / dfinery time (speed-up over json!)",
                s.json_value.ns_per_iter() / s.typed.ns_per_iter(),
                Goal::AtLeast(2.0),
            ),
            // dfinery keeps its own escaper while serde_json's costs more than 5 % more
            // (`BENCHMARKS.md`, "JSON escaper").
            Ratio::new(
                "serde_json escaper time / dfinery escaper time",
                s.escape_serde.ns_per_iter() / s.escape_dfinery.ns_per_iter(),
                Goal::AtLeast(1.05),
            ),
        ],
        notes: vec![],
    }
}
