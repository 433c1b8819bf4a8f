//! `Serialize` for [`Value`]: the wire format of `docs/protocol.md` §4.1.

use serde::ser::{Error, SerializeSeq};
use serde::{Serialize, Serializer};

use super::Value;

impl Serialize for Value {
    /// Writes the wire form. Fails (instead of writing `null`, as `serde_json` would) when a
    /// Double is not finite.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.check_finite().map_err(S::Error::custom)?;
        match self {
            Value::String(v) => serializer.serialize_str(v),
            Value::Long(v) => serializer.serialize_i64(*v),
            Value::Double(v) => serializer.serialize_f64(*v),
            Value::Boolean(v) => serializer.serialize_bool(*v),
            Value::Datetime(v) => v.serialize(serializer),
            Value::Date(v) => v.serialize(serializer),
            Value::StringArray(v) => v.serialize(serializer),
            Value::LongArray(v) => v.serialize(serializer),
            Value::DoubleArray(values) => {
                let mut seq = serializer.serialize_seq(Some(values.len()))?;
                for v in values {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
        }
    }
}
