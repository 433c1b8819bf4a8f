//! Documentation tests: every `.md` file a rustdoc comment or a Markdown file cites exists in the
//! repository, so a reader of the code (or of the published crate) never follows a dead citation.

mod citations;
