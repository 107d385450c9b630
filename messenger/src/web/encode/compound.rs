//! The containers being filled (arrays, objects, an enum variant's wrapper) and the serializer of
//! object keys.

use super::*;

/// An array being filled.
pub(super) struct Elements(pub(super) Array);

impl Elements {
    pub(super) fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.0.push(&value.serialize(Encoder)?);
        Ok(())
    }
}

/// Sequences, tuples and tuple structs all fill an array, the same way.
macro_rules! fills_an_array {
    ($($shape:ident :: $method:ident),*) => {
        $(
            impl ser::$shape for Elements {
                type Ok = JsValue;
                type Error = Failed;

                fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
                    self.push(value)
                }

                fn end(self) -> Result<JsValue, Failed> {
                    Ok(self.0.into())
                }
            }
        )*
    };
}

fills_an_array!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

/// An object being filled; `key` is a map's key waiting for its value.
pub(super) struct Members {
    pub(super) object: Object,
    pub(super) key: Option<JsValue>,
}

impl Members {
    pub(super) fn new() -> Self {
        Members {
            object: Object::new(),
            key: None,
        }
    }
}

impl ser::SerializeMap for Members {
    type Ok = JsValue;
    type Error = Failed;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Failed> {
        self.key = Some(JsValue::from_str(&key.serialize(KeyEncoder)?));
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        let key = self
            .key
            .take()
            .ok_or_else(|| failed("a map's value came before its key"))?;
        define(&self.object, &key, &value.serialize(Encoder)?);
        Ok(())
    }

    fn end(self) -> Result<JsValue, Failed> {
        Ok(self.object.into())
    }
}

impl ser::SerializeStruct for Members {
    type Ok = JsValue;
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Failed> {
        let value = value.serialize(Encoder)?;
        set_member(&self.object, key, &value);
        Ok(())
    }

    fn end(self) -> Result<JsValue, Failed> {
        Ok(self.object.into())
    }
}

/// An enum variant with content: `{ variant: inner }` once the inner array or object is full.
pub(super) struct Variant<T> {
    pub(super) variant: &'static str,
    pub(super) inner: T,
}

impl<T> Variant<T> {
    pub(super) fn wrap(variant: &'static str, inner: JsValue) -> Result<JsValue, Failed> {
        let object = Object::new();
        set_member(&object, variant, &inner);
        Ok(object.into())
    }
}

impl ser::SerializeTupleVariant for Variant<Elements> {
    type Ok = JsValue;
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.inner.push(value)
    }

    fn end(self) -> Result<JsValue, Failed> {
        Self::wrap(self.variant, self.inner.0.into())
    }
}

impl ser::SerializeStructVariant for Variant<Members> {
    type Ok = JsValue;
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Failed> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }

    fn end(self) -> Result<JsValue, Failed> {
        Self::wrap(self.variant, self.inner.object.into())
    }
}

/// The serializer of map keys: JSON keys are strings, and `serde_json` writes a number or a
/// boolean key as its text (an integer key of any size is fine: it stays text).
pub(super) struct KeyEncoder;

pub(super) fn not_a_string<T>() -> Result<T, Failed> {
    Err(failed("key must be a string"))
}

/// `serialize_<int>` for every integer type: a key is the integer's decimal text, as
/// `serde_json` writes integer map keys.
macro_rules! integer_keys {
    ($($method:ident: $int:ty),*) => {
        $(
            fn $method(self, value: $int) -> Result<String, Failed> {
                Ok(value.to_string())
            }
        )*
    };
}
impl ser::Serializer for KeyEncoder {
    type Ok = String;
    type Error = Failed;
    type SerializeSeq = Impossible<String, Failed>;
    type SerializeTuple = Impossible<String, Failed>;
    type SerializeTupleStruct = Impossible<String, Failed>;
    type SerializeTupleVariant = Impossible<String, Failed>;
    type SerializeMap = Impossible<String, Failed>;
    type SerializeStruct = Impossible<String, Failed>;
    type SerializeStructVariant = Impossible<String, Failed>;

    fn serialize_bool(self, value: bool) -> Result<String, Failed> {
        Ok(if value { "true" } else { "false" }.to_owned())
    }

    integer_keys!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64, serialize_i128: i128,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64, serialize_u128: u128
    );

    fn serialize_f32(self, value: f32) -> Result<String, Failed> {
        match value.is_finite() {
            true => Ok(zmij::Buffer::new().format_finite(value).to_owned()),
            false => Err(failed("float key must be finite (got NaN or +/-inf)")),
        }
    }

    fn serialize_f64(self, value: f64) -> Result<String, Failed> {
        match value.is_finite() {
            true => Ok(zmij::Buffer::new().format_finite(value).to_owned()),
            false => Err(failed("float key must be finite (got NaN or +/-inf)")),
        }
    }

    fn serialize_char(self, value: char) -> Result<String, Failed> {
        Ok(value.into())
    }

    fn serialize_str(self, value: &str) -> Result<String, Failed> {
        Ok(value.to_owned())
    }

    fn serialize_bytes(self, _value: &[u8]) -> Result<String, Failed> {
        not_a_string()
    }

    fn serialize_none(self) -> Result<String, Failed> {
        not_a_string()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String, Failed> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<String, Failed> {
        not_a_string()
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Failed> {
        not_a_string()
    }

    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<String, Failed> {
        Ok(variant.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<String, Failed> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Failed> {
        not_a_string()
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Failed> {
        not_a_string()
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Failed> {
        not_a_string()
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct, Failed> {
        not_a_string()
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Failed> {
        not_a_string()
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Failed> {
        not_a_string()
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, Failed> {
        not_a_string()
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Failed> {
        not_a_string()
    }
}
