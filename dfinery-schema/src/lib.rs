//! The DFINERY registry model shared by the derives, the runtime and the emulator.
//!
//! (Being filled in.)

mod model;
mod types;

pub use model::{EventDef, PropertyDef, Registry};
pub use types::DataType;
