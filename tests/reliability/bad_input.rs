//! Bad inputs not covered elsewhere in the repository, one test per row of the inventory in
//! `RELIABILITY.md` that cites this file: each gets its error (or a documented acceptance),
//! never a panic.

use dfinery::export::{ExportError, ExportRows};
use dfinery::wire::Endpoint;
use dfinery::{__private::classify, Error};
use dfinery::{EventRecord, Identifier, Identity, Rule, UserProperties};
use dfinery_emulator::Registry;
use reqwest::header::HeaderMap;

use crate::support::temp_path;

fn registry_error(text: &str) -> String {
    Registry::parse(text).map(|_| ()).unwrap_err().to_string()
}

#[test]
fn a_registry_file_that_is_not_utf8_names_the_file_and_the_fix() {
    let path = temp_path("latin1", "toml");
    std::fs::write(&path, b"[service]\nid = \"caf\xe9\"\n").unwrap();
    let error = Registry::load(&path).map(|_| ()).unwrap_err().to_string();
    assert!(error.starts_with(&*path.to_string_lossy()), "{error}");
    // At the byte's line and column, not 1:1.
    assert!(
        error.ends_with(
            ":2:10: the registry file is not UTF-8: byte 0xE9 here starts no UTF-8 character; \
             save the file as UTF-8"
        ),
        "{error}"
    );
}

#[test]
fn a_registry_with_a_table_twice_or_deep_nesting_is_an_error_with_its_place() {
    assert_eq!(
        registry_error("[events.a]\n[events.a]\n"),
        "dfinery.toml:2:9: invalid TOML: duplicate key `a`; set each key once per table"
    );
    // 5,000 nested arrays: an error, not a stack overflow.
    let deep = format!("x = {}1{}", "[".repeat(5000), "]".repeat(5000));
    assert!(registry_error(&deep).starts_with("dfinery.toml:1:"));
}

#[test]
fn event_and_property_names_that_break_the_naming_rule_are_never_sent() {
    let error = EventRecord::builder("1st_purchase").build().unwrap_err();
    assert_eq!(error.violations[0].path, "event_name");
    assert!(matches!(error.violations[0].rule, Rule::BadName(_)));
    assert!(
        error
            .to_string()
            .contains("name `1st_purchase` starts with `1`; start it with an ASCII letter"),
        "{error}"
    );
    let error = EventRecord::builder("a".repeat(101)).build().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("is 101 characters long; shorten it to at most 100"),
        "{error}"
    );
    let error = EventRecord::builder("coupon_used")
        .property("coupon code", "X")
        .property("amount", 1.5)
        .build()
        .unwrap_err();
    assert_eq!(error.violations.len(), 1, "{error}");
    assert!(
        error
            .to_string()
            .contains("name `coupon code` contains ` `; use only ASCII letters, digits and `_`"),
        "{error}"
    );
    let error = UserProperties::builder()
        .property("tier-name", "gold")
        .build()
        .unwrap_err();
    assert!(
        error.to_string().contains("name `tier-name` contains `-`"),
        "{error}"
    );
    // The empty name keeps its own rule.
    let error = EventRecord::builder("").build().unwrap_err();
    assert_eq!(error.violations[0].rule, Rule::Missing);
}

#[test]
fn control_characters_in_a_string_are_escaped_not_refused() {
    let record = EventRecord::builder("df_login")
        .property("note", "a\u{0}b\u{1b}c")
        .build()
        .unwrap();
    let json = serde_json::to_string(&record).unwrap();
    assert!(json.contains(r"a\u0000b\u001bc"), "{json}");
}

#[test]
fn identities_blank_or_unbounded() {
    let error = Identity::new(Identifier::ExternalId, "   ")
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "`external_id` is empty; give a non-empty value or leave the identifier out"
    );
    // The API documents no character set and no maximum length (docs/protocol.md §5): a long or
    // multi-line id is sent as it is and stored as it is.
    assert!(Identity::new(Identifier::ExternalId, "a".repeat(100_000)).is_ok());
    assert!(Identity::new(Identifier::ExternalId, "a\nb").is_ok());
}

#[test]
fn answers_that_are_empty_html_or_nested_too_deep_are_errors_keeping_the_body() {
    let headers = HeaderMap::new();
    let empty = classify(Endpoint::Events, 200, &headers, b"").unwrap_err();
    assert!(matches!(empty, Error::Decode { .. }), "{empty:?}");
    assert_eq!(
        empty.to_string(),
        "could not read the answer of `POST /api/v1/events` (HTTP 200): the body is empty; the raw body is kept in `body`"
    );
    let html = classify(Endpoint::Events, 502, &headers, b"<html>bad gateway</html>").unwrap_err();
    assert!(html.is_retryable(), "{html:?}");
    assert_eq!(
        html.to_string(),
        "`POST /api/v1/events` failed on the server (HTTP 502): <html>bad gateway</html>; retry later"
    );
    let deep = classify(Endpoint::Events, 200, &headers, &vec![b'['; 100_000]).unwrap_err();
    assert!(matches!(deep, Error::Decode { .. }), "{deep:?}");
    assert!(
        deep.to_string().contains("recursion limit exceeded"),
        "{deep}"
    );
}

#[test]
fn csv_with_a_column_twice_is_refused_at_the_header() {
    let error = ExportRows::new(&b"event_name,event_name\ndf_login,df_login\n"[..])
        .map(|_| ())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the header row names column `event_name` twice, so it cannot be read by name; export it once"
    );
}

#[test]
fn csv_that_is_not_utf8_or_ends_inside_quotes_is_an_error_not_a_short_result() {
    let mut reader = ExportRows::new(&b"event_name,event_log_id\ndf_login,\xff\xfe\n"[..]).unwrap();
    let error = reader.next_event().map(|_| ()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "row 1 is not UTF-8; DFINERY exports are UTF-8: if this file was saved again by a spreadsheet, save it as \"CSV UTF-8\""
    );
    let mut reader = ExportRows::new(&b"event_name,event_log_id\n\"df_login,x\n"[..]).unwrap();
    let error = reader.next_event().map(|_| ()).unwrap_err();
    assert!(matches!(error, ExportError::Truncated { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the export ended early after 0 rows: it stops inside a quoted field; retry the export"
    );
}

#[test]
fn csv_starting_with_a_byte_order_mark_reads_its_first_column() {
    let body = "\u{feff}event_name,event_log_id\ndf_login,6f1c2b9e-0d3a-4c5b-8e7f-1a2b3c4d5e01\n";
    let mut reader = ExportRows::new(body.as_bytes()).unwrap();
    let group = reader.next_event().unwrap().unwrap();
    assert_eq!(group.first().get("event_name"), Some("df_login"));
}
