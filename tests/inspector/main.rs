//! The emulator's inspector page (`/_emulator/` with `inspector(true)` / `dfinery emulator
//! --inspect`): its server-sent-event stream and JSON views read over HTTP, and the page itself
//! driven in a real headless Chromium through chromedriver.
#![deny(warnings)]

mod browser;
mod stream;
mod support;
