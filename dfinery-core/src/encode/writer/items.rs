//! [`ItemsWriter`]: writes the `event_items` array, one checked object per item.

use std::borrow::Cow;

use super::{ObjectPath, ObjectWriter, Violation, Written};
use crate::encode::model::Item;
use crate::encode::property::Rule;
use crate::limits::MAX_ITEMS_PER_REQUEST;

/// Writes an event's `event_items` array straight into a byte buffer: one
/// [`ObjectWriter`] per item, with the item's index in violation paths
/// (`event_items[2].df_price`). When the record finishes the array it checks the item count
/// against [`MAX_ITEMS_PER_REQUEST`] (100, the most one request may carry, so the most one
/// event may have) and, when [`require_items`](ItemsWriter::require_items) was called, that
/// there is at least one.
#[derive(Debug)]
pub struct ItemsWriter<'a> {
    out: &'a mut Vec<u8>,
    violations: &'a mut Vec<Violation>,
    count: usize,
    required: bool,
    valid_json: bool,
}

impl<'a> ItemsWriter<'a> {
    /// Starts the array (writes `[`) at the end of `out`.
    pub(crate) fn new(out: &'a mut Vec<u8>, violations: &'a mut Vec<Violation>) -> Self {
        out.push(b'[');
        ItemsWriter {
            out,
            violations,
            count: 0,
            required: false,
            valid_json: true,
        }
    }

    /// Writes one item.
    pub fn item<I: Item + ?Sized>(&mut self, item: &I) {
        self.object(|w| item.write_item(w));
    }

    /// Writes one item object with `write` (for dynamic items).
    pub(crate) fn object(&mut self, write: impl FnOnce(&mut ObjectWriter<'_>)) {
        if self.count > 0 {
            self.out.push(b',');
        }
        let mut w = ObjectWriter::new(self.out, self.violations, ObjectPath::Item(self.count));
        write(&mut w);
        self.valid_json &= w.finish_written().valid_json;
        self.count += 1;
    }

    /// Declares that the event needs at least one item (standard events whose `df_items` is
    /// required); finishing the array records [`Rule::NoItems`] otherwise.
    pub fn require_items(&mut self) {
        self.required = true;
    }

    /// How many items have been written so far.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Whether no item has been written so far.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Ends the array (writes `]`), checks the item count, and returns it.
    #[cfg(test)]
    pub(crate) fn finish(self) -> usize {
        self.finish_written().count
    }

    /// Ends the array (writes `]`), checks the item count, and says what was written.
    pub(crate) fn finish_written(self) -> Written {
        self.out.push(b']');
        let rule = if self.count > MAX_ITEMS_PER_REQUEST {
            Some(Rule::TooManyItems {
                len: self.count,
                max: MAX_ITEMS_PER_REQUEST,
            })
        } else if self.required && self.count == 0 {
            Some(Rule::NoItems)
        } else {
            None
        };
        if let Some(rule) = rule {
            self.violations.push(Violation {
                path: "event_items".to_owned(),
                property: Cow::Borrowed("event_items"),
                rule,
            });
        }
        Written {
            count: self.count,
            valid_json: self.valid_json,
        }
    }
}
