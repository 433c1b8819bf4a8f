//! Splitting a run of events into requests: at most `max_events` per request and, when asked,
//! at most 100 items per request; the order is kept.

use std::ops::Range;

use serde::de::IgnoredAny;

use crate::limits::MAX_ITEMS_PER_EVENT;
use crate::record::EventRecord;

/// The number of items of a record (0 without `event_items`).
pub(crate) fn item_count(record: &EventRecord) -> usize {
    record.event_items().map_or(0, |raw| {
        serde_json::from_str::<Vec<IgnoredAny>>(raw.get()).map_or(0, |items| items.len())
    })
}

/// Consecutive ranges covering `0..items.len()` in order, where `items[i]` is the item count of
/// event `i`: each range holds at most `max_events` events and, when `items_per_request` is
/// set, at most [`MAX_ITEMS_PER_EVENT`] items in all (an event with more items than that goes
/// alone: an event is never cut).
pub(crate) fn split(
    items: &[usize],
    max_events: usize,
    items_per_request: bool,
) -> Vec<Range<usize>> {
    let max_events = max_events.max(1);
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut item_total = 0;
    for (i, &count) in items.iter().enumerate() {
        let full = i - start == max_events
            || (items_per_request && i > start && item_total + count > MAX_ITEMS_PER_EVENT);
        if full {
            ranges.push(start..i);
            start = i;
            item_total = 0;
        }
        item_total += count;
    }
    if start < items.len() {
        ranges.push(start..items.len());
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ItemBuilder;

    #[test]
    fn two_hundred_fifty_events_make_three_requests_in_order() {
        let ranges = split(&[0; 250], 100, false);
        assert_eq!(ranges, [0..100, 100..200, 200..250]);
    }

    #[test]
    fn exact_multiples_and_small_runs() {
        assert_eq!(split(&[0; 200], 100, false), [0..100, 100..200]);
        assert_eq!(split(&[0; 1], 100, false), vec![0..1_usize; 1]);
        assert_eq!(split(&[], 100, false), Vec::<Range<usize>>::new());
        assert_eq!(split(&[0; 5], 2, false), [0..2, 2..4, 4..5]);
    }

    #[test]
    fn items_per_event_are_ignored_unless_counted_per_request() {
        assert_eq!(split(&[60, 60, 60], 100, false), vec![0..3_usize; 1]);
        assert_eq!(split(&[60, 60, 60], 100, true), [0..1, 1..2, 2..3]);
        assert_eq!(split(&[40, 60, 1, 99, 0], 100, true), [0..2, 2..5]);
        // An event with more than 100 items goes alone.
        assert_eq!(split(&[5, 150, 5], 100, true), [0..1, 1..2, 2..3]);
        // First in line, it is sent alone too, with no empty request before it.
        assert_eq!(split(&[150, 1], 100, true), [0..1, 1..2]);
    }

    #[test]
    fn both_limits_at_once() {
        let mut items = vec![0; 150];
        items[10] = 100;
        items[11] = 1;
        assert_eq!(split(&items, 100, true), [0..11, 11..111, 111..150]);
        assert_eq!(split(&items, 100, false), [0..100, 100..150]);
    }

    #[test]
    fn items_are_counted_from_the_record() {
        let record = EventRecord::builder("df_purchase")
            .item(ItemBuilder::new().property("df_item_id", "a"))
            .item(ItemBuilder::new().property("df_item_id", "b"))
            .build()
            .unwrap();
        assert_eq!(item_count(&record), 2);
        let bare = EventRecord::builder("df_login").build().unwrap();
        assert_eq!(item_count(&bare), 0);
    }
}
