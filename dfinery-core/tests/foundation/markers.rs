//! The Rust types each marker trait accepts (checked at compile time by the bounds of the
//! helpers in `p` below, the bounds the derive's generated code puts on a field) write the
//! expected wire JSON.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dfinery_core::{DataType, Date, Datetime, Patch, PropertySpec, PropertyValue, Scope, Value};

use crate::support::{Gender, LineItem};

/// One assertion per marker trait: a call compiles only for a type the trait accepts.
mod p {
    use dfinery_core::__private::{
        BooleanProperty, DateProperty, DatetimeProperty, DoubleArrayProperty, DoubleProperty,
        LongArrayProperty, LongProperty, StringArrayProperty, StringProperty,
    };
    use dfinery_core::ItemList;

    pub fn assert_string<T: StringProperty + ?Sized>() {}
    pub fn assert_long<T: LongProperty + ?Sized>() {}
    pub fn assert_double<T: DoubleProperty + ?Sized>() {}
    pub fn assert_boolean<T: BooleanProperty + ?Sized>() {}
    pub fn assert_datetime<T: DatetimeProperty + ?Sized>() {}
    pub fn assert_date<T: DateProperty + ?Sized>() {}
    pub fn assert_string_array<T: StringArrayProperty + ?Sized>() {}
    pub fn assert_long_array<T: LongArrayProperty + ?Sized>() {}
    pub fn assert_double_array<T: DoubleArrayProperty + ?Sized>() {}
    pub fn assert_item_list<T: ItemList + ?Sized>() {}
}

/// The wire JSON of `value` as a property of type `ty`.
fn wire<V: PropertyValue + ?Sized>(ty: DataType, value: &V) -> String {
    let mut out = Vec::new();
    value
        .write_wire(&PropertySpec::new("p", ty, Scope::User), &mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn string_types() {
    p::assert_string::<String>();
    p::assert_string::<&str>();
    p::assert_string::<Box<str>>();
    p::assert_string::<Cow<'static, str>>();
    p::assert_string::<Arc<str>>();
    p::assert_string::<Rc<str>>();
    p::assert_string::<Option<String>>();
    p::assert_string::<Patch<&str>>();
    p::assert_string::<Gender>();
    p::assert_string::<Option<Gender>>();
    let s = DataType::String;
    assert_eq!(wire(s, "a"), r#""a""#);
    assert_eq!(wire(s, &Box::<str>::from("b")), r#""b""#);
    assert_eq!(wire(s, &Cow::<str>::Owned("c".into())), r#""c""#);
    assert_eq!(wire(s, &Arc::<str>::from("d")), r#""d""#);
    assert_eq!(wire(s, &Rc::<str>::from("e")), r#""e""#);
    assert_eq!(wire(s, &Gender::NonBinary), r#""NonBinary""#);
    assert_eq!(
        Gender::Other.to_value(),
        Some(Value::String("Other".into()))
    );
}

#[test]
fn long_types() {
    p::assert_long::<i8>();
    p::assert_long::<i16>();
    p::assert_long::<i32>();
    p::assert_long::<i64>();
    p::assert_long::<u8>();
    p::assert_long::<u16>();
    p::assert_long::<u32>();
    p::assert_long::<&Option<u32>>();
    let l = DataType::Long;
    assert_eq!(wire(l, &i64::MIN), i64::MIN.to_string());
    assert_eq!(wire(l, &u32::MAX), u32::MAX.to_string());
    assert_eq!(wire(l, &-8_i8), "-8");
}

#[test]
fn double_types() {
    p::assert_double::<f64>();
    p::assert_double::<f32>();
    p::assert_double::<Patch<f64>>();
    let d = DataType::Double;
    assert_eq!(wire(d, &5000.0_f64), "5000.0");
    assert_eq!(wire(d, &0.1_f32), "0.1");
    assert_eq!(0.1_f32.to_value(), Some(Value::Double(0.1)));
    assert_eq!(wire(d, &1e300_f64), "1e+300");
    // The exponent forms `DoubleProperty`'s documentation shows (it showed `1e16`).
    assert_eq!(wire(d, &1e16_f64), "1e+16");
    assert_eq!(wire(d, &1e-7_f64), "1e-7");
}

#[test]
fn an_f32_is_the_same_double_however_it_is_sent() {
    // 1916.28125 lies halfway between two shortest forms: the property was sent as
    // `1916.2812` (serde_json's choice) but its `Value`, the builder's and an array's element
    // were `1916.2813` (Rust's `Display`), two Doubles for one `f32`.
    for x in [
        1_916.281_2_f32,
        -2_469_065.2_f32,
        0.1,
        1e-6,
        1e15,
        f32::MAX,
        f32::MIN_POSITIVE,
    ] {
        let sent: f64 = wire(DataType::Double, &x).parse().unwrap();
        let Some(Value::Double(value)) = x.to_value() else {
            panic!("{x:?}")
        };
        assert_eq!(value.to_bits(), sent.to_bits(), "{x:?}: to_value");
        assert_eq!(Value::try_from(x), Ok(Value::Double(sent)), "{x:?}: Value");
        let array: Vec<f64> = serde_json::from_str(&wire(DataType::DoubleArray, &[x])).unwrap();
        assert_eq!(array[0].to_bits(), sent.to_bits(), "{x:?}: in an array");
    }
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let Some(Value::Double(value)) = bad.to_value() else {
            panic!("{bad:?}")
        };
        assert!(!value.is_finite(), "{bad:?}");
        let mut out = Vec::new();
        let spec = PropertySpec::new("p", DataType::DoubleArray, Scope::User);
        assert!([bad].write_wire(&spec, &mut out).is_err(), "{bad:?}");
    }
}

#[test]
fn boolean_datetime_and_date_types() {
    p::assert_boolean::<bool>();
    p::assert_boolean::<Option<bool>>();
    p::assert_datetime::<Datetime>();
    p::assert_datetime::<time::OffsetDateTime>();
    p::assert_datetime::<time::UtcDateTime>();
    p::assert_datetime::<SystemTime>();
    p::assert_date::<Date>();
    p::assert_date::<time::Date>();
    assert_eq!(wire(DataType::Boolean, &false), "false");
    let at = UNIX_EPOCH + Duration::from_millis(1_719_208_908_501);
    let text = r#""2024-06-24T06:01:48.501Z""#;
    assert_eq!(wire(DataType::Datetime, &at), text);
    let odt = time::OffsetDateTime::from(at);
    assert_eq!(wire(DataType::Datetime, &odt), text);
    assert_eq!(wire(DataType::Datetime, &odt.to_utc()), text);
    assert_eq!(wire(DataType::Date, &odt.date()), r#""2024-06-24""#);
}

#[cfg(feature = "chrono")]
#[test]
fn chrono_types() {
    p::assert_datetime::<chrono::DateTime<chrono::Utc>>();
    p::assert_datetime::<chrono::DateTime<chrono::FixedOffset>>();
    p::assert_date::<chrono::NaiveDate>();
    let at = chrono::DateTime::from_timestamp_millis(1_719_208_908_501).unwrap();
    assert_eq!(
        wire(DataType::Datetime, &at),
        r#""2024-06-24T06:01:48.501Z""#
    );
    let day = chrono::NaiveDate::from_ymd_opt(1999, 1, 1).unwrap();
    assert_eq!(wire(DataType::Date, &day), r#""1999-01-01""#);
}

#[test]
fn array_types() {
    p::assert_string_array::<Vec<String>>();
    p::assert_string_array::<Vec<&str>>();
    p::assert_string_array::<&[String]>();
    p::assert_string_array::<[&str; 3]>();
    p::assert_string_array::<Box<[String]>>();
    p::assert_string_array::<Vec<Gender>>();
    p::assert_string_array::<Option<Vec<Cow<'static, str>>>>();
    p::assert_long_array::<Vec<i64>>();
    p::assert_long_array::<&[u8]>();
    p::assert_long_array::<[i32; 2]>();
    p::assert_double_array::<Vec<f64>>();
    p::assert_double_array::<[f32; 2]>();
    p::assert_item_list::<Vec<LineItem>>();
    p::assert_item_list::<Option<Box<[LineItem]>>>();
    assert_eq!(
        wire(DataType::StringArray, &[Gender::Male, Gender::Female]),
        r#"["Male","Female"]"#
    );
    assert_eq!(wire(DataType::StringArray, &Vec::<String>::new()), "[]");
    assert_eq!(wire(DataType::LongArray, &[1_u8, 2]), "[1,2]");
    assert_eq!(
        wire(DataType::DoubleArray, &vec![0.1_f32, 2.0]),
        "[0.1,2.0]"
    );
    assert_eq!([1_i32, 2].to_value(), Some(Value::LongArray(vec![1, 2])));
    assert_eq!(
        vec!["a", "b"].to_value(),
        Some(Value::StringArray(vec!["a".into(), "b".into()]))
    );
}

#[test]
fn absence_comes_from_option_and_patch_keep_only() {
    assert!(None::<i64>.is_absent());
    assert!(Some(None::<i64>).is_absent());
    assert!(Patch::<i64>::Keep.is_absent());
    assert!(!Patch::<i64>::Clear.is_absent());
    assert!(Patch::Set(None::<i64>).is_absent());
    assert!(!Some(0_i64).is_absent());
    assert!(!PropertyValue::is_absent(&&Box::new(Some(1_i64))));
    assert_eq!(Patch::Set(3_i64).to_value(), Some(Value::Long(3)));
    assert_eq!(Patch::<i64>::Clear.to_value(), None);
    assert_eq!(Patch::from(2), Patch::Set(2));
    assert!(matches!(Patch::<u8>::Clear, Patch::Clear));
}
