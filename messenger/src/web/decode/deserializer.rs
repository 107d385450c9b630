//! The serde side: a value the walk met, handed to a `Deserialize` impl as a `Deserializer`,
//! with the sequence, map and enum accessors that read containers through the walk.

use super::*;

/// A value for serde: a scalar read, or a container open at its level.
pub(super) struct Value<'w> {
    pub(super) walk: &'w mut Walk,
    pub(super) node: Node,
}

impl<'de> de::Deserializer<'de> for Value<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        let Value { walk, node } = self;
        match node {
            Node::Null => visitor.visit_unit(),
            Node::Bool(flag) => visitor.visit_bool(flag),
            Node::Number(number, _) => number.visit(visitor),
            Node::Str(text, lone) => Text { text, lone }.deserialize_any(visitor),
            Node::Array(level) => {
                let value = visitor.visit_seq(Seq {
                    walk: &mut *walk,
                    level,
                })?;
                walk.end_array(level)?;
                Ok(value)
            }
            Node::Object(level) => {
                let value = visitor.visit_map(Members {
                    walk: &mut *walk,
                    level,
                })?;
                walk.end_object(level, "more members than the type reads")?;
                Ok(value)
            }
            // Copied into wasm: what serde's types that take bytes from any value read.
            Node::Bytes(array) => visitor.visit_byte_buf(array.to_vec()),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self.node {
            Node::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Stop> {
        match self.node {
            // A `JsBytes` takes the array itself, not a copy.
            Node::Bytes(array) if name == JS_BYTES => {
                INCOMING.with(|incoming| incoming.replace(Some(array)));
                let value = visitor.visit_newtype_struct(Value {
                    walk: self.walk,
                    node: Node::Null,
                });
                INCOMING.with(|incoming| incoming.replace(None));
                value
            }
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self.node {
            // serde's text types take UTF-8 bytes too; binary data is not text.
            Node::Bytes(_) => Err(de::Error::invalid_type(Unexpected::Bytes(&[]), &visitor)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        self.deserialize_str(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        self.deserialize_str(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Stop> {
        let Value { walk, node } = self;
        match node {
            Node::Str(text, lone) => Text { text, lone }.deserialize_enum(_name, _variants, visitor),
            Node::Object(level) => {
                let value = visitor.visit_enum(Variant {
                    walk: &mut *walk,
                    level,
                })?;
                walk.end_object(level, "an enum's object has one member, naming the variant")?;
                Ok(value)
            }
            other => Err(de::Error::invalid_type(other.unexpected(), &visitor)),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self.node {
            Node::Str(text, lone) => Text { text, lone }.deserialize_bytes(visitor),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self.node {
            // serde_json (float_roundtrip) reads a fraction or an exponent straight as an f32.
            Node::Number(Number::F(_), number) => single(&number_text(number), visitor),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self.node {
            // serde_json reads any integer literal as an i128, also beyond u64.
            Node::Number(read, number) => wide(read, number, visitor, |text, visitor| {
                text.parse().ok().map(|n| visitor.visit_i128(n))
            }),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self.node {
            Node::Number(read, number) => wide(read, number, visitor, |text, visitor| {
                text.parse().ok().map(|n| visitor.visit_u128(n))
            }),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        // Measured like everything else, decoded into nothing.
        if let Node::Array(level) | Node::Object(level) = self.node {
            self.walk.drain_to(level)?;
            self.walk.guard()?;
        }
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f64 unit unit_struct seq tuple
        tuple_struct map struct
    }
}

/// The elements of an array, for a visitor.
pub(super) struct Seq<'w> {
    walk: &'w mut Walk,
    level: usize,
}

impl<'de> de::SeqAccess<'de> for Seq<'_> {
    type Error = Stop;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, Stop> {
        match self.walk.element(self.level)? {
            Some(node) => seed
                .deserialize(Value {
                    walk: &mut *self.walk,
                    node,
                })
                .map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.walk.stack.get(self.level).map_or(0, Open::remaining))
    }
}

/// The members of an object, for a visitor.
pub(super) struct Members<'w> {
    walk: &'w mut Walk,
    level: usize,
}

impl<'de> de::MapAccess<'de> for Members<'_> {
    type Error = Stop;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Stop> {
        match self.walk.key(self.level)? {
            Some(key) => seed.deserialize(key).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Stop> {
        let node = self.walk.value(self.level)?;
        seed.deserialize(Value {
            walk: &mut *self.walk,
            node,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.walk.stack.get(self.level).map_or(0, Open::remaining))
    }
}

/// An enum written as an object with one member: the key names the variant, the value holds it.
pub(super) struct Variant<'w> {
    walk: &'w mut Walk,
    level: usize,
}

impl<'w> Variant<'w> {
    /// The member's value, counted and read.
    fn value(self) -> Result<Value<'w>, Stop> {
        let node = self.walk.value(self.level)?;
        Ok(Value { walk: self.walk, node })
    }
}

impl<'de> de::EnumAccess<'de> for Variant<'_> {
    type Error = Stop;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Stop> {
        let key = self
            .walk
            .key(self.level)?
            .ok_or_else(|| type_error("an enum's object has one member, naming the variant"))?;
        let variant = seed.deserialize(key)?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_> {
    type Error = Stop;

    fn unit_variant(self) -> Result<(), Stop> {
        // `{"Variant": null}`, as serde_json accepts it.
        de::Deserialize::deserialize(self.value()?)
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Stop> {
        seed.deserialize(self.value()?)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Stop> {
        de::Deserializer::deserialize_seq(self.value()?, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], visitor: V) -> Result<V::Value, Stop> {
        de::Deserializer::deserialize_struct(self.value()?, "", fields, visitor)
    }
}

/// A string already read: a string value, a member's key, or a unit variant's name.
///
/// As a key it also reads as what `serde_json` reads from a key: a number (`{"1": …}` into a
/// `HashMap<u32, _>`) or a boolean.
pub(super) struct Text {
    pub(super) text: String,
    /// The JavaScript string had lone surrogates: it fails as text, and is fine when ignored.
    pub(super) lone: bool,
}

impl Text {
    fn checked(self) -> Result<String, Stop> {
        match self.lone {
            true => Err(type_error(LONE_SURROGATE)),
            false => Ok(self.text),
        }
    }

    fn number<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match number_key(&self.text) {
            Some(number) => number.visit(visitor),
            None => Err(de::Error::invalid_type(Unexpected::Str(&self.text), &visitor)),
        }
    }
}

macro_rules! number_keys {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
            self.number(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Text {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_string(self.checked()?)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self.text.as_str() {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            other => Err(de::Error::invalid_type(Unexpected::Str(other), &visitor)),
        }
    }

    number_keys!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_u8
        deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match number_key(&self.text) {
            Some(Number::F(_)) => single(&self.text, visitor),
            _ => self.number(visitor),
        }
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match (integer_key(&self.text), self.text.parse()) {
            (true, Ok(n)) => visitor.visit_i128(n),
            _ => self.number(visitor),
        }
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match (integer_key(&self.text), self.text.parse()) {
            (true, Ok(n)) => visitor.visit_u128(n),
            _ => self.number(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Stop> {
        visitor.visit_enum(UnitVariant(self))
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_byte_buf(self.checked()?.into_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        char str string unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// An enum written as a string: the variant's name, and nothing more.
pub(super) struct UnitVariant(Text);

impl<'de> de::EnumAccess<'de> for UnitVariant {
    type Error = Stop;
    type Variant = UnitOnly;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, UnitOnly), Stop> {
        seed.deserialize(self.0).map(|variant| (variant, UnitOnly))
    }
}

/// The variant named by a string: only a unit variant can be one (as in serde_json).
pub(super) struct UnitOnly;

impl<'de> de::VariantAccess<'de> for UnitOnly {
    type Error = Stop;

    fn unit_variant(self) -> Result<(), Stop> {
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, _seed: S) -> Result<S::Value, Stop> {
        Err(de::Error::invalid_type(Unexpected::UnitVariant, &"newtype variant"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Stop> {
        Err(de::Error::invalid_type(Unexpected::UnitVariant, &"tuple variant"))
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], _visitor: V) -> Result<V::Value, Stop> {
        Err(de::Error::invalid_type(Unexpected::UnitVariant, &"struct variant"))
    }
}
