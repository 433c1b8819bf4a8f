//! Writing an export to a file: atomic (a temporary file beside the destination, renamed once
//! the body arrived intact), so a failed export never leaves a file that looks complete.

use std::fs::File;
use std::path::{Path, PathBuf};

use dfinery::export::{EventQuery, ExportError, ExportRows, ProfileQuery};
use dfinery_emulator::ScriptedResponse;

use crate::model::{Purchase, one_purchase};
use crate::support::{client, days, emulator, user};

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dfinery-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names of the files in `dir`.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn query() -> EventQuery {
    let (from, to) = days();
    EventQuery::new(from, to)
}

#[tokio::test]
async fn an_export_is_written_whole_and_decodes_back() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let purchases = [one_purchase(), one_purchase()];
    client.send_events(&user("u"), &purchases).await.unwrap();
    let dir = scratch("whole");
    let path = dir.join("events.csv");
    let written = client.export_events_to_file(&query(), &path).await.unwrap();
    assert_eq!(written.path, path);
    assert_eq!(written.rows, 4, "two purchases of two items each");
    assert_eq!(written.bytes, std::fs::metadata(&path).unwrap().len());
    assert_eq!(files_in(&dir), ["events.csv"]);
    let decoded: Vec<Purchase> = ExportRows::new(File::open(&path).unwrap())
        .unwrap()
        .events::<Purchase>()
        .unwrap()
        .map(|e| e.unwrap().event)
        .collect();
    assert_eq!(decoded, purchases);

    let profiles = dir.join("profiles.csv");
    let written = client
        .export_profiles_to_file(&ProfileQuery::new().with_external_id(), &profiles)
        .await
        .unwrap();
    assert_eq!(written.rows, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_cut_export_leaves_nothing_and_keeps_an_older_file() {
    let emulator = emulator().await;
    let client = client(&emulator);
    client
        .send_events(&user("u"), [&one_purchase()])
        .await
        .unwrap();
    let dir = scratch("cut");
    let path = dir.join("events.csv");

    emulator.push_script([ScriptedResponse::Drop]);
    let error = client
        .export_events_to_file(&query(), &path)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ExportError::Interrupted { .. }),
        "{error:?}"
    );
    assert!(files_in(&dir).is_empty(), "{:?}", files_in(&dir));

    std::fs::write(&path, "an older export\n").unwrap();
    emulator.push_script([ScriptedResponse::Drop]);
    assert!(client.export_events_to_file(&query(), &path).await.is_err());
    assert_eq!(files_in(&dir), ["events.csv"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "an older export\n");

    // A whole export then replaces it.
    client.export_events_to_file(&query(), &path).await.unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    let header = written.lines().next().unwrap();
    assert!(header.split(',').any(|c| c == "df_unified_id"), "{header}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_refused_query_writes_nothing() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let dir = scratch("refused");
    let (_, today) = days();
    let error = client
        .export_events_to_file(
            &EventQuery::new(today, today)
                .exclude_events(["a"])
                .include_events(["b"]),
            dir.join("x.csv"),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, ExportError::Query(_)), "{error:?}");
    assert!(files_in(&dir).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `ExportFile::save` is the writer under `export_events_to_file` (and `dfinery export`): it
/// takes any export body and reports its progress after each chunk, bytes and rows only growing,
/// ending at what it returns.
#[tokio::test]
async fn saving_a_body_reports_its_progress_up_to_the_whole_file() {
    use dfinery::export::ExportFile;

    let emulator = emulator().await;
    let client = client(&emulator);
    let purchases: Vec<_> = (0..50).map(|_| one_purchase()).collect();
    client.send_events(&user("u"), &purchases).await.unwrap();
    let dir = scratch("progress");
    let path = dir.join("events.csv");
    let body = client
        .export_events(&query().to_request().unwrap())
        .await
        .unwrap();
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let written = ExportFile::save(body, &path, |so_far| {
        assert_eq!(so_far.path, path);
        seen.push((so_far.bytes, so_far.rows));
    })
    .await
    .unwrap();
    assert_eq!(written.rows, 100, "50 purchases of two items each");
    assert_eq!(written.bytes, std::fs::metadata(&path).unwrap().len());
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(
        seen.windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1),
        "{seen:?}"
    );
    assert_eq!(seen.last(), Some(&(written.bytes, written.rows)));

    // A body cut short: progress may have been reported, but nothing is left.
    emulator.push_script([ScriptedResponse::Drop]);
    let cut = dir.join("cut.csv");
    let body = client.export_events(&query().to_request().unwrap()).await;
    if let Ok(body) = body {
        assert!(ExportFile::save(body, &cut, |_| {}).await.is_err());
    }
    assert!(!cut.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// An emulator holding one purchase, and the body of its event export (the emulator is
/// returned so it outlives the body).
async fn one_purchase_exported() -> (dfinery_emulator::EmulatorHandle, dfinery::ByteStream) {
    let emulator = emulator().await;
    let client = client(&emulator);
    client
        .send_events(&user("u"), &[one_purchase()])
        .await
        .unwrap();
    let body = client
        .export_events(&query().to_request().unwrap())
        .await
        .unwrap();
    (emulator, body)
}

/// A file replaced by an export keeps its permissions: an export of user ids kept readable by
/// its owner only became readable by all (the default mode of a new file).
#[cfg(unix)]
#[tokio::test]
async fn a_file_replaced_by_an_export_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;

    use dfinery::export::ExportFile;

    let dir = scratch("permissions");
    let path = dir.join("events.csv");
    std::fs::write(&path, "an earlier export").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (_emulator, body) = one_purchase_exported().await;
    ExportFile::save(body, &path, |_| {}).await.unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    assert_ne!(std::fs::read_to_string(&path).unwrap(), "an earlier export");
    let _ = std::fs::remove_dir_all(&dir);
}

/// While an export is written, its temporary file is readable by its owner only (other users
/// of the machine could otherwise read the user ids it holds before it is renamed); a new file
/// then gets the mode any new file gets (`0o666` less the umask).
#[cfg(unix)]
#[tokio::test]
async fn an_export_being_written_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;

    use dfinery::export::ExportFile;

    let dir = scratch("partial-mode");
    let path = dir.join("events.csv");
    let (_emulator, body) = one_purchase_exported().await;
    let seen = std::sync::Mutex::new(Vec::new());
    ExportFile::save(body, &path, |_| {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            if entry.file_name().to_string_lossy().ends_with(".partial") {
                let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
                seen.lock().unwrap().push(mode);
            }
        }
    })
    .await
    .unwrap();
    let seen = seen.into_inner().unwrap();
    assert!(
        !seen.is_empty(),
        "the temporary file was seen while written"
    );
    assert!(seen.iter().all(|&mode| mode == 0o600), "{seen:?} (decimal)");
    // The mode a new file gets here, from a file made the usual way.
    let probe = dir.join("probe");
    std::fs::write(&probe, "").unwrap();
    let default = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, default, "{mode:o} against {default:o}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A body that breaks off while it is saved reports every complete row that arrived, the last
/// ones included (the parser holds the last bytes back in case they start an error body, and
/// they were left out: `after 0 rows` for a body cut right after its first row), and leaves no
/// file.
#[tokio::test]
async fn a_save_cut_right_after_a_row_counts_every_complete_row_received() {
    use dfinery::export::ExportFile;

    let bytes = crate::support::fixture_bytes("purchases.csv");
    let dir = scratch("cut-rows");
    let path = dir.join("events.csv");
    for (rows, end) in [(1u64, 703), (2, 936), (4, bytes.len())] {
        assert_eq!(&bytes[end - 2..end], b"\r\n", "row {rows} ends at {end}");
        let (first, second) = bytes[..end].split_at(end / 2);
        let body = futures_util::stream::iter([
            Ok(bytes::Bytes::copy_from_slice(first)),
            Ok(bytes::Bytes::copy_from_slice(second)),
            Err(dfinery::Error::Timeout {
                endpoint: dfinery::wire::Endpoint::ExportEvent,
                after: std::time::Duration::from_secs(5),
            }),
        ]);
        let error = ExportFile::save(body, &path, |_| {}).await.unwrap_err();
        assert!(
            matches!(error, ExportError::Interrupted { rows: r, .. } if r == rows),
            "cut after row {rows}: {error:?}"
        );
        assert!(
            error.to_string().starts_with(&format!(
                "the export broke off after {rows} {}: ",
                if rows == 1 { "row" } else { "rows" }
            )),
            "{error}"
        );
        assert!(files_in(&dir).is_empty(), "{:?}", files_in(&dir));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A destination the export cannot be written to (a folder, a folder that does not exist) is
/// refused before the export is asked for: the export was requested first, spending one of
/// DFINERY's 100 exports an hour (and, for a folder, reading the header row) for a file that
/// could never be written.
#[tokio::test]
async fn a_destination_that_cannot_be_written_is_refused_before_the_export_is_asked_for() {
    let emulator = emulator().await;
    let client = client(&emulator);
    client
        .send_events(&user("u"), [&one_purchase()])
        .await
        .unwrap();
    let dir = scratch("unwritable");
    let asked = emulator.stats().requests;
    for path in [dir.clone(), dir.join("missing").join("events.csv")] {
        let error = client
            .export_events_to_file(&query(), &path)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ExportError::File { path: named, .. } if named == &path),
            "{error:?}"
        );
        let error = client
            .export_profiles_to_file(&ProfileQuery::new(), &path)
            .await
            .unwrap_err();
        assert!(matches!(error, ExportError::File { .. }), "{error:?}");
    }
    assert_eq!(emulator.stats().requests, asked, "no export was asked for");
    assert_eq!(emulator.stats().exports, 0);
    assert!(files_in(&dir).is_empty(), "{:?}", files_in(&dir));
    // The temporary file made before the request is removed when the request is refused.
    emulator.push_script([ScriptedResponse::Json {
        status: 401,
        body: serde_json::json!({"result": "fail", "message": "unauthorized_token"}),
    }]);
    let error = client
        .export_events_to_file(&query(), dir.join("events.csv"))
        .await
        .unwrap_err();
    assert!(matches!(error, ExportError::Request(_)), "{error:?}");
    assert!(files_in(&dir).is_empty(), "{:?}", files_in(&dir));
    // A writable destination is still exported to.
    let path = dir.join("events.csv");
    client.export_events_to_file(&query(), &path).await.unwrap();
    assert_eq!(files_in(&dir), ["events.csv"]);
    let _ = std::fs::remove_dir_all(&dir);
}
