//! Documentation tests: every `.md` file a rustdoc comment or a Markdown file cites exists in the
//! repository, so a reader of the code (or of the published crate) never follows a dead citation;
//! and every number an operator scrapes (the tracker's metrics, the emulator's stats) is in its guide.

mod citations;
mod fields;
