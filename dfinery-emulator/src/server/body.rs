//! Reading a request body as JSON: `Content-Type`, a size cap and the parse itself.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, header};
use serde_json::Value;

use crate::model::ServerViolation;

/// The largest body read; a larger one is a bad request.
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// How long a body may take to arrive once its request is read; a slower one is a bad request.
/// Without it a client that announces a body and stalls would hold its request (and an
/// export its concurrency slot) for as long as it keeps the connection open.
pub(crate) const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The body's bytes: at most [`MAX_BODY_BYTES`], arrived within [`BODY_READ_TIMEOUT`];
/// `None` otherwise (or when the connection failed).
pub(crate) async fn read_bytes(body: Body) -> Option<axum::body::Bytes> {
    tokio::time::timeout(
        BODY_READ_TIMEOUT,
        axum::body::to_bytes(body, MAX_BODY_BYTES),
    )
    .await
    .ok()?
    .ok()
}

/// The body as JSON, or the violation that makes it a bad request.
pub(crate) async fn read_json(headers: &HeaderMap, body: Body) -> Result<Value, ServerViolation> {
    let bytes = json_bytes(headers, body).await?;
    serde_json::from_slice(&bytes).map_err(|err| not_json(&bytes, &err))
}

/// The violation of a body that does not parse: serde's message, and what it means when the
/// body starts with a byte-order mark (serde says only "expected value at line 1 column 1").
fn not_json(bytes: &[u8], err: &serde_json::Error) -> ServerViolation {
    let text = err.to_string();
    let expected = if bytes.starts_with(b"\xEF\xBB\xBF") {
        "a JSON document; the body starts with a UTF-8 byte-order mark (EF BB BF), which JSON \
         text must not: send it without"
            .to_owned()
    } else if text.starts_with("lone leading surrogate in hex escape")
        || text.starts_with("unexpected end of hex escape")
    {
        // serde_json's words for half a surrogate pair (the first for a trailing half too),
        // the only cause of either: a string cut inside a character such as an emoji.
        format!(
            "a JSON document; the `\\u` escape before line {} column {} is half of a UTF-16 \
             surrogate pair (`\\uD800`-`\\uDFFF` without its other half: a string cut inside a \
             character such as an emoji), which the emulator cannot read as text: send whole \
             characters",
            err.line(),
            err.column()
        )
    } else if text.starts_with("recursion limit exceeded") {
        // serde_json's limit, which its message does not give.
        format!(
            "a JSON document nested at most 128 arrays or objects deep; this one is nested more \
             than 128 arrays or objects deep at line {} column {} (no DFINERY field nests more \
             than 3: an object or array where a value belongs?)",
            err.line(),
            err.column()
        )
    } else {
        format!("a JSON document; {err}")
    };
    ServerViolation::new("$", "json", expected)
}

/// How many events a JSON object's `events` array holds (0 without one, or when `events`
/// is false: a body of the Identity or Profile API, where `events` means nothing), reading the
/// body without keeping it: the sink's check that a body is well formed. A key given twice
/// counts as the normal mode reads it, the last one.
pub(crate) async fn count_events(
    headers: &HeaderMap,
    body: Body,
    events: bool,
) -> Result<u64, ServerViolation> {
    let bytes = json_bytes(headers, body).await?;
    // Skipping a string (`IgnoredAny`) does not check its UTF-8, which JSON text must be (RFC
    // 8259 §8.1): without this the sink answered `20000` to a body the normal mode refuses.
    // On a bad byte, the full parse says where, in the normal mode's words.
    if let Err(utf8) = std::str::from_utf8(&bytes) {
        return Err(match serde_json::from_slice::<Value>(&bytes) {
            Err(err) => not_json(&bytes, &err),
            Ok(_) => ServerViolation::new("$", "json", format!("a JSON document; {utf8}")),
        });
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        // Not an object: say what it is, or why it is not JSON at all.
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                Err(err) => not_json(&bytes, &err),
                Ok(_) => ServerViolation::new(
                    "$",
                    "shape",
                    format!("a JSON object, found {}", json_kind(first.copied())),
                ),
            },
        );
    }
    if !events {
        return serde_json::from_slice::<serde::de::IgnoredAny>(&bytes)
            .map(|_| 0)
            .map_err(|err| not_json(&bytes, &err));
    }
    serde_json::from_slice::<EventCount>(&bytes)
        .map(|count| count.0)
        .map_err(|err| {
            if err.is_data() {
                ServerViolation::new(
                    "events",
                    "shape",
                    format!("an array of events (or no `events` at all); {err}"),
                )
            } else {
                not_json(&bytes, &err)
            }
        })
}

/// The length of an object's `events` array, the last one when the key is given twice; 0
/// without one.
struct EventCount(u64);

impl<'de> serde::Deserialize<'de> for EventCount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = EventCount;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<EventCount, A::Error> {
                let mut count = 0;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "events" {
                        count = map.next_value::<Vec<serde::de::IgnoredAny>>()?.len() as u64;
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(EventCount(count))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

/// What a JSON text starting with `first` is, for messages.
fn json_kind(first: Option<u8>) -> &'static str {
    match first {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// The body's bytes, after checking `Content-Type`, `Content-Encoding` and the size cap.
async fn json_bytes(headers: &HeaderMap, body: Body) -> Result<axum::body::Bytes, ServerViolation> {
    if !is_json(headers) {
        return Err(ServerViolation::new(
            "$",
            "content_type",
            "the header `Content-Type: application/json`",
        ));
    }
    if let Some(encoding) = encoded(headers) {
        return Err(ServerViolation::new(
            "$",
            "content_type",
            format!(
                "a JSON body sent as it is; `Content-Encoding: {}` is not decoded, so drop the header and the compression",
                encoding.escape_debug()
            ),
        ));
    }
    read_bytes(body).await.ok_or_else(|| {
        ServerViolation::new(
            "$",
            "shape",
            format!(
                "a body of at most {MAX_BODY_BYTES} bytes, sent in full within {} s",
                BODY_READ_TIMEOUT.as_secs()
            ),
        )
    })
}

/// The `Content-Encoding` of a body that is encoded (anything but `identity`), if any: its
/// bytes would be read as JSON and fail with a message about the JSON, not the encoding.
fn encoded(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_ENCODING)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    (!text.trim().eq_ignore_ascii_case("identity")).then(|| text.chars().take(64).collect())
}

/// Whether `Content-Type` is `application/json`, parameters such as `charset` allowed.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(content_type: Option<&'static str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
        }
        headers
    }

    #[tokio::test]
    async fn json_bodies_parse_and_everything_else_is_refused() {
        let ok = read_json(
            &headers(Some("application/json; charset=utf-8")),
            Body::from("{\"a\":1}"),
        )
        .await;
        assert_eq!(ok.unwrap()["a"], 1);
        let form = read_json(
            &headers(Some("application/x-www-form-urlencoded")),
            Body::from("{}"),
        )
        .await;
        assert_eq!(form.unwrap_err().rule, "content_type");
        let missing = read_json(&headers(None), Body::from("{}")).await;
        assert_eq!(missing.unwrap_err().rule, "content_type");
        let mut gzip = headers(Some("application/json"));
        gzip.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        let gzipped = read_json(&gzip, Body::from(&b"\x1f\x8b\x08\x00"[..]))
            .await
            .unwrap_err();
        // It was rule `json`: "expected value at line 1 column 1".
        assert_eq!(gzipped.rule, "content_type");
        assert_eq!(
            gzipped.expected,
            "a JSON body sent as it is; `Content-Encoding: gzip` is not decoded, so drop the header and the compression"
        );
        gzip.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        assert!(read_json(&gzip, Body::from("{}")).await.is_ok());
        let bom = read_json(
            &headers(Some("application/json")),
            Body::from(&b"\xEF\xBB\xBF{}"[..]),
        )
        .await
        .unwrap_err();
        // It was "a JSON document; expected value at line 1 column 1".
        assert_eq!(bom.rule, "json");
        assert!(bom.expected.contains("byte-order mark"), "{}", bom.expected);
        let bom = count_events(
            &headers(Some("application/json")),
            Body::from(&b"\xEF\xBB\xBF{}"[..]),
            true,
        )
        .await
        .unwrap_err();
        assert!(bom.expected.contains("byte-order mark"), "{}", bom.expected);
        // serde_json's words for half a surrogate pair: "lone leading surrogate" for a
        // trailing half, "unexpected end of hex escape" for a complete escape.
        for half in [
            r#"{"a":"\udc00"}"#,
            r#"{"a":"x\ud83d"}"#,
            r#"{"a":"\ud83d\u0041"}"#,
        ] {
            let cut = read_json(&headers(Some("application/json")), Body::from(half))
                .await
                .unwrap_err();
            assert_eq!(cut.rule, "json");
            assert!(
                cut.expected.contains("half of a UTF-16 surrogate pair")
                    && cut.expected.contains("line 1 column")
                    && !cut.expected.contains("lone leading")
                    && !cut.expected.contains("end of hex escape"),
                "{half}: {}",
                cut.expected
            );
        }
        // It said "recursion limit exceeded", with no limit and nothing to do about it.
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        let deep = read_json(&headers(Some("application/json")), Body::from(deep))
            .await
            .unwrap_err();
        assert_eq!(deep.rule, "json");
        assert!(
            deep.expected
                .contains("nested more than 128 arrays or objects deep")
                && deep.expected.contains("line 1 column"),
            "{}",
            deep.expected
        );
        let broken = read_json(&headers(Some("Application/JSON")), Body::from("{"))
            .await
            .unwrap_err();
        assert_eq!(broken.rule, "json");
        assert!(
            broken
                .expected
                .starts_with("a JSON document; EOF while parsing"),
            "{}",
            broken.expected
        );
    }
}
