//! Bodies that break: a connection cut, a short body, an error written into the CSV, an end
//! inside a quoted field or a row. Each is an error after the complete rows, never a silently
//! short result. A raw server on 127.0.0.1 writes exactly the bytes each case needs.

use std::time::Duration;

use dfinery::export::{EventQuery, ExportError, ExportRows};
use dfinery::{ByteStream, ExportErrorCode, ExportFailure};
use dfinery_emulator::ScriptedResponse;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::model::Purchase;
use crate::support::{client, client_at, days, emulator, fixture_bytes, user};

/// How the raw server ends its answer.
enum Ending {
    /// `transfer-encoding: chunked`, with the last chunk: a clean end.
    Chunked,
    /// Chunked, but the connection closes before the last chunk.
    ChunkedCut,
    /// `content-length` larger than what is sent, then the connection closes.
    ShortLength,
}

/// A server on 127.0.0.1 answering every request with HTTP 200, `text/csv` and `body`, sent in
/// two pieces a moment apart, then ended as `ending` says. Returns its base URL.
async fn raw_server(body: Vec<u8>, ending: Ending) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        // Bounded: a test makes one or two requests.
        for _ in 0..4 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            read_request(&mut socket).await;
            let head = match ending {
                Ending::ShortLength => format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: {}\r\n\r\n",
                    body.len() + 100
                ),
                _ => "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ntransfer-encoding: chunked\r\n\r\n"
                    .to_owned(),
            };
            let _ = socket.write_all(head.as_bytes()).await;
            let (first, second) = body.split_at(body.len() / 2);
            for piece in [first, second] {
                let framed = match ending {
                    Ending::ShortLength => piece.to_vec(),
                    _ => [format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat(),
                };
                let _ = socket.write_all(&framed).await;
                let _ = socket.flush().await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if matches!(ending, Ending::Chunked) {
                let _ = socket.write_all(b"0\r\n\r\n").await;
            }
            let _ = socket.shutdown().await;
        }
    });
    url
}

/// Reads one request: the head, then `content-length` bytes of body.
async fn read_request(socket: &mut tokio::net::TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let Ok(n) = socket.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        seen.extend_from_slice(&buf[..n]);
        if let Some(at) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&seen[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while seen.len() < head_end + length {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Every row's `df_order_id` until the first error.
async fn read_all(rows: &mut ExportRows<ByteStream>) -> (Vec<String>, Option<ExportError>) {
    let mut seen = Vec::new();
    loop {
        match rows.next_row().await {
            Ok(Some(row)) => seen.push(row.get("event_name").unwrap_or_default().to_owned()),
            Ok(None) => return (seen, None),
            Err(error) => return (seen, Some(error)),
        }
    }
}

fn query() -> EventQuery {
    let (from, to) = days();
    EventQuery::new(from, to)
}

/// The purchases fixture cut inside its last row (which is longer than the parser's hold-back).
fn cut_fixture() -> Vec<u8> {
    let bytes = fixture_bytes("purchases.csv");
    bytes[..bytes.len() - 40].to_vec()
}

#[tokio::test]
async fn a_connection_cut_mid_body_is_interrupted_after_the_complete_rows() {
    let url = raw_server(cut_fixture(), Ending::ChunkedCut).await;
    let client = client_at(&url);
    let mut rows = client.export_event_rows(&query()).await.unwrap();
    let (seen, error) = read_all(&mut rows).await;
    assert_eq!(seen, ["df_purchase", "df_purchase", "df_login"]);
    let error = error.expect("an error, not a short result");
    assert!(
        matches!(error, ExportError::Interrupted { rows: 3, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(
        error
            .to_string()
            .starts_with("the export broke off after 3 rows: "),
        "{error}"
    );
    // Nothing more after the error.
    assert!(rows.next_row().await.unwrap().is_none());
}

#[tokio::test]
async fn a_body_shorter_than_its_length_is_interrupted() {
    let url = raw_server(fixture_bytes("purchases.csv"), Ending::ShortLength).await;
    let client = client_at(&url);
    let mut rows = client.export_event_rows(&query()).await.unwrap();
    let (seen, error) = read_all(&mut rows).await;
    assert!(seen.len() <= 4);
    assert!(
        matches!(error, Some(ExportError::Interrupted { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_error_body_after_complete_rows_is_aborted_with_its_code() {
    let mut body = fixture_bytes("purchases.csv");
    body.extend_from_slice(br#"{"result":"fail","message":"client_connection_closed"}"#);
    let url = raw_server(body, Ending::Chunked).await;
    let client = client_at(&url);
    let mut rows = client.export_event_rows(&query()).await.unwrap();
    let (seen, error) = read_all(&mut rows).await;
    assert_eq!(seen.len(), 4);
    let error = error.expect("an error, not a short result");
    assert!(
        matches!(
            &error,
            ExportError::Aborted {
                rows: 4,
                code: ExportErrorCode::Documented(ExportFailure::ClientConnectionClosed)
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(
        error.to_string(),
        "the server stopped the export after 4 rows with `client_connection_closed` (the client connection was closed); retry the export"
    );
}

#[tokio::test]
async fn an_error_body_in_the_middle_of_a_row_drops_that_row() {
    let mut body = cut_fixture();
    body.extend_from_slice(b"{ \"result\": \"fail\", \"message\": \"query_error\" }\r\n");
    let url = raw_server(body, Ending::Chunked).await;
    let client = client_at(&url);
    let mut rows = client.export_event_rows(&query()).await.unwrap();
    let (seen, error) = read_all(&mut rows).await;
    assert_eq!(seen.len(), 3);
    assert!(
        matches!(
            error,
            Some(ExportError::Aborted {
                rows: 3,
                code: ExportErrorCode::Documented(ExportFailure::QueryError)
            })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_clean_end_inside_a_quoted_field_or_a_row_is_truncated() {
    let quoted = b"df_unified_id,event_name\r\nu1,df_login\r\nu2,\"df_lo".to_vec();
    let url = raw_server(quoted, Ending::Chunked).await;
    let mut rows = client_at(&url).export_event_rows(&query()).await.unwrap();
    let (seen, error) = read_all(&mut rows).await;
    assert_eq!(seen, ["df_login"]);
    let error = error.expect("an error, not a short result");
    assert_eq!(
        error.to_string(),
        "the export ended early after 1 row: it stops inside a quoted field; retry the export"
    );

    let short_row = b"a,b,c\r\n1,2,3\r\n4,5".to_vec();
    let url = raw_server(short_row, Ending::Chunked).await;
    let mut rows = client_at(&url).export_event_rows(&query()).await.unwrap();
    let (seen, error) = read_all(&mut rows).await;
    assert_eq!(seen.len(), 1);
    assert!(
        matches!(&error, Some(ExportError::Truncated { rows: 1, reason }) if reason == "it stops in row 2, which has 2 of the header's 3 fields"),
        "{error:?}"
    );

    // The last row may lack its line break when it is complete.
    let no_newline = b"a,b\r\n1,2".to_vec();
    let url = raw_server(no_newline, Ending::Chunked).await;
    let mut rows = client_at(&url).export_event_rows(&query()).await.unwrap();
    let (seen, error) = read_all(&mut rows).await;
    assert_eq!((seen.len(), error.is_none()), (1, true));
}

#[tokio::test]
async fn a_clean_end_inside_the_header_row_is_truncated_not_missing_columns() {
    // Cut in `df_items_df_price`: the header read as it stands would lack columns `Purchase`
    // needs, and the error would blame the query instead of the cut.
    let bytes = fixture_bytes("purchases.csv");
    let cut = bytes
        .windows(12)
        .position(|w| w == b"df_items_df_")
        .expect("the fixture has item columns")
        + 12;
    let expected = "the export ended early after 0 rows: it stops inside its header row, before the row's line end; retry the export";
    let url = raw_server(bytes[..cut].to_vec(), Ending::Chunked).await;
    let error = client_at(&url)
        .export_event_rows(&query())
        .await
        .and_then(|rows| rows.events::<Purchase>())
        .expect_err("an error, not an empty stream");
    assert!(
        matches!(&error, ExportError::Truncated { rows: 0, .. }),
        "{error:?}"
    );
    assert_eq!(error.to_string(), expected);
    assert!(error.is_retryable());
    // The same from a saved file, and for a header of one column cut short.
    for body in [&bytes[..cut], b"df_unified_id,event_na", b"df_unif"] {
        let (seen, error) = read_bytes(body);
        assert!(seen.is_empty(), "{seen:?}");
        assert_eq!(error.map(|e| e.to_string()).as_deref(), Some(expected));
    }
}

#[tokio::test]
async fn an_empty_body_has_no_header() {
    let url = raw_server(Vec::new(), Ending::Chunked).await;
    let error = client_at(&url)
        .export_event_rows(&query())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ExportError::Truncated { rows: 0, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_typed_stream_never_returns_an_event_whose_rows_were_cut() {
    // Cut in the second item row of the first purchase: it must not come back with one item.
    let bytes = fixture_bytes("purchases.csv");
    let second_row = bytes
        .windows(6)
        .position(|w| w == b"SKU-2,")
        .expect("the fixture has SKU-2");
    let url = raw_server(bytes[..second_row].to_vec(), Ending::ChunkedCut).await;
    let mut events = client_at(&url)
        .export_event_rows(&query())
        .await
        .and_then(|rows| rows.events::<Purchase>())
        .unwrap();
    let error = events.try_next().await.unwrap_err();
    assert!(
        matches!(error, ExportError::Interrupted { rows: 1, .. }),
        "{error:?}"
    );
    assert!(events.try_next().await.unwrap().is_none());
}

#[tokio::test]
async fn the_emulator_cutting_an_export_is_an_error() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let purchase = crate::model::one_purchase();
    client.send_events(&user("u"), [&purchase]).await.unwrap();
    emulator.push_script([ScriptedResponse::Drop]);
    let result = match client
        .export_event_rows(&query())
        .await
        .and_then(|rows| rows.events::<Purchase>())
    {
        Err(error) => Err(error),
        Ok(stream) => stream.into_vec().await.map(|v| v.len()),
    };
    assert!(
        matches!(result, Err(ExportError::Interrupted { rows: 0, .. })),
        "{result:?}"
    );
    // The next export is whole.
    let events = client
        .export_event_rows(&query())
        .await
        .and_then(|rows| rows.events::<Purchase>())
        .unwrap()
        .into_vec()
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, purchase);
}

/// A body of a header, one good row, then a row of `x` that never ends, `past` bytes longer
/// than a row may be.
fn endless_row(past: usize) -> Vec<u8> {
    let mut body = b"df_unified_id,event_name\r\nu1,df_login\r\nu2,\"".to_vec();
    body.resize(body.len() + dfinery::export::MAX_ROW_BYTES + past, b'x');
    body
}

#[tokio::test]
async fn a_row_that_never_ends_is_an_error_at_the_cap_not_held_in_memory() {
    // Over the network, and from a file: the same reader, the same bound.
    let url = raw_server(endless_row(1 << 20), Ending::Chunked).await;
    let mut rows = client_at(&url).export_event_rows(&query()).await.unwrap();
    let (seen, error) = read_all(&mut rows).await;
    assert_eq!(seen, ["df_login"]);
    let error = error.expect("an error, not a short result");
    assert!(
        matches!(error, ExportError::RowTooLong { row: 2, limit } if limit == dfinery::export::MAX_ROW_BYTES),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "row 2 runs past {} bytes without ending; the export is malformed (a body that is not CSV, or a quote never closed)",
            dfinery::export::MAX_ROW_BYTES
        )
    );
    assert!(!error.is_retryable());

    let mut file = ExportRows::new(std::io::Cursor::new(endless_row(1 << 20))).unwrap();
    assert_eq!(
        file.next_row().unwrap().unwrap().get("event_name"),
        Some("df_login")
    );
    let error = file.next_row().unwrap_err();
    assert!(
        matches!(error, ExportError::RowTooLong { row: 2, .. }),
        "{error:?}"
    );
}

/// Every row's `event_name` from `body` read as a saved export, until the first error.
fn read_bytes(body: &[u8]) -> (Vec<String>, Option<ExportError>) {
    let mut rows = match ExportRows::new(std::io::Cursor::new(body.to_vec())) {
        Ok(rows) => rows,
        Err(error) => return (Vec::new(), Some(error)),
    };
    let mut seen = Vec::new();
    loop {
        match rows.next_row() {
            Ok(Some(row)) => seen.push(row.get("event_name").unwrap_or("?").to_owned()),
            Ok(None) => return (seen, None),
            Err(error) => return (seen, Some(error)),
        }
    }
}

/// A reader that hands over one byte per read: a slow pipe or socket.
struct ByteByByte(std::io::Cursor<Vec<u8>>);

impl std::io::Read for ByteByByte {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let end = buf.len().min(1);
        std::io::Read::read(&mut self.0, &mut buf[..end])
    }
}

#[test]
fn a_byte_order_mark_read_a_byte_at_a_time_is_not_part_of_the_first_column_s_name() {
    // The CSV reader drops the mark only when its first read holds it whole: read a byte at a
    // time, it stayed in the first column's name, and that column was never found by name.
    let body = b"\xef\xbb\xbfevent_name,df_unified_id\r\ndf_login,u1\r\n".to_vec();
    let mut rows = ExportRows::new(ByteByByte(std::io::Cursor::new(body))).unwrap();
    let row = rows.next_row().unwrap().expect("one row");
    assert_eq!(row.get("event_name"), Some("df_login"));
    assert_eq!(rows.header().names()[0], "event_name");
    // Quoted names: the reader given the mark's first byte or two alone read them as the
    // first field's text, and its quotes with it (`"df_unified_id"`).
    let body = b"\xef\xbb\xbf\"df_unified_id\",\"event_name\"\r\n\"u1\",\"df_login\"\r\n".to_vec();
    let mut rows = ExportRows::new(ByteByByte(std::io::Cursor::new(body))).unwrap();
    let row = rows.next_row().unwrap().expect("one row");
    assert_eq!(row.get("df_unified_id"), Some("u1"));
    assert_eq!(row.get("event_name"), Some("df_login"));
}

#[test]
fn odd_but_valid_csv_reads_and_broken_csv_is_an_error_naming_the_row() {
    // A byte order mark, CRLF, a quoted field spanning lines: read as written.
    let (seen, error) =
        read_bytes(b"\xef\xbb\xbfdf_unified_id,event_name\r\nu1,\"df_\r\nlogin\"\r\nu2,df_x\n");
    assert_eq!(
        (seen, error.is_none()),
        (vec!["df_\r\nlogin".to_owned(), "df_x".to_owned()], true)
    );
    // A row with a cell too many (a trailing comma) or too few; the last row with a cell too
    // many and no line end too: a cut only shortens a row, so it is malformed, not truncated
    // (which is retried, and would download the same export again).
    for body in [
        &b"df_unified_id,event_name\nu1,df_login,\n"[..],
        b"df_unified_id,event_name\nu1\nu2,df_x\n",
        b"df_unified_id,event_name\r\nu1,df_login,x",
    ] {
        let (seen, error) = read_bytes(body);
        assert!(seen.is_empty(), "{seen:?}");
        assert!(
            matches!(
                error,
                Some(ExportError::Malformed {
                    row: 1,
                    expected: 2,
                    ..
                })
            ),
            "{error:?}"
        );
    }
    // Not UTF-8 in a row, and a gzip body served as plain CSV: errors, never rows.
    let (seen, error) = read_bytes(b"df_unified_id,event_name\nu1,df_\xff\n");
    assert!(
        seen.is_empty() && matches!(error, Some(ExportError::NotUtf8 { row: 1 })),
        "{error:?}"
    );
    let (seen, error) = read_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x57\x28\xcf\x2f\xca\x49\x01\x00\x85\x11\x4a\x0d\x0b\x00\x00\x00");
    assert!(seen.is_empty() && error.is_some(), "{seen:?} {error:?}");
}

/// Where each data row of `body` ends (after its line end), found outside quotes.
fn row_ends(body: &[u8]) -> Vec<usize> {
    let mut quoted = false;
    let mut ends = Vec::new();
    for (at, &byte) in body.iter().enumerate() {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => ends.push(at + 1),
            _ => {}
        }
    }
    // The first line end is the header's.
    ends.remove(0);
    ends
}

/// `body` in two chunks, then the connection cut: what a [`ByteStream`] gives when the body
/// breaks off right after its last byte here.
fn cut_after(
    body: &[u8],
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, dfinery::Error>> + Send + 'static {
    let (first, second) = body.split_at(body.len() / 2);
    let cut = dfinery::Error::Timeout {
        endpoint: dfinery::wire::Endpoint::ExportEvent,
        after: Duration::from_secs(5),
    };
    futures_util::stream::iter([
        Ok(bytes::Bytes::copy_from_slice(first)),
        Ok(bytes::Bytes::copy_from_slice(second)),
        Err(cut),
    ])
}

/// A body cut right after a complete row reports that row as received, whichever reader reads
/// it. The parser holds the last bytes of what arrived back (in case they start an error
/// body), and a break left them unread: a body cut right after its first row said `after 0
/// rows`, and that row was never handed out. The row reader hands out every row received; the
/// typed reader counts the rows of the event it was gathering but never hands that event out.
#[tokio::test]
async fn a_body_cut_right_after_a_row_counts_every_complete_row_received() {
    let bytes = fixture_bytes("purchases.csv");
    let ends = row_ends(&bytes);
    assert_eq!(ends.len(), 4, "the fixture has four rows");
    for (rows, &end) in (1u64..).zip(&ends) {
        let body = &bytes[..end];
        let noun = if rows == 1 { "row" } else { "rows" };
        let expected = format!("the export broke off after {rows} {noun}: ");

        // Row by row.
        let mut reader = ExportRows::from_stream(cut_after(body)).await.unwrap();
        let (seen, error) = read_all(&mut reader).await;
        assert_eq!(seen.len() as u64, rows, "every complete row is handed out");
        let error = error.expect("an error, not a short result");
        assert!(
            matches!(error, ExportError::Interrupted { rows: r, .. } if r == rows),
            "cut after row {rows}: {error:?}"
        );
        assert!(error.to_string().starts_with(&expected), "{error}");
        assert_eq!(reader.rows_read(), rows);

        // Typed: the event being gathered is never handed out, but its rows arrived.
        let mut events = ExportRows::from_stream(cut_after(body))
            .await
            .and_then(|rows| rows.events::<Purchase>())
            .unwrap();
        let error = loop {
            match events.try_next().await {
                Ok(Some(_)) => {}
                Ok(None) => panic!("cut after row {rows}: ended without an error"),
                Err(error) => break error,
            }
        };
        assert!(
            matches!(error, ExportError::Interrupted { rows: r, .. } if r == rows),
            "typed, cut after row {rows}: {error:?}"
        );
    }
}

/// The same for bodies shorter than what the parser holds back: a header and one row, rows then
/// a row or a quoted field cut, a header cut.
#[tokio::test]
async fn a_short_body_cut_after_its_only_row_counts_it() {
    for (body, rows) in [
        (&b"df_unified_id,event_name\r\nu1,df_login\r\n"[..], 1),
        (b"a,b\r\n1,2\r\n3,4\r\n5,", 2),
        (b"a,b\r\n1,2\r\n3,\"4", 1),
        (b"df_unified_id,event_na", 0),
    ] {
        let error = match ExportRows::from_stream(cut_after(body)).await {
            Ok(mut reader) => read_all(&mut reader).await.1,
            Err(error) => Some(error),
        };
        assert!(
            matches!(error, Some(ExportError::Interrupted { rows: r, .. }) if r == rows),
            "{:?}: {error:?}",
            String::from_utf8_lossy(body)
        );
    }
}

/// A saved export cut inside its last field, without a line end after it: DFINERY's docs do not
/// say whether an export ends with a line end, so a last row without one is a whole row, and a
/// cut there is the one that cannot be seen (docs/export.md, "Streaming, and bodies that
/// break", and `ExportRows::new`); a cut anywhere else in that row is an error. This pins what
/// the docs say: if it changed, an export ending without a line end would fail every read.
#[test]
fn a_saved_export_cut_inside_its_last_field_reads_as_whole_as_documented() {
    let whole = b"df_unified_id,event_name\r\nu1,df_login\r\nu2,df_purchase\r\n";
    // Without its final line end, or cut inside the last field: the last row as it stands.
    for (cut, last) in [(2, "df_purchase"), (7, "df_pur")] {
        let (seen, error) = read_bytes(&whole[..whole.len() - cut]);
        assert_eq!(
            (seen, error.is_none()),
            (vec!["df_login".to_owned(), last.to_owned()], true),
            "cut {cut}"
        );
    }
    // Cut right after a row's line end (a copy stopped between two rows): what is left is a
    // whole export of fewer rows, and nothing in it can tell (as the docs now say; they said
    // every other cut was an error).
    let (seen, error) = read_bytes(&whole[..whole.len() - 16]);
    assert_eq!(
        (seen, error.is_none()),
        (vec!["df_login".to_owned()], true),
        "cut after a line end"
    );
    // Cut before the last field (a field short) or inside a quoted one: an error, after the
    // first row.
    let quoted = b"df_unified_id,event_name\r\nu1,df_login\r\nu2,\"df_purch";
    for body in [&whole[..whole.len() - 15], &quoted[..]] {
        let (seen, error) = read_bytes(body);
        assert_eq!(seen, ["df_login"]);
        assert!(
            matches!(
                error,
                Some(
                    ExportError::Malformed { row: 2, .. } | ExportError::Truncated { rows: 1, .. }
                )
            ),
            "{error:?}"
        );
    }
}
