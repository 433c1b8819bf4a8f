//! Where the unit tests put their spool files: one folder per test process under
//! `<temp>/dfinery-tests/`, named by its process id. The first call of a process removes the
//! folders of test processes that have ended, so runs do not pile up files (one run of the
//! spool's tests writes about a gigabyte).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// A path no other call of this process returns, for a file of test `name` (`name-N.redb`);
/// nothing is there yet.
pub(crate) fn path(name: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    folder().join(format!("{name}-{n}.redb"))
}

/// This process's folder, made (and the ended processes' folders removed) on first use.
fn folder() -> &'static Path {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER.get_or_init(|| {
        let root = std::env::temp_dir().join("dfinery-tests");
        prune(&root);
        let folder = root.join(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).expect("a folder for the test files");
        folder
    })
}

/// Removes the folders under `root` of processes that have ended.
fn prune(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let pid = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok());
        if !pid.is_some_and(|pid| running(pid, &entry.path())) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether process `pid` may still use `folder`: on Linux, whether it runs; elsewhere,
/// whether the folder changed in the last hour.
fn running(pid: u32, folder: &Path) -> bool {
    if cfg!(target_os = "linux") {
        return Path::new("/proc").join(pid.to_string()).exists();
    }
    std::fs::metadata(folder)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|at| at.elapsed().ok())
        .is_none_or(|age| age < std::time::Duration::from_secs(3600))
}
