//! [`EventQuery`]: which events, properties and days an event export covers.

use super::QueryError;
use super::select::{Building, ITEM_PREFIX, Select, item_column};
use crate::encode::model::{Event, Item};
use crate::encode::value::Date;
use crate::wire::EventExportRequest;

/// How far back an event export reaches: `from_date` may be at most this many days before
/// today (UTC), as DFINERY documents (`docs/protocol.md` §3.6).
pub(crate) const LOOK_BACK_DAYS: u32 = 30;

/// An event export query: the events (all, some, or all but some), their properties likewise,
/// and the days, `from` to `to` inclusive (UTC).
///
/// Nothing is checked while building; [`to_request`](EventQuery::to_request) checks everything
/// at once (the dates against the 30-day look-back and each other, the filters for a mode
/// mixed or left empty), before any request is made.
///
/// ```
/// use dfinery_core::export::EventQuery;
///
/// let query = EventQuery::last_days(1)
///     .include_events(["df_purchase"])
///     .include_properties(["df_discount"])
///     .item_property("df_price");
/// let body = serde_json::to_value(query.to_request()?)?;
/// assert_eq!(body["events_condition_type"], "include");
/// assert_eq!(body["properties"], serde_json::json!(["df_discount", "df_items_df_price"]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct EventQuery {
    events: Building,
    properties: Building,
    from: Date,
    to: Date,
}

impl EventQuery {
    /// Every event and property from `from` to `to`, both inclusive (UTC).
    pub fn new(from: Date, to: Date) -> Self {
        EventQuery {
            events: Building::default(),
            properties: Building::default(),
            from,
            to,
        }
    }

    /// Every event and property of the last `days` days up to today (UTC), today included
    /// (`last_days(1)`: today only); `0` counts as `1`. More than 31 days is refused when
    /// checked (the look-back).
    pub fn last_days(days: u32) -> Self {
        let today = Date::today_utc();
        EventQuery::new(days_before(today, days.max(1) - 1), today)
    }

    /// Only the events named (added to those already included).
    pub fn include_events<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.events.include(names.into_iter().map(Into::into));
        self
    }

    /// Every event except those named (added to those already excluded).
    pub fn exclude_events<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.events.exclude(names.into_iter().map(Into::into));
        self
    }

    /// Includes the event a typed event stands for, e.g. `.event::<Purchase>()` for
    /// `df_purchase`.
    pub fn event<E: Event>(self) -> Self {
        self.include_events([E::description().name])
    }

    /// Excludes the event a typed event stands for.
    pub fn without_event<E: Event>(self) -> Self {
        self.exclude_events([E::description().name])
    }

    /// Only the properties named; item properties as `df_items_<name>` (see
    /// [`item_property`](Self::item_property)). The always-present system columns come
    /// whatever the filter says.
    pub fn include_properties<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.properties.include(names.into_iter().map(Into::into));
        self
    }

    /// Every property except those named.
    pub fn exclude_properties<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.properties.exclude(names.into_iter().map(Into::into));
        self
    }

    /// Includes the item property `name`, as `df_items_<name>`.
    pub fn item_property(self, name: &str) -> Self {
        self.include_properties([item_column(name)])
    }

    /// Includes every property a typed event reads: its event properties, and its items'
    /// properties as `df_items_<name>`.
    pub fn properties_of<E: Event>(self) -> Self {
        let description = E::description();
        let mut names: Vec<String> = description
            .properties
            .iter()
            .map(|f| f.spec.name.to_owned())
            .collect();
        if let Some(items) = description.items {
            names.extend(
                (items.item)()
                    .properties
                    .iter()
                    .map(|f| item_column(f.spec.name)),
            );
        }
        self.include_properties(names)
    }

    /// Includes every item property a typed item reads, as `df_items_<name>`.
    pub fn item_properties_of<I: Item>(self) -> Self {
        let names = I::description()
            .properties
            .iter()
            .map(|f| item_column(f.spec.name));
        self.include_properties(names)
    }

    /// Checks the query against today (UTC) and builds the request body.
    ///
    /// # Errors
    ///
    /// A [`QueryError`]: dates reversed or beyond the look-back, a filter that mixes
    /// `include` and `exclude`, includes nothing or names what no event or property can be
    /// called.
    pub fn to_request(&self) -> Result<EventExportRequest, QueryError> {
        self.to_request_at(Date::today_utc())
    }

    /// [`to_request`](Self::to_request) with `today` given (the client's tests and replays).
    pub(crate) fn to_request_at(&self, today: Date) -> Result<EventExportRequest, QueryError> {
        check_dates(self.from, self.to, today)?;
        check_filter(&self.events, "events")?;
        check_filter(&self.properties, "properties")?;
        let (events_condition_type, events) = self.events.select.to_wire();
        let (properties_type, properties) = self.properties.select.to_wire();
        Ok(EventExportRequest {
            events,
            events_condition_type,
            properties,
            properties_condition_type: Some(properties_type),
            from_date: self.from,
            to_date: self.to,
        })
    }
}

/// `from` ≤ `to`, and `from` within the look-back of `today`.
fn check_dates(from: Date, to: Date, today: Date) -> Result<(), QueryError> {
    if from > to {
        return Err(QueryError::DatesReversed { from, to });
    }
    let earliest = days_before(today, LOOK_BACK_DAYS);
    if from < earliest {
        return Err(QueryError::BeyondLookBack {
            from,
            earliest,
            today,
            days: LOOK_BACK_DAYS,
        });
    }
    Ok(())
}

/// A filter that neither mixes modes nor includes nothing.
pub(super) fn check_filter(filter: &Building, what: &'static str) -> Result<(), QueryError> {
    if filter.conflict {
        return Err(QueryError::MixedModes { what });
    }
    if matches!(&filter.select, Select::Include(names) if names.is_empty()) {
        return Err(QueryError::EmptyInclude { what });
    }
    let (Select::Include(names) | Select::Exclude(names)) = &filter.select else {
        return Ok(());
    };
    for name in names {
        // An item property's column is `df_items_` and its name, which is what is checked.
        let bare = name.strip_prefix(ITEM_PREFIX).unwrap_or(name);
        if let Some(error) = never_a_name(bare) {
            return Err(QueryError::BadName {
                what,
                name: name.clone(),
                error,
            });
        }
    }
    Ok(())
}

/// Why `name` is what no DFINERY event or property is called: empty, or holding white space
/// or a control character. Only that: DFINERY documents no naming rule (`docs/protocol.md`
/// §5.6), and the data of its own SDKs and console need not follow the project's
/// ([`check_name`](dfinery_schema::names::check_name)), so a name such as `add-to-cart` or
/// `1st_order` may well be exported.
fn never_a_name(name: &str) -> Option<dfinery_schema::names::NameError> {
    use dfinery_schema::names::NameError;
    let (at, found) = name
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control())
        .or(name.is_empty().then_some((0, ' ')))?;
    Some(if name.is_empty() {
        NameError::Empty
    } else if at == 0 {
        NameError::BadStart {
            name: name.to_owned(),
            found,
        }
    } else {
        NameError::BadChar {
            name: name.to_owned(),
            found,
        }
    })
}

/// `days` days before `day` (the earliest date when that is before year 0).
fn days_before(day: Date, days: u32) -> Date {
    let shifted = time::Date::from(day)
        .checked_sub(time::Duration::days(i64::from(days)))
        .and_then(|d| Date::try_from(d).ok());
    shifted.unwrap_or_else(|| Date::from_ymd(0, 1, 1).unwrap_or(day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u8) -> Date {
        Date::from_ymd(2024, 8, d).unwrap()
    }

    #[test]
    fn the_look_back_is_thirty_days_inclusive() {
        let today = day(31);
        assert!(EventQuery::new(day(1), today).to_request_at(today).is_ok());
        let july = Date::from_ymd(2024, 7, 31).unwrap();
        let error = EventQuery::new(july, today)
            .to_request_at(today)
            .unwrap_err();
        assert_eq!(
            error,
            QueryError::BeyondLookBack {
                from: july,
                earliest: day(1),
                today,
                days: 30
            }
        );
        assert_eq!(
            error.to_string(),
            "`from_date` 2024-07-31 is more than 30 days before today (2024-08-31, UTC); DFINERY exports reach back to 2024-08-01, so start on or after it"
        );
    }

    #[test]
    fn a_name_no_event_or_property_can_have_is_refused_naming_the_filter() {
        // It was sent, and the export silently held nothing for it.
        let today = day(10);
        let error = EventQuery::new(day(5), today)
            .include_events(["coupon_used", "coupon used"])
            .to_request_at(today)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the events filter names `coupon used`, which no export holds: it holds ` `, and no \
             event or property name holds white space or a control character; give the name as \
             DFINERY shows it"
        );
        let error = EventQuery::new(day(5), today)
            .exclude_properties([""])
            .to_request_at(today)
            .unwrap_err();
        assert!(
            matches!(&error, QueryError::BadName { what: "properties", name, .. } if name.is_empty()),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            "the properties filter names ``, which no export holds: it is empty; give the name \
             as DFINERY shows it"
        );
        let error = crate::export::ProfileQuery::new()
            .include_properties(["tier\n"])
            .to_request()
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the properties filter names `tier\\n`"),
            "{error}"
        );
        // DFINERY documents no naming rule: a name outside the project's (which DFINERY's
        // own SDKs and console need not follow) is sent. They were refused.
        let long = "e".repeat(101);
        for sent in [
            "add-to-cart",
            "1st_order",
            "구매",
            "Purchase.Done",
            long.as_str(),
        ] {
            for query in [
                EventQuery::new(day(5), today).include_events([sent]),
                EventQuery::new(day(5), today).exclude_properties([sent]),
            ] {
                assert!(query.to_request_at(today).is_ok(), "{sent}");
            }
            let profile = crate::export::ProfileQuery::new().include_properties([sent]);
            assert!(profile.to_request().is_ok(), "{sent}");
        }
        let error = EventQuery::new(day(5), today)
            .include_events([" coupon_used"])
            .to_request_at(today)
            .unwrap_err();
        assert!(
            error.to_string().starts_with(
                "the events filter names ` coupon_used`, which no export holds: it holds ` `"
            ),
            "{error}"
        );
        // An item column of a 100-character name is longer than 100, and fine.
        let long = "p".repeat(100);
        assert!(
            EventQuery::new(day(5), today)
                .item_property(&long)
                .include_properties(["df_order_id"])
                .to_request_at(today)
                .is_ok()
        );
    }

    #[test]
    fn reversed_dates_are_refused() {
        let error = EventQuery::new(day(5), day(4))
            .to_request_at(day(10))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "`from_date` 2024-08-05 is after `to_date` 2024-08-04; swap them"
        );
    }

    #[test]
    fn mixed_and_empty_filters_are_refused() {
        let mixed = EventQuery::new(day(5), day(5))
            .include_events(["a"])
            .exclude_events(["b"]);
        assert_eq!(
            mixed.to_request_at(day(5)).unwrap_err(),
            QueryError::MixedModes { what: "events" }
        );
        let empty = EventQuery::new(day(5), day(5)).include_properties(Vec::<String>::new());
        assert_eq!(
            empty.to_request_at(day(5)).unwrap_err(),
            QueryError::EmptyInclude { what: "properties" }
        );
    }

    #[test]
    fn the_default_body_asks_for_everything() {
        let body = serde_json::to_value(
            EventQuery::new(day(5), day(6))
                .to_request_at(day(6))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"events_condition_type":"all","properties_condition_type":"all","from_date":"2024-08-05","to_date":"2024-08-06"})
        );
    }
}
