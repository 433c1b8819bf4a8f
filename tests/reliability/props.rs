//! Property tests (bounded cases) of what the fuzz targets explore.
