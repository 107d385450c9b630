//! The serializer of values: scalars, and which container each serde shape becomes.

use super::*;

/// The serializer of values.
pub(super) struct Encoder;

impl ser::Serializer for Encoder {
    type Ok = JsValue;
    type Error = Failed;
    type SerializeSeq = Elements;
    type SerializeTuple = Elements;
    type SerializeTupleStruct = Elements;
    type SerializeTupleVariant = Variant<Elements>;
    type SerializeMap = Members;
    type SerializeStruct = Members;
    type SerializeStructVariant = Variant<Members>;

    fn serialize_bool(self, value: bool) -> Result<JsValue, Failed> {
        Ok(JsValue::from_bool(value))
    }

    fn serialize_i8(self, value: i8) -> Result<JsValue, Failed> {
        Ok(JsValue::from_f64(value.into()))
    }

    fn serialize_i16(self, value: i16) -> Result<JsValue, Failed> {
        Ok(JsValue::from_f64(value.into()))
    }

    fn serialize_i32(self, value: i32) -> Result<JsValue, Failed> {
        Ok(JsValue::from_f64(value.into()))
    }

    fn serialize_i64(self, value: i64) -> Result<JsValue, Failed> {
        integer(value.into())
    }

    fn serialize_i128(self, value: i128) -> Result<JsValue, Failed> {
        integer(value)
    }

    fn serialize_u8(self, value: u8) -> Result<JsValue, Failed> {
        Ok(JsValue::from_f64(value.into()))
    }

    fn serialize_u16(self, value: u16) -> Result<JsValue, Failed> {
        Ok(JsValue::from_f64(value.into()))
    }

    fn serialize_u32(self, value: u32) -> Result<JsValue, Failed> {
        Ok(JsValue::from_f64(value.into()))
    }

    fn serialize_u64(self, value: u64) -> Result<JsValue, Failed> {
        integer(value.into())
    }

    fn serialize_u128(self, value: u128) -> Result<JsValue, Failed> {
        match i128::try_from(value) {
            Ok(value) => integer(value),
            Err(_) => Err(beyond_safe(value)),
        }
    }

    fn serialize_f32(self, value: f32) -> Result<JsValue, Failed> {
        match value.is_finite() {
            // serde_json writes an f32's own shortest text, which JSON.parse reads as an f64.
            true => Ok(JsValue::from_f64(js_sys::parse_float(
                zmij::Buffer::new().format_finite(value),
            ))),
            false => Ok(JsValue::NULL),
        }
    }

    fn serialize_f64(self, value: f64) -> Result<JsValue, Failed> {
        match value.is_finite() {
            true => Ok(JsValue::from_f64(value)),
            false => Ok(JsValue::NULL),
        }
    }

    fn serialize_char(self, value: char) -> Result<JsValue, Failed> {
        Ok(JsValue::from_str(value.encode_utf8(&mut [0; 4])))
    }

    fn serialize_str(self, value: &str) -> Result<JsValue, Failed> {
        Ok(JsValue::from_str(value))
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<JsValue, Failed> {
        Ok(bytes_value(value))
    }

    fn serialize_none(self) -> Result<JsValue, Failed> {
        Ok(JsValue::NULL)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<JsValue, Failed> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<JsValue, Failed> {
        Ok(JsValue::NULL)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<JsValue, Failed> {
        Ok(JsValue::NULL)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<JsValue, Failed> {
        Ok(name_value(variant))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Result<JsValue, Failed> {
        match name == JS_BYTES {
            true => staged_value(),
            false => value.serialize(self),
        }
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<JsValue, Failed> {
        let object = Object::new();
        let value = value.serialize(self)?;
        set_member(&object, variant, &value);
        Ok(object.into())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Elements, Failed> {
        Ok(Elements(Array::new()))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Elements, Failed> {
        Ok(Elements(Array::new()))
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Elements, Failed> {
        Ok(Elements(Array::new()))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Variant<Elements>, Failed> {
        Ok(Variant {
            variant,
            inner: Elements(Array::new()),
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Members, Failed> {
        Ok(Members::new())
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Members, Failed> {
        Ok(Members::new())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Variant<Members>, Failed> {
        Ok(Variant {
            variant,
            inner: Members::new(),
        })
    }
}
