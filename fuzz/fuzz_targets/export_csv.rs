//! Fuzz target: any bytes given to the export CSV decoder are read row by row and event by
//! event to the end or to an error, never a panic, and the reader always advances.
#![no_main]

use dfinery_core::export::ExportReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = ExportReader::new(data) else {
        return;
    };
    let mut events = 0_usize;
    while let Ok(Some(group)) = reader.next_event() {
        let _ = group.meta();
        for row in group.rows() {
            for (column, _) in row.iter() {
                let _ = row.double(column);
                let _ = row.long(column);
                let _ = row.datetime(column);
                let _ = row.date(column);
                let _ = row.string_array(column);
            }
        }
        events += 1;
        assert!(events <= data.len() + 1, "the reader advances");
    }
});
