//! [`ItemList`]: the Rust types that can hold an event's items.

use super::Item;
use crate::encode::writer::ItemsWriter;

/// A field type that holds an event's items: `Vec<I>`, `[I; N]`, `[I]` (so `&[I]` and
/// `Box<[I]>`), and `Option` of any of those, where `I: Item`. The derive writes the field
/// with [`write_items`](ItemList::write_items) and names the item type through
/// [`Element`](ItemList::Element).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold the items of a DFINERY event",
    label = "not a list of items",
    note = "use `Vec<I>` (or `[I; N]`, `&[I]`, `Box<[I]>`) where `I` has `#[derive(DfineryItem)]`"
)]
pub trait ItemList {
    /// The item type.
    type Element: Item;

    /// Writes every item.
    fn write_items(&self, w: &mut ItemsWriter<'_>);

    /// Whether the list can be absent (an `Option`, also behind `&` or `Box`), which writes no
    /// items: the derive refuses it at compile time for an event that requires items. Hidden
    /// plumbing: only the `Option` and pointer impls here set it.
    #[doc(hidden)]
    const OPTIONAL: bool = false;
}

impl<I: Item> ItemList for [I] {
    type Element = I;

    fn write_items(&self, w: &mut ItemsWriter<'_>) {
        for item in self {
            w.item(item);
        }
    }
}

impl<I: Item> ItemList for Vec<I> {
    type Element = I;

    fn write_items(&self, w: &mut ItemsWriter<'_>) {
        self.as_slice().write_items(w);
    }
}

impl<I: Item, const N: usize> ItemList for [I; N] {
    type Element = I;

    fn write_items(&self, w: &mut ItemsWriter<'_>) {
        self.as_slice().write_items(w);
    }
}

impl<L: ItemList + ?Sized> ItemList for &L {
    type Element = L::Element;
    const OPTIONAL: bool = L::OPTIONAL;

    fn write_items(&self, w: &mut ItemsWriter<'_>) {
        (**self).write_items(w);
    }
}

impl<L: ItemList + ?Sized> ItemList for Box<L> {
    type Element = L::Element;
    const OPTIONAL: bool = L::OPTIONAL;

    fn write_items(&self, w: &mut ItemsWriter<'_>) {
        (**self).write_items(w);
    }
}

impl<L: ItemList> ItemList for Option<L> {
    type Element = L::Element;
    const OPTIONAL: bool = true;

    /// `None` writes no items.
    fn write_items(&self, w: &mut ItemsWriter<'_>) {
        if let Some(list) = self {
            list.write_items(w);
        }
    }
}
