//! Splitting a run of events into requests: at most `max_events` events and at most 100 items
//! (all events together) per request; the order is kept.

use std::ops::Range;

use crate::encode::record::EventRecord;
use crate::limits::MAX_ITEMS_PER_REQUEST;

/// The number of items of a record (0 without `event_items`).
pub(crate) fn item_count(record: &EventRecord) -> usize {
    record.item_count()
}

/// Consecutive ranges covering `0..items.len()` in order, where `items[i]` is the item count of
/// event `i`: each range holds at most `max_events` events and at most
/// [`MAX_ITEMS_PER_REQUEST`] items in all. An event is never cut: one with more items than that
/// would go alone, but [`EventRecord`]s never have more (their builder refuses them).
pub(crate) fn split(items: &[usize], max_events: usize) -> Vec<Range<usize>> {
    let max_events = max_events.max(1);
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut item_total = 0;
    for (i, &count) in items.iter().enumerate() {
        let full =
            i - start == max_events || (i > start && item_total + count > MAX_ITEMS_PER_REQUEST);
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
    use crate::encode::record::ItemBuilder;

    #[test]
    fn two_hundred_fifty_events_make_three_requests_in_order() {
        let ranges = split(&[0; 250], 100);
        assert_eq!(ranges, [0..100, 100..200, 200..250]);
    }

    #[test]
    fn exact_multiples_and_small_runs() {
        assert_eq!(split(&[0; 200], 100), [0..100, 100..200]);
        assert_eq!(split(&[0; 1], 100), vec![0..1_usize; 1]);
        assert_eq!(split(&[], 100), Vec::<Range<usize>>::new());
        assert_eq!(split(&[0; 5], 2), [0..2, 2..4, 4..5]);
    }

    #[test]
    fn items_are_counted_per_request_all_events_together() {
        assert_eq!(split(&[60, 60], 100), [0..1, 1..2]);
        assert_eq!(split(&[60, 60, 60], 100), [0..1, 1..2, 2..3]);
        assert_eq!(split(&[40, 60, 1, 99, 0], 100), [0..2, 2..5]);
        assert_eq!(split(&[50, 50, 0, 0, 1], 100), [0..4, 4..5]);
        assert_eq!(split(&[100, 100], 100), [0..1, 1..2]);
        // An event over the limit (which a record never is) would go alone, never be cut.
        assert_eq!(split(&[5, 150, 5], 100), [0..1, 1..2, 2..3]);
        // First in line, it is sent alone too, with no empty request before it.
        assert_eq!(split(&[150, 1], 100), [0..1, 1..2]);
    }

    #[test]
    fn no_request_exceeds_either_limit() {
        let items: Vec<usize> = (0..500).map(|i| (i * 37) % 23).collect();
        let ranges = split(&items, 100);
        let mut next = 0;
        for range in &ranges {
            assert_eq!(range.start, next, "ranges are consecutive, in order");
            assert!(range.len() <= 100);
            assert!(items[range.clone()].iter().sum::<usize>() <= MAX_ITEMS_PER_REQUEST);
            next = range.end;
        }
        assert_eq!(next, items.len());
    }

    #[test]
    fn both_limits_at_once() {
        let mut items = vec![0; 150];
        items[10] = 100;
        items[11] = 1;
        assert_eq!(split(&items, 100), [0..11, 11..111, 111..150]);
    }

    #[test]
    fn items_are_counted_from_the_record() {
        let record = EventRecord::builder("df_purchase")
            .item(ItemBuilder::new().property("df_item_id", "a"))
            .item(ItemBuilder::new().property("df_item_id", "b"))
            .build()
            .unwrap();
        assert_eq!(item_count(&record), 2);
        // Counted when read back (from the spool) and kept when the record is re-stamped.
        let back: EventRecord = serde_json::from_str(record.as_json()).unwrap();
        assert_eq!(item_count(&back), 2);
        let restamped = back.with_event_datetime(crate::encode::value::Datetime::now());
        assert_eq!(item_count(&restamped), 2);
        let bare = EventRecord::builder("df_login").build().unwrap();
        assert_eq!(item_count(&bare), 0);
    }
}
