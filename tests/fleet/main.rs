//! The fleet budget (feature `redis`) against a real `redis-server`: the Lua script's rules
//! (burst, partial grants, tighten-only feedback, block until the reset, a limit change the
//! server announces, idle keys expiring, export slots) and whole fleets of worker processes
//! sharing one emulator's scaled-down Event limit (zero 429s, every event stored once), with an
//! outside client, Redis killed and restarted, and the limit changed mid-run. The emulator runs
//! in a process of its own, so a pause of the test process does not count against the fleet.
//!
//! Each test starts its own `redis-server` on a free loopback port (persistence off) unless
//! `DFINERY_TEST_REDIS_URL` names one (the script tests then use it; the fleet tests always
//! start their own, to kill it). Without a `redis-server` binary the tests skip with a message,
//! except in CI (`CI` set), where they fail.
#![deny(warnings)]

#[path = "../common/blackhole.rs"]
mod blackhole;
#[path = "../common/capture.rs"]
mod capture;
mod edges;
mod emulator;
mod fleet;
mod script;
mod support;
