//! A storage layer under the spool that fails on demand: the real file backend of the store,
//! wrapped so a test can make its writes fail with `ENOSPC`, `EIO` or `EROFS`, its syncs fail
//! with `EIO`, its reads come back short, or the file refuse to open again. Only the spool file
//! of the test sees the fault (the sockets and files of the rest of the process do not), and a
//! fault is on from the call that sets it to the call that clears it, so each test is
//! deterministic.

use std::fs::OpenOptions;
use std::io;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

use dfinery::Spool;
use redb::StorageBackend;
use redb::backends::FileBackend;

/// `ENOSPC`: no space left on the device.
pub const ENOSPC: i32 = 28;
/// `EIO`: an I/O error.
pub const EIO: i32 = 5;
/// `EROFS`: a read-only file system (a disk remounted read-only).
pub const EROFS: i32 = 30;

/// The switches of one spool file's faults and what they did.
#[derive(Debug, Default)]
pub struct Faults {
    /// Every write fails with this errno (0: none).
    pub write: AtomicI32,
    /// Every sync fails with this errno (0: none).
    pub sync: AtomicI32,
    /// Opening the file (again) fails with this errno (0: none).
    pub open: AtomicI32,
    /// Every read returns fewer bytes than asked (the file ends early).
    pub short_read: AtomicBool,
    /// Writes that failed.
    pub writes_failed: AtomicU64,
    /// Syncs that failed.
    pub syncs_failed: AtomicU64,
    /// Syncs that succeeded.
    pub syncs_ok: AtomicU64,
}

impl Faults {
    /// Sets `switch` to `errno`.
    pub fn set(switch: &AtomicI32, errno: i32) {
        switch.store(errno, Ordering::SeqCst);
    }

    /// Clears every fault: the disk has recovered.
    pub fn clear(&self) {
        self.write.store(0, Ordering::SeqCst);
        self.sync.store(0, Ordering::SeqCst);
        self.open.store(0, Ordering::SeqCst);
        self.short_read.store(false, Ordering::SeqCst);
    }
}

/// The file backend with [`Faults`] in front.
#[derive(Debug)]
pub struct FaultyBackend {
    inner: FileBackend,
    faults: Arc<Faults>,
}

fn fault(switch: &AtomicI32) -> Option<io::Error> {
    match switch.load(Ordering::SeqCst) {
        0 => None,
        errno => Some(io::Error::from_raw_os_error(errno)),
    }
}

impl FaultyBackend {
    /// Opens `path` (read and write, created if needed) under `faults`.
    pub fn open(path: &Path, faults: Arc<Faults>) -> io::Result<FaultyBackend> {
        if let Some(error) = fault(&faults.open) {
            return Err(error);
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let inner = FileBackend::new(file).map_err(io::Error::other)?;
        Ok(FaultyBackend { inner, faults })
    }
}

impl StorageBackend for FaultyBackend {
    fn len(&self) -> Result<u64, io::Error> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        if self.faults.short_read.load(Ordering::SeqCst) && !out.is_empty() {
            // What `read_exact_at` says when the file ends before the buffer is full.
            let half = out.len() / 2;
            self.inner.read(offset, &mut out[..half])?;
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "failed to fill whole buffer",
            ));
        }
        self.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        if let Some(error) = fault(&self.faults.write) {
            self.faults.writes_failed.fetch_add(1, Ordering::SeqCst);
            return Err(error);
        }
        self.inner.set_len(len)
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        if let Some(error) = fault(&self.faults.sync) {
            self.faults.syncs_failed.fetch_add(1, Ordering::SeqCst);
            return Err(error);
        }
        self.inner.sync_data()?;
        self.faults.syncs_ok.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        if let Some(error) = fault(&self.faults.write) {
            self.faults.writes_failed.fetch_add(1, Ordering::SeqCst);
            return Err(error);
        }
        self.inner.write(offset, data)
    }

    fn close(&self) -> Result<(), io::Error> {
        self.inner.close()
    }

    fn try_lock_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, redb::BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, redb::BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), redb::BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<(), redb::BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), redb::BackendError> {
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, redb::BackendError> {
        self.inner.query_lock_range(start, end)
    }
}

/// Opens the spool at `path` over a [`FaultyBackend`] driven by `faults` (also when the writer
/// opens it again after a failure).
pub fn open_spool(path: &Path, faults: &Arc<Faults>) -> Result<Spool, dfinery::SpoolError> {
    let path: PathBuf = path.to_path_buf();
    let faults = Arc::clone(faults);
    let file = path.clone();
    Spool::open_with_backend(path, move || {
        FaultyBackend::open(&file, Arc::clone(&faults))
    })
}
