//! The file a [`Journal`](super::Journal) writes: positioned reads and writes, `sync_data`, its
//! length. A trait so the tests can put a double in front that fails or cuts a write short.

use std::fs::File;
use std::io;

/// What the journal needs of its file. Implemented for [`File`]; the tests implement it for a
/// file in memory that injects faults.
pub(crate) trait JournalFile {
    /// Writes all of `buf` at `offset`, or returns the error that stopped it (some of `buf` may
    /// have been written then).
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// Fills `buf` from `offset`; an error when the file ends first.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    /// Makes every write before it durable (the data, and the metadata needed to read it).
    fn sync_data(&mut self) -> io::Result<()>;
    /// The file's length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Cuts the file to `len` bytes, or extends it with zeroes.
    fn set_len(&mut self, len: u64) -> io::Result<()>;
}

impl JournalFile for File {
    #[cfg(unix)]
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(self, buf, offset)
    }

    // Elsewhere, a seek and a write: the journal is the file's only user, on one thread, so
    // nothing moves the cursor between the two.
    #[cfg(not(unix))]
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        self.seek(SeekFrom::Start(offset))?;
        self.write_all(buf)
    }

    #[cfg(unix)]
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }

    #[cfg(not(unix))]
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file: &File = self;
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buf)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        File::sync_data(self)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        File::set_len(self, len)
    }
}

impl<T: JournalFile + ?Sized> JournalFile for Box<T> {
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        (**self).write_all_at(buf, offset)
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        (**self).read_exact_at(buf, offset)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        (**self).sync_data()
    }

    fn len(&self) -> io::Result<u64> {
        (**self).len()
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        (**self).set_len(len)
    }
}

/// The journal's file on Linux, written past the page cache where it can be: the writes of
/// whole blocks at block offsets (every group's, see [`BLOCK`](super::BLOCK)) go through a
/// descriptor opened with `O_DIRECT | O_DSYNC`, so each is on the disk when it returns (one
/// device write, where `pwrite` then `fdatasync` made the kernel look for the file's dirty pages
/// and flush the device's cache after). The other writes (the headers, written rarely) and every
/// read go through a plain descriptor; [`sync_data`](JournalFile::sync_data) syncs only when
/// such a write is not synced yet.
///
/// Measured on the report's host (`hotpath 256 0 16`, 2026-12-06): see BENCHMARKS.md, "The
/// journal written past the page cache".
///
/// Where the file system refuses `O_DIRECT` (tmpfs, some network file systems), or a direct
/// write is refused as misaligned, the plain descriptor is used for everything from then on,
/// with `fdatasync` as before.
#[derive(Debug)]
pub(crate) struct DirectFile {
    plain: File,
    direct: Option<File>,
    /// A plain write not synced yet.
    dirty: bool,
    /// Where a direct write's bytes are copied first: aligned in memory as `O_DIRECT` wants.
    scratch: Vec<u8>,
}

impl DirectFile {
    /// Opens the journal at `path` (it exists) for reading and writing.
    pub(crate) fn open(path: &std::path::Path) -> io::Result<DirectFile> {
        let plain = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        Ok(DirectFile {
            plain,
            direct: open_direct(path),
            dirty: false,
            scratch: Vec::new(),
        })
    }

    /// Whether writes go past the page cache.
    #[cfg(test)]
    pub(crate) fn is_direct(&self) -> bool {
        self.direct.is_some()
    }
}

/// The alignment a direct write's offset, length and memory keep.
const DIRECT_ALIGN: usize = 4096;

#[cfg(target_os = "linux")]
fn open_direct(path: &std::path::Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT | libc::O_DSYNC)
        .open(path)
        .ok()
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_path: &std::path::Path) -> Option<File> {
    None
}

impl JournalFile for DirectFile {
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        let aligned =
            offset.is_multiple_of(DIRECT_ALIGN as u64) && buf.len().is_multiple_of(DIRECT_ALIGN);
        if let Some(direct) = &mut self.direct
            && aligned
            && !buf.is_empty()
        {
            // The journal builds its groups at an aligned address; anything else is copied
            // into a window of the scratch buffer that is (no allocator call asks for
            // alignment, and no unsafe code is needed to make one).
            let source = if buf.as_ptr().align_offset(DIRECT_ALIGN) == 0 {
                buf
            } else {
                if self.scratch.len() < buf.len() + DIRECT_ALIGN {
                    self.scratch = vec![0; buf.len() + DIRECT_ALIGN];
                }
                let skip = self.scratch.as_ptr().align_offset(DIRECT_ALIGN);
                let window = &mut self.scratch[skip..skip + buf.len()];
                window.copy_from_slice(buf);
                window
            };
            match direct.write_all_at(source, offset) {
                Err(error) if error.kind() == io::ErrorKind::InvalidInput => {
                    // Refused as misaligned (a device with larger blocks): the plain way from
                    // now on.
                    tracing::debug!(%error, "the spool's journal is written through the page cache");
                    self.direct = None;
                }
                result => return result,
            }
        }
        self.dirty = true;
        self.plain.write_all_at(buf, offset)
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        JournalFile::read_exact_at(&self.plain, buf, offset)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        if self.direct.is_none() || self.dirty {
            self.plain.sync_data()?;
            self.dirty = false;
        }
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        JournalFile::len(&self.plain)
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.dirty = true;
        self.plain.set_len(len)
    }
}
