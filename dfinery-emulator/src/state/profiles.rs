//! Unified profiles: identity upsert with `external_id` authoritative, user properties with
//! last-`request_datetime`-wins, delete by `external_id`.

use std::collections::{BTreeMap, HashMap};

use dfinery_schema::protocol::Identifier;
use serde_json::Value;

use crate::model::{StoredIdentity, StoredProfile};

/// A stored profile: identifiers plus every property ever set, with the `request_datetime`
/// (epoch ms) of the write that set it, so an older write arriving late loses.
#[derive(Debug, Clone)]
struct Record {
    unified_id: String,
    identity: StoredIdentity,
    properties: BTreeMap<String, (Value, i128)>,
}

/// A profile found or created by [`Profiles::upsert`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProfileKey {
    key: u64,
    /// The profile's `df_unified_id`.
    pub(crate) unified_id: String,
}

/// All profiles of the service, in creation order, with an index per identifier.
#[derive(Debug, Default)]
pub(crate) struct Profiles {
    records: BTreeMap<u64, Record>,
    index: HashMap<(Identifier, String), u64>,
    next: u64,
}

impl Profiles {
    /// Finds or creates the profile `identity` points at and attaches every identifier of
    /// `identity` to it (`docs/design.md`: `external_id` is authoritative; other identifiers attach
    /// to the profile it selects). Returns the profile's unified id.
    ///
    /// - with an `external_id`: the profile holding it, else a new one;
    /// - without: the profile holding the first known of `phone_no`, `email`,
    ///   `kakao_user_id`, `line_user_id`, else a new one.
    ///
    /// An identifier held by another profile moves to the selected one; a profile left with no
    /// identifier is merged into it (its properties fill the gaps) and removed.
    pub(crate) fn upsert(
        &mut self,
        identity: &StoredIdentity,
        new_id: impl FnOnce() -> String,
    ) -> ProfileKey {
        let found = match identity.external_id.as_ref() {
            Some(external) => self.find(Identifier::ExternalId, external),
            None => identity
                .fields()
                .find_map(|(field, value)| value.and_then(|v| self.find(field, v))),
        };
        let key = found.unwrap_or_else(|| self.create(new_id()));
        for (field, value) in identity.fields() {
            if let Some(value) = value {
                self.attach(key, field, value);
            }
        }
        let unified_id = self
            .records
            .get(&key)
            .map(|r| r.unified_id.clone())
            .unwrap_or_default();
        ProfileKey { key, unified_id }
    }

    /// Applies user properties written at `written_at` (epoch ms of `request_datetime`) to a
    /// profile: each property is replaced unless it was last written later; `null` clears it.
    pub(crate) fn set_properties(
        &mut self,
        profile: &ProfileKey,
        properties: &serde_json::Map<String, Value>,
        written_at: i128,
    ) {
        let Some(record) = self.records.get_mut(&profile.key) else {
            return;
        };
        for (name, value) in properties {
            let newer = record
                .properties
                .get(name)
                .is_none_or(|(_, at)| *at <= written_at);
            if newer {
                record
                    .properties
                    .insert(name.clone(), (value.clone(), written_at));
            }
        }
    }

    /// Deletes the profile holding `external_id`; deleting an unknown one does nothing.
    /// Returns whether a profile was removed.
    pub(crate) fn delete(&mut self, external_id: &str) -> bool {
        let Some(key) = self.find(Identifier::ExternalId, external_id) else {
            return false;
        };
        self.remove(key);
        true
    }

    /// The profile holding an `external_id`.
    pub(crate) fn by_external_id(&self, external_id: &str) -> Option<StoredProfile> {
        self.find(Identifier::ExternalId, external_id)
            .and_then(|key| self.records.get(&key))
            .map(view)
    }

    /// Up to `limit` profiles in creation order, starting at position key `from`; also returns
    /// the key to continue from.
    pub(crate) fn page(&self, from: u64, limit: usize) -> (Vec<StoredProfile>, u64) {
        let page: Vec<(u64, StoredProfile)> = self
            .records
            .range(from..)
            .take(limit)
            .map(|(k, r)| (*k, view(r)))
            .collect();
        let next = page.last().map_or(from, |(k, _)| k + 1);
        (page.into_iter().map(|(_, p)| p).collect(), next)
    }

    /// The profiles whose `external_id` contains `needle` (case-insensitive), the one that is
    /// exactly `needle` first and the rest in creation order, at most `limit`; and whether
    /// more matched. Only the matches are copied (the inspector's search runs on each
    /// keystroke, with the store locked).
    pub(crate) fn search_external_id(
        &self,
        needle: &str,
        limit: usize,
    ) -> (Vec<StoredProfile>, bool) {
        let lower = needle.to_lowercase();
        let exact = self.find(Identifier::ExternalId, needle);
        let mut found: Vec<StoredProfile> = exact
            .and_then(|key| self.records.get(&key))
            .map(view)
            .into_iter()
            .take(limit)
            .collect();
        for (key, record) in &self.records {
            if Some(*key) == exact {
                continue;
            }
            let matches = record
                .identity
                .external_id
                .as_ref()
                .is_some_and(|id| id.to_lowercase().contains(&lower));
            if matches {
                if found.len() >= limit {
                    return (found, true);
                }
                found.push(view(record));
            }
        }
        let more = exact.is_some() && limit == 0;
        (found, more)
    }

    /// Every profile in creation order.
    pub(crate) fn all(&self) -> Vec<StoredProfile> {
        self.records.values().map(view).collect()
    }

    /// How many profiles exist.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    fn find(&self, field: Identifier, value: &str) -> Option<u64> {
        self.index.get(&(field, value.to_owned())).copied()
    }

    fn create(&mut self, unified_id: String) -> u64 {
        let key = self.next;
        self.next += 1;
        self.records.insert(
            key,
            Record {
                unified_id,
                identity: StoredIdentity::default(),
                properties: BTreeMap::new(),
            },
        );
        key
    }

    /// Gives `field = value` to profile `key`, taking it from any other profile.
    fn attach(&mut self, key: u64, field: Identifier, value: &str) {
        if let Some(owner) = self.find(field, value).filter(|&owner| owner != key) {
            self.detach(owner, field);
            if self
                .records
                .get(&owner)
                .is_some_and(|r| r.identity.is_empty())
            {
                self.merge_into(owner, key);
            }
        }
        let old = self
            .records
            .get(&key)
            .and_then(|r| r.identity.get(field).cloned());
        if let Some(old) = old {
            self.index.remove(&(field, old));
        }
        if let Some(record) = self.records.get_mut(&key) {
            record.identity.set(field, Some(value.to_owned()));
            self.index.insert((field, value.to_owned()), key);
        }
    }

    fn detach(&mut self, key: u64, field: Identifier) {
        if let Some(record) = self.records.get_mut(&key)
            && let Some(old) = record.identity.get(field).cloned()
        {
            record.identity.set(field, None);
            self.index.remove(&(field, old));
        }
    }

    /// Moves the properties of `from` that `into` lacks, then removes `from`.
    fn merge_into(&mut self, from: u64, into: u64) {
        let Some(source) = self.records.remove(&from) else {
            return;
        };
        if let Some(target) = self.records.get_mut(&into) {
            for (name, value) in source.properties {
                target.properties.entry(name).or_insert(value);
            }
        }
    }

    fn remove(&mut self, key: u64) {
        if let Some(record) = self.records.remove(&key) {
            for (field, value) in record.identity.fields() {
                if let Some(value) = value {
                    self.index.remove(&(field, value.clone()));
                }
            }
        }
    }
}

fn view(record: &Record) -> StoredProfile {
    StoredProfile {
        df_unified_id: record.unified_id.clone(),
        identity: record.identity.clone(),
        properties: record
            .properties
            .iter()
            .filter(|(_, (value, _))| !value.is_null())
            .map(|(name, (value, _))| (name.clone(), value.clone()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("u{n}")
        }
    }

    fn identity(pairs: &[(&str, &str)]) -> StoredIdentity {
        let mut identity = StoredIdentity::default();
        for (name, value) in pairs {
            identity.set(
                Identifier::from_name(name).unwrap(),
                Some((*value).to_owned()),
            );
        }
        identity
    }

    #[test]
    fn external_id_selects_the_profile_and_other_identifiers_attach_to_it() {
        let mut profiles = Profiles::default();
        let mut next = ids();
        let a = profiles
            .upsert(&identity(&[("email", "a@x.io")]), &mut next)
            .unified_id;
        let b = profiles
            .upsert(&identity(&[("external_id", "u-1")]), &mut next)
            .unified_id;
        assert_ne!(a, b);
        // The e-mail moves to u-1's profile; the anonymous profile, now empty, merges into it.
        let c = profiles.upsert(
            &identity(&[("external_id", "u-1"), ("email", "a@x.io")]),
            &mut next,
        );
        assert_eq!(c.unified_id, b);
        assert_eq!(profiles.len(), 1);
        assert_eq!(
            profiles
                .by_external_id("u-1")
                .unwrap()
                .identity
                .email
                .as_deref(),
            Some("a@x.io")
        );
        // Without an external id, a known identifier selects the profile.
        let d = profiles.upsert(&identity(&[("email", "a@x.io")]), &mut next);
        assert_eq!(d.unified_id, b);
    }

    #[test]
    fn the_search_lists_the_exact_id_first_then_the_others_in_order_up_to_the_limit() {
        let mut profiles = Profiles::default();
        let mut next = ids();
        for id in ["user-10", "User-1", "other", "user-1", "user-12", "user-13"] {
            profiles.upsert(&StoredIdentity::external(id), &mut next);
        }
        let ids = |(found, more): (Vec<StoredProfile>, bool)| {
            let ids: Vec<String> = found
                .into_iter()
                .map(|p| p.identity.external_id.unwrap())
                .collect();
            (ids, more)
        };
        assert_eq!(
            ids(profiles.search_external_id("user-1", 3)),
            (
                vec!["user-1".into(), "user-10".into(), "User-1".into()],
                true
            )
        );
        assert_eq!(
            ids(profiles.search_external_id("USER-1", 10)),
            (
                vec![
                    "user-10".into(),
                    "User-1".into(),
                    "user-1".into(),
                    "user-12".into(),
                    "user-13".into()
                ],
                false
            )
        );
        assert_eq!(
            ids(profiles.search_external_id("other", 1)),
            (vec!["other".into()], false)
        );
        assert_eq!(
            ids(profiles.search_external_id("nobody", 5)),
            (vec![], false)
        );
    }

    #[test]
    fn later_request_datetime_wins_and_null_clears() {
        let mut profiles = Profiles::default();
        let id = profiles.upsert(&StoredIdentity::external("u-1"), ids());
        let set = |p: &mut Profiles, value: Value, at: i128| {
            let map = json!({ "df_gender": value }).as_object().unwrap().clone();
            p.set_properties(&id, &map, at);
        };
        set(&mut profiles, json!("Female"), 20);
        set(&mut profiles, json!("Male"), 10);
        let props = profiles.by_external_id("u-1").unwrap().properties;
        assert_eq!(props["df_gender"], json!("Female"));
        set(&mut profiles, Value::Null, 30);
        assert!(
            profiles
                .by_external_id("u-1")
                .unwrap()
                .properties
                .is_empty()
        );
        set(&mut profiles, json!("Other"), 25);
        assert!(
            profiles
                .by_external_id("u-1")
                .unwrap()
                .properties
                .is_empty()
        );
    }

    #[test]
    fn delete_is_idempotent_and_frees_the_identifiers() {
        let mut profiles = Profiles::default();
        let mut next = ids();
        let first = profiles.upsert(
            &identity(&[("external_id", "u-1"), ("phone_no", "8210")]),
            &mut next,
        );
        assert!(profiles.delete("u-1"));
        assert!(!profiles.delete("u-1"));
        assert_eq!(profiles.len(), 0);
        let again = profiles.upsert(&identity(&[("phone_no", "8210")]), &mut next);
        assert_ne!(first.unified_id, again.unified_id);
    }

    #[test]
    fn pages_walk_profiles_in_creation_order() {
        let mut profiles = Profiles::default();
        let mut next = ids();
        for n in 0..5 {
            profiles.upsert(&StoredIdentity::external(format!("u-{n}")), &mut next);
        }
        let (first, cursor) = profiles.page(0, 3);
        let (rest, end) = profiles.page(cursor, 3);
        let names: Vec<_> = first
            .iter()
            .chain(&rest)
            .map(|p| p.identity.external_id.clone().unwrap())
            .collect();
        assert_eq!(names, ["u-0", "u-1", "u-2", "u-3", "u-4"]);
        assert_eq!(profiles.page(end, 3).0.len(), 0);
    }
}
