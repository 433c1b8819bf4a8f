//! Property tests, bounded for CI, of what the fuzz targets under `fuzz/` explore without
//! bound: the registry parser, the export CSV decoder, the rate-limit header parser and the
//! client's answer classifier never panic on any input and answer with a value or an error.
//! (The emulator's request handling has its own: `dfinery-emulator/tests/emulator/props.rs`.)

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dfinery::__private::classify;
use dfinery::__private::{parse_reset, parse_window};
use dfinery::export::ExportRows;
use dfinery::wire::Endpoint;
use dfinery::{DataType, Datetime, Error};
use dfinery_emulator::Registry;
use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// Lines a registry is made of, so random files often reach the deeper checks.
const REGISTRY_LINES: [&str; 16] = [
    "[service]",
    "id = \"svc\"",
    "standard_events = [\"df_login\", \"df_purchase\"]",
    "standard_user_properties = [\"df_name\", \"df_gender\"]",
    "[events.coupon_used]",
    "properties.code = { type = \"string\", required = true, max_len = 32 }",
    "properties.amount = \"double\"",
    "properties.tags = \"array<string>\"",
    "items.sku = { type = \"string\", required = true }",
    "[events.df_purchase]",
    "properties.store_id = \"long\"",
    "[user_properties]",
    "tier = { type = \"string\", enum = [\"gold\"] }",
    "points = \"array<lng>\"",
    "[events.df_bogus]",
    "x = { type = 3 }",
];

/// Cells an export often holds, so random CSVs reach the typed decoding.
const CELLS: [&str; 10] = [
    "df_purchase",
    "6f1c2b9e-0d3a-4c5b-8e7f-1a2b3c4d5e01",
    "2024-06-24T06:01:48.501Z",
    "2024-06-24",
    "3000.0",
    "[\"\"a\"\",\"\"b\"\"]",
    "true",
    "",
    "\"quoted, with comma\"",
    "\"line\nbreak\"",
];

const HEADER: &str = "df_unified_id,df_api_version,event_name,df_server_datetime,df_correction_datetime,event_log_id,event_datetime,df_order_id,df_items_df_item_id,df_items_df_price,store_id";

fn registry_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,200}",
        prop::collection::vec(
            prop_oneof![
                4 => prop::sample::select(&REGISTRY_LINES[..]).prop_map(str::to_owned),
                1 => "[ -~]{0,40}",
            ],
            0..14
        )
        .prop_map(|lines| lines.join("\n")),
    ]
}

fn export_csv() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        prop::collection::vec(
            prop::collection::vec(
                prop_oneof![
                    4 => prop::sample::select(&CELLS[..]).prop_map(str::to_owned),
                    1 => "[ -~\n\r\"]{0,12}",
                ],
                0..13
            )
            .prop_map(|cells| cells.join(",")),
            0..8
        )
        .prop_map(|rows| format!("{HEADER}\n{}", rows.join("\n")).into_bytes()),
    ]
}

/// Reads a whole export, event by event; returns how many events it read before the end or
/// the first error.
fn read_all(bytes: &[u8]) -> usize {
    let Ok(mut reader) = ExportRows::new(bytes) else {
        return 0;
    };
    let mut events = 0;
    while let Ok(Some(group)) = reader.next_event() {
        let _ = group.first().event_meta();
        for row in group.rows() {
            let _ = row.decode::<Option<f64>>("df_items_df_price", DataType::Double);
            let _ = row.decode::<Option<Datetime>>("event_datetime", DataType::Datetime);
            let _ = row.decode::<Option<Vec<String>>>("store_id", DataType::StringArray);
        }
        events += 1;
        assert!(events <= bytes.len() + 1, "the reader advances");
    }
    events
}

fn header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,24}",
        (0_u64..4_000_000_000_000).prop_map(|n| n.to_string()),
        (
            1_u32..100_000,
            prop::sample::select(&["s", "m", "h", "d", "M", "H", "x", ""][..])
        )
            .prop_map(|(n, unit)| format!("{n}{unit}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_registry_parser_answers_every_text(text in registry_text()) {
        if let Err(error) = Registry::parse(&text) {
            let message = error.to_string();
            prop_assert!(!message.is_empty());
            prop_assert!(!message.ends_with('.'), "{}", message);
        }
    }

    #[test]
    fn the_csv_decoder_answers_every_body(bytes in export_csv()) {
        read_all(&bytes);
    }

    #[test]
    fn the_rate_limit_headers_parse_or_are_ignored(
        limit in header_text(), remaining in header_text(), reset in header_text(), upper in any::<bool>()
    ) {
        let mut headers = HeaderMap::new();
        let names = if upper {
            ["X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"]
        } else {
            ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]
        };
        for (name, value) in names.iter().zip([&limit, &remaining, &reset]) {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), value);
            }
        }
        // The client reads them off every answer; a 429 hands the snapshot back in its error.
        let answer = classify(Endpoint::Events, 429, &headers, b"");
        if let Some(snapshot) = answer.as_ref().err().and_then(Error::rate_limit) {
            let _ = snapshot.window_duration();
            let _ = snapshot.reset_after(SystemTime::now());
        }
        let _ = parse_window(&limit);
        let _ = parse_reset(&reset);
    }

    #[test]
    fn a_reset_in_seconds_or_milliseconds_is_the_same_instant(secs in 1_000_000_000_u64..4_000_000_000) {
        let at = UNIX_EPOCH + Duration::from_secs(secs);
        prop_assert_eq!(parse_reset(&secs.to_string()), Some(at));
        prop_assert_eq!(parse_reset(&(secs * 1000).to_string()), Some(at));
    }

    #[test]
    fn the_classifier_answers_every_response(status in 100_u16..600, body in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        ("[0-9]{5}", any::<bool>(), "[ -~]{0,20}").prop_map(|(code, ok, message)| {
            format!(r#"{{"status":{ok},"code":"{code}","message":"{message}","data":null}}"#).into_bytes()
        }),
    ]) {
        let answer = classify(Endpoint::Events, status, &HeaderMap::new(), &body);
        if let Err(error) = answer {
            let message = error.to_string();
            prop_assert!(!message.is_empty());
            let _ = error.is_retryable();
        } else {
            prop_assert!((200..300).contains(&status), "only a 2xx is a success");
        }
    }
}
