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
