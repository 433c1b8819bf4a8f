//! Export request bodies (`docs/protocol.md` §3.6, §3.7): filters, dates and the 30-day look-back.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use time::{Date, Duration};

use crate::ExportFailure;
use crate::model::ServerViolation;
use crate::validate::describe;

/// How far back event extraction reaches, in days before today (UTC).
pub(crate) const LOOK_BACK_DAYS: i64 = 30;

/// An `all` / `include` / `exclude` filter over names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    All,
    Include(BTreeSet<String>),
    Exclude(BTreeSet<String>),
}

impl Filter {
    /// Whether the filter keeps `name`.
    pub(crate) fn keeps(&self, name: &str) -> bool {
        match self {
            Filter::All => true,
            Filter::Include(names) => names.contains(name),
            Filter::Exclude(names) => !names.contains(name),
        }
    }
}

/// A valid `/export/event` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EventExport {
    pub(crate) events: Filter,
    pub(crate) properties: Filter,
    pub(crate) from: Date,
    /// Inclusive.
    pub(crate) to: Date,
}

/// A valid `/export/userprofile` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProfileExport {
    pub(crate) properties: Filter,
    pub(crate) audience: Option<String>,
    /// Whether the `df_external_id` column is asked for.
    pub(crate) external_id: bool,
}

/// A refused export body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub(crate) failure: ExportFailure,
    pub(crate) violations: Vec<ServerViolation>,
}

/// Checks an event export body; dates are checked against `today` (UTC).
pub(crate) fn event_export(body: &Value, today: Date) -> Result<EventExport, Refused> {
    let mut problems = Vec::new();
    let map = fields(
        body,
        &[
            "events",
            "events_condition_type",
            "properties",
            "properties_condition_type",
            "from_date",
            "to_date",
        ],
        &mut problems,
    );
    let events = filter(&map, "events", "events_condition_type", true, &mut problems);
    let properties = filter(
        &map,
        "properties",
        "properties_condition_type",
        false,
        &mut problems,
    );
    let from = date(&map, "from_date", &mut problems);
    let to = date(&map, "to_date", &mut problems);
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        problems.push(ServerViolation::new(
            "to_date",
            "parameter",
            "a `to_date` on or after `from_date`",
        ));
    }
    invalid(problems)?;
    let (Some(events), Some(properties), Some(from), Some(to)) = (events, properties, from, to)
    else {
        return Err(Refused {
            failure: ExportFailure::InvalidParameter,
            violations: Vec::new(),
        });
    };
    let earliest = today.saturating_sub(Duration::days(LOOK_BACK_DAYS));
    if from < earliest {
        return Err(Refused {
            failure: ExportFailure::ExceedDateRangeLimit,
            violations: vec![ServerViolation::new(
                "from_date",
                "date_range",
                format!(
                    "a `from_date` on or after {earliest} ({LOOK_BACK_DAYS} days before today, UTC)"
                ),
            )],
        });
    }
    Ok(EventExport {
        events,
        properties,
        from,
        to,
    })
}

/// Checks a user-profile export body.
pub(crate) fn profile_export(body: &Value) -> Result<ProfileExport, Refused> {
    let mut problems = Vec::new();
    let map = fields(
        body,
        &[
            "properties",
            "properties_condition_type",
            "audience",
            "identities",
            "identities_condition_type",
        ],
        &mut problems,
    );
    let properties = filter(
        &map,
        "properties",
        "properties_condition_type",
        true,
        &mut problems,
    );
    let audience = match map.get("audience") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
        Some(found) => {
            let found = match found {
                Value::String(_) => "an empty string".to_owned(),
                other => crate::validate::describe(other).to_owned(),
            };
            problems.push(ServerViolation::new(
                "audience",
                "parameter",
                format!("a non-empty audience id string, or no `audience`; found {found}"),
            ));
            None
        }
    };
    // `null` is no filter, as with `audience`: `"identities": null` was refused as a filter
    // with no condition type.
    let given = |key: &str| map.get(key).is_some_and(|v| !v.is_null());
    let asked = given("identities") || given("identities_condition_type");
    let identities = if asked {
        let identities = map
            .get("identities")
            .filter(|v| !v.is_null())
            .cloned()
            .unwrap_or(Value::Null);
        let condition = match map.get("identities_condition_type") {
            None | Some(Value::Null) if !identities.is_null() => Some(Value::from("include")),
            other => other.cloned(),
        };
        let mut fields = Map::new();
        fields.insert("identities".into(), identities);
        fields.insert(
            "identities_condition_type".into(),
            condition.unwrap_or(Value::Null),
        );
        filter(
            &fields,
            "identities",
            "identities_condition_type",
            true,
            &mut problems,
        )
    } else {
        None
    };
    invalid(problems)?;
    Ok(ProfileExport {
        properties: properties.unwrap_or(Filter::All),
        audience,
        external_id: identities.is_some_and(|f| f.keeps("df_external_id")),
    })
}

/// Unknown parameters listed one by one; past them, one entry counts the rest (a body of a
/// million unknown keys otherwise built a violation, with a suggestion, for each, before the
/// list was cut to the 100 an answer shows).
const LISTED_UNKNOWN: usize = 99;

/// The body as an object with only `allowed` keys; problems otherwise.
fn fields<'a>(
    body: &'a Value,
    allowed: &[&str],
    problems: &mut Vec<ServerViolation>,
) -> std::borrow::Cow<'a, Map<String, Value>> {
    let Some(map) = body.as_object() else {
        problems.push(ServerViolation::new(
            "$",
            "parameter",
            format!("a JSON object, found {}", describe(body)),
        ));
        return std::borrow::Cow::Owned(Map::new());
    };
    let known: Vec<String> = allowed.iter().map(|name| format!("`{name}`")).collect();
    let known = known.join(", ");
    let mut unknown = map.keys().filter(|k| !allowed.contains(&k.as_str()));
    for key in unknown.by_ref().take(LISTED_UNKNOWN) {
        let close = dfinery_schema::suggest(key, allowed.iter().copied());
        problems.push(ServerViolation::new(
            key.as_str(),
            "parameter",
            format!(
                "a known parameter: one of {known}{}",
                dfinery_schema::did_you_mean(close)
            ),
        ));
    }
    let more = unknown.count();
    if more > 0 {
        problems.push(ServerViolation::new(
            "$",
            "truncated",
            format!(
                "{more} more unknown parameters not listed (only the first {LISTED_UNKNOWN} are); \
                 the known ones are {known}"
            ),
        ));
    }
    std::borrow::Cow::Borrowed(map)
}

/// A names list with its condition type. `required` makes the condition type mandatory;
/// otherwise absent means `all`. `include` needs the list; `exclude` without it is `all`.
fn filter(
    map: &Map<String, Value>,
    list: &str,
    condition: &str,
    required: bool,
    problems: &mut Vec<ServerViolation>,
) -> Option<Filter> {
    let names = match map.get(list) {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let names: Option<BTreeSet<String>> = items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect();
            if names.is_none() {
                let found = items.iter().find(|v| !v.is_string()).map_or("", describe);
                problems.push(ServerViolation::new(
                    list,
                    "parameter",
                    format!("a list of strings; found {found} in it"),
                ));
            }
            names
        }
        Some(other) => {
            problems.push(ServerViolation::new(
                list,
                "parameter",
                format!("a list of strings; found {}", describe(other)),
            ));
            None
        }
    };
    let kind = match map.get(condition) {
        None | Some(Value::Null) if !required => "all",
        Some(Value::String(kind)) => kind.as_str(),
        other => {
            let found = other.map_or_else(|| "nothing".to_owned(), |v| describe(v).to_owned());
            problems.push(ServerViolation::new(
                condition,
                "parameter",
                format!("one of `all`, `include`, `exclude`; found {found}"),
            ));
            return None;
        }
    };
    match (kind, names) {
        ("all", _) => Some(Filter::All),
        ("include", Some(names)) => Some(Filter::Include(names)),
        ("include", None) => {
            problems.push(ServerViolation::new(
                list,
                "parameter",
                format!("a list of names with `{condition}` `include`"),
            ));
            None
        }
        ("exclude", names) => Some(Filter::Exclude(names.unwrap_or_default())),
        (other, _) => {
            let close = dfinery_schema::suggest(other, ["all", "include", "exclude"]);
            problems.push(ServerViolation::new(
                condition,
                "parameter",
                format!(
                    "one of `all`, `include`, `exclude`; found `{}`{}",
                    cut(other).escape_debug(),
                    dfinery_schema::did_you_mean(close)
                ),
            ));
            None
        }
    }
}

/// A required `yyyy-MM-dd` date.
fn date(map: &Map<String, Value>, key: &str, problems: &mut Vec<ServerViolation>) -> Option<Date> {
    let text = map.get(key).and_then(Value::as_str).unwrap_or_default();
    let parsed = dfinery_schema::protocol::WireDate::parse(text).and_then(|day| {
        let month = time::Month::try_from(day.month).ok()?;
        Date::from_calendar_date(i32::from(day.year), month, day.day).ok()
    });
    if parsed.is_none() {
        let found = match map.get(key) {
            None => "nothing".to_owned(),
            Some(Value::String(text)) => format!("`{}`", cut(text).escape_debug()),
            Some(other) => describe(other).to_owned(),
        };
        problems.push(ServerViolation::new(
            key,
            "parameter",
            format!("a date `yyyy-MM-dd` (a real day, e.g. `2024-08-26`); found {found}"),
        ));
    }
    parsed
}

/// At most 64 bytes of a text sent, for a message.
fn cut(text: &str) -> &str {
    &text[..text.floor_char_boundary(64)]
}

fn invalid(problems: Vec<ServerViolation>) -> Result<(), Refused> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Refused {
            failure: ExportFailure::InvalidParameter,
            violations: problems,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2024 - 08 - 26);

    #[test]
    fn the_documented_event_export_parses() {
        let body = json!({"events":["df_purchase"],"events_condition_type":"include",
            "properties":["df_discount","df_items_df_price"],"properties_condition_type":"include",
            "from_date":"2024-08-25","to_date":"2024-08-26"});
        let export = event_export(&body, TODAY).unwrap();
        assert!(export.events.keeps("df_purchase") && !export.events.keeps("df_login"));
        assert!(
            export.properties.keeps("df_items_df_price") && !export.properties.keeps("df_order_id")
        );
        assert_eq!((export.from, export.to), (date!(2024 - 08 - 25), TODAY));
    }

    #[test]
    fn the_look_back_is_thirty_days_inclusive() {
        let body = |from: &str| json!({"events_condition_type":"all","from_date":from,"to_date":"2024-08-26"});
        assert!(event_export(&body("2024-07-27"), TODAY).is_ok());
        let refused = event_export(&body("2024-07-26"), TODAY).unwrap_err();
        assert_eq!(refused.failure, ExportFailure::ExceedDateRangeLimit);
    }

    #[test]
    fn bad_parameters_are_invalid_parameter_with_every_problem() {
        let body = json!({"events_condition_type":"some","from_date":"2024-8-25","to_date":"2024-02-30","event":[]});
        let refused = event_export(&body, TODAY).unwrap_err();
        assert_eq!(refused.failure, ExportFailure::InvalidParameter);
        let paths: Vec<_> = refused.violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            ["event", "events_condition_type", "from_date", "to_date"]
        );
        assert_eq!(
            refused.violations[0].expected,
            "a known parameter: one of `events`, `events_condition_type`, `properties`, \
             `properties_condition_type`, `from_date`, `to_date`; did you mean `events`?"
        );
        let not_object = event_export(&json!([]), TODAY).unwrap_err();
        assert_eq!(
            not_object.violations[0].expected,
            "a JSON object, found an array"
        );
        // Each says what it found: they said only what was expected.
        let expected: Vec<_> = refused.violations[1..]
            .iter()
            .map(|v| v.expected.as_str())
            .collect();
        assert_eq!(
            expected,
            [
                "one of `all`, `include`, `exclude`; found `some`",
                "a date `yyyy-MM-dd` (a real day, e.g. `2024-08-26`); found `2024-8-25`",
                "a date `yyyy-MM-dd` (a real day, e.g. `2024-08-26`); found `2024-02-30`",
            ]
        );
        let odd = json!({"events_condition_type":"ALL","events":["a",1],"from_date":20240826});
        let refused = event_export(&odd, TODAY).unwrap_err();
        let expected: Vec<_> = refused
            .violations
            .iter()
            .map(|v| (v.path.as_str(), v.expected.as_str()))
            .collect();
        assert_eq!(
            expected,
            [
                ("events", "a list of strings; found a number in it"),
                (
                    "events_condition_type",
                    "one of `all`, `include`, `exclude`; found `ALL`; did you mean `all`?"
                ),
                (
                    "from_date",
                    "a date `yyyy-MM-dd` (a real day, e.g. `2024-08-26`); found a number"
                ),
                (
                    "to_date",
                    "a date `yyyy-MM-dd` (a real day, e.g. `2024-08-26`); found nothing"
                ),
            ]
        );
        let reversed =
            json!({"events_condition_type":"all","from_date":"2024-08-26","to_date":"2024-08-25"});
        assert_eq!(
            event_export(&reversed, TODAY).unwrap_err().failure,
            ExportFailure::InvalidParameter
        );
        let include_without_list = json!({"events_condition_type":"include","from_date":"2024-08-26","to_date":"2024-08-26"});
        assert!(event_export(&include_without_list, TODAY).is_err());
    }

    #[test]
    fn a_bad_audience_says_what_was_found() {
        for (audience, found) in [(json!(""), "an empty string"), (json!(7), "a number")] {
            let refused =
                profile_export(&json!({"properties_condition_type": "all", "audience": audience}))
                    .unwrap_err();
            // It said "an audience id string", also to a string.
            assert_eq!(
                refused.violations[0].expected,
                format!("a non-empty audience id string, or no `audience`; found {found}")
            );
        }
    }

    #[test]
    fn profile_exports_need_a_condition_type_and_read_identities() {
        assert!(profile_export(&json!({})).is_err());
        let export = profile_export(&json!({"audience":"nwh3nu","properties_condition_type":"exclude","properties":["df_birth"]})).unwrap();
        assert_eq!(export.audience.as_deref(), Some("nwh3nu"));
        assert!(!export.properties.keeps("df_birth") && !export.external_id);
        let with_ids = profile_export(
            &json!({"properties_condition_type":"all","identities_condition_type":"all"}),
        )
        .unwrap();
        assert!(with_ids.external_id);
        let listed = profile_export(
            &json!({"properties_condition_type":"all","identities":["df_external_id"]}),
        )
        .unwrap();
        assert!(listed.external_id);
        let excluded = profile_export(&json!({"properties_condition_type":"all","identities":["df_external_id"],"identities_condition_type":"exclude"})).unwrap();
        assert!(!excluded.external_id);
        // `null` is absent, as `audience: null` is.
        for absent in [
            json!({"properties_condition_type":"all","identities":null}),
            json!({"properties_condition_type":"all","identities":null,"identities_condition_type":null}),
            json!({"properties_condition_type":"all","identities_condition_type":null}),
        ] {
            let export =
                profile_export(&absent).unwrap_or_else(|r| panic!("{absent}: {:?}", r.violations));
            assert!(!export.external_id && export.audience.is_none());
        }
    }
}
