//! [`Select`]: an `all` / `include` / `exclude` choice of names, as the export filters take it.

use crate::wire::ConditionType;

/// The prefix of item property columns and filter names: `df_items_<item property>`.
pub(crate) const ITEM_PREFIX: &str = "df_items_";

/// The export name of the item property `name`, e.g. `df_price` → `df_items_df_price`.
pub(crate) fn item_column(name: &str) -> String {
    format!("{ITEM_PREFIX}{name}")
}

/// Which names a filter keeps. The default keeps all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Select {
    /// Every name.
    #[default]
    All,
    /// Only these names.
    Include(Vec<String>),
    /// Every name except these.
    Exclude(Vec<String>),
}

impl Select {
    /// Whether the filter keeps `name`: what each mode means, pinned by the tests below.
    #[cfg(test)]
    pub(crate) fn keeps(&self, name: &str) -> bool {
        match self {
            Select::All => true,
            Select::Include(names) => names.iter().any(|n| n == name),
            Select::Exclude(names) => !names.iter().any(|n| n == name),
        }
    }

    /// The condition type and the list as the request body carries them.
    pub(crate) fn to_wire(&self) -> (ConditionType, Option<Vec<String>>) {
        match self {
            Select::All => (ConditionType::All, None),
            Select::Include(names) => (ConditionType::Include, Some(names.clone())),
            Select::Exclude(names) => (ConditionType::Exclude, Some(names.clone())),
        }
    }
}

/// A [`Select`] being built: adding to one mode after the other is remembered as a conflict,
/// reported when the query is checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Building {
    pub(crate) select: Select,
    pub(crate) conflict: bool,
}

impl Building {
    /// Adds `names` to the include list (switching from `all`).
    pub(crate) fn include(&mut self, names: impl IntoIterator<Item = String>) {
        match &mut self.select {
            Select::All => self.select = Select::Include(dedup(Vec::new(), names)),
            Select::Include(list) => *list = dedup(std::mem::take(list), names),
            Select::Exclude(_) => self.conflict = true,
        }
    }

    /// Adds `names` to the exclude list (switching from `all`).
    pub(crate) fn exclude(&mut self, names: impl IntoIterator<Item = String>) {
        match &mut self.select {
            Select::All => self.select = Select::Exclude(dedup(Vec::new(), names)),
            Select::Exclude(list) => *list = dedup(std::mem::take(list), names),
            Select::Include(_) => self.conflict = true,
        }
    }
}

/// `list` with `more` appended, each name once, in first-seen order.
fn dedup(mut list: Vec<String>, more: impl IntoIterator<Item = String>) -> Vec<String> {
    for name in more {
        if !list.contains(&name) {
            list.push(name);
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_column_is_the_prefixed_property_name() {
        assert_eq!(item_column("df_price"), "df_items_df_price");
    }

    #[test]
    fn include_then_exclude_is_a_conflict() {
        let mut b = Building::default();
        b.include(["a".to_owned(), "b".to_owned(), "a".to_owned()]);
        assert_eq!(b.select, Select::Include(vec!["a".into(), "b".into()]));
        assert!(!b.conflict);
        b.exclude(["c".to_owned()]);
        assert!(b.conflict);
    }

    #[test]
    fn keeps_follows_the_mode() {
        assert!(Select::All.keeps("x"));
        assert!(Select::Include(vec!["x".into()]).keeps("x"));
        assert!(!Select::Include(vec!["x".into()]).keeps("y"));
        assert!(!Select::Exclude(vec!["x".into()]).keeps("x"));
        assert!(Select::Exclude(vec!["x".into()]).keeps("y"));
    }
}
