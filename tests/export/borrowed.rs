//! The borrowed path: rows scanned with `next_row`, each cell a `&str` of the current record.
//! Every fixture reads the same whatever the chunk size of a stream, cell for cell what the
//! `csv` crate reads, and a broken body is still an error after the complete rows, never a
//! short result.

use bytes::Bytes;
use dfinery::export::{ExportError, ExportRows};
use std::fs::File;

use crate::support::{fixture, fixture_bytes};

/// Every fixture.
const FIXTURES: &[&str] = &[
    "bad_cell.csv",
    "documented_columns.csv",
    "malformed.csv",
    "missing_columns.csv",
    "profiles.csv",
    "purchases.csv",
    "reordered.csv",
];

/// Chunk sizes from one byte to more than a whole fixture.
const SIZES: &[usize] = &[1, 2, 3, 7, 33, 64, 511, 4096];

/// What the `csv` crate reads in `bytes`: the header and the rows up to the first error, and
/// whether there was one.
fn csv_reads(bytes: &[u8]) -> (Vec<Vec<String>>, bool) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => rows.push(record.iter().map(str::to_owned).collect()),
            Err(_) => return (rows, true),
        }
    }
    (rows, false)
}

/// `bytes` as a stream of `size`-byte chunks.
fn chunked(
    bytes: &[u8],
    size: usize,
) -> futures_util::stream::Iter<std::vec::IntoIter<Result<Bytes, dfinery::Error>>> {
    let chunks: Vec<Result<Bytes, dfinery::Error>> = bytes
        .chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures_util::stream::iter(chunks)
}

/// The header and every row of a stream, borrowed cell by cell (copied only to compare), and
/// the error that ended it.
async fn scan_stream(bytes: &[u8], size: usize) -> (Vec<Vec<String>>, Option<ExportError>) {
    let mut rows = match ExportRows::from_stream(chunked(bytes, size)).await {
        Ok(rows) => rows,
        Err(error) => return (Vec::new(), Some(error)),
    };
    let mut seen = vec![rows.header().names().to_vec()];
    loop {
        match rows.next_row().await {
            Ok(Some(row)) => {
                assert_eq!(row.iter().count(), seen[0].len());
                seen.push(
                    row.iter()
                        .map(|(_, text)| text)
                        .map(str::to_owned)
                        .collect(),
                );
            }
            Ok(None) => return (seen, None),
            Err(error) => return (seen, Some(error)),
        }
    }
}

/// As [`scan_stream`], for a saved file read with `ExportRows`.
fn scan_file(name: &str) -> (Vec<Vec<String>>, Option<ExportError>) {
    let mut reader = ExportRows::new(File::open(fixture(name)).unwrap()).unwrap();
    let mut seen = vec![reader.header().names().to_vec()];
    loop {
        match reader.next_row() {
            Ok(Some(row)) => seen.push(
                row.iter()
                    .map(|(_, text)| text)
                    .map(str::to_owned)
                    .collect(),
            ),
            Ok(None) => return (seen, None),
            Err(error) => return (seen, Some(error)),
        }
    }
}

#[tokio::test]
async fn every_fixture_scans_as_the_csv_crate_reads_it_whatever_the_chunk_size() {
    for name in FIXTURES {
        let bytes = fixture_bytes(name);
        let (expected, csv_failed) = csv_reads(&bytes);
        assert!(expected.len() > 1, "{name} has rows");
        let (from_file, file_error) = scan_file(name);
        assert_eq!(from_file, expected, "{name}, read from the file");
        // The one malformed fixture is an error for both, after the same rows.
        assert_eq!(file_error.is_some(), csv_failed, "{name}: {file_error:?}");
        for &size in SIZES {
            let (seen, error) = scan_stream(&bytes, size).await;
            assert_eq!(seen, expected, "{name} in chunks of {size} bytes");
            assert_eq!(
                error.is_some(),
                csv_failed,
                "{name} in chunks of {size} bytes: {error:?}"
            );
        }
    }
}

#[tokio::test]
async fn the_malformed_row_is_an_error_after_the_row_before_it() {
    for &size in SIZES {
        let (seen, error) = scan_stream(&fixture_bytes("malformed.csv"), size).await;
        assert_eq!(seen.len(), 2, "the header and row 1, in chunks of {size}");
        assert!(
            matches!(error, Some(ExportError::Malformed { row: 2, .. })),
            "chunks of {size}: {error:?}"
        );
    }
}

#[tokio::test]
async fn a_body_cut_inside_a_row_or_a_quoted_field_is_an_error_never_a_short_scan() {
    let bytes = fixture_bytes("purchases.csv");
    let (whole, _) = csv_reads(&bytes);
    // Cut inside the last row; and inside the first row's quoted `"ORDER-1, ""gift"""`.
    let quoted = bytes
        .windows(7)
        .position(|w| w == b"ORDER-1")
        .expect("the fixture holds ORDER-1");
    for cut in [bytes.len() - 40, quoted + 3] {
        for &size in SIZES {
            let (seen, error) = scan_stream(&bytes[..cut], size).await;
            assert!(
                matches!(error, Some(ExportError::Truncated { .. })),
                "cut at {cut}, chunks of {size}: {error:?}"
            );
            // Only complete rows came before the error, each as it is in the whole body.
            assert!(seen.len() < whole.len(), "cut at {cut}: {seen:?}");
            assert_eq!(seen[..], whole[..seen.len()], "cut at {cut}");
        }
    }
}

#[tokio::test]
async fn an_error_body_written_into_the_csv_is_an_error_after_the_complete_rows() {
    let bytes = fixture_bytes("purchases.csv");
    let (whole, _) = csv_reads(&bytes);
    let mut body = bytes.clone();
    body.extend_from_slice(br#"{"result":"fail","message":"client_connection_closed"}"#);
    for &size in SIZES {
        let (seen, error) = scan_stream(&body, size).await;
        assert!(
            matches!(error, Some(ExportError::Aborted { .. })),
            "chunks of {size}: {error:?}"
        );
        assert_eq!(
            seen, whole,
            "every complete row came first, chunks of {size}"
        );
    }
}
