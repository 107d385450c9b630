//! The walk itself: the budget, the stack of open containers, and the order in which a value's
//! parts are met, counted and read.

use super::*;

/// The walk's state: the budget, the containers open from the top level down, and the first
/// limit passed.
pub(super) struct Walk {
    pub(super) budget: Budget,
    pub(super) stack: Vec<Open>,
    pub(super) failed: Option<Error>,
}

impl Walk {
    /// Records why the payload is refused; the walk stops here.
    pub(super) fn fail(&mut self, error: Error) -> Stop {
        self.failed.get_or_insert(error);
        Stop::Walk
    }

    pub(super) fn check(&mut self, judged: Result<(), Error>) -> Result<(), Stop> {
        judged.map_err(|error| self.fail(error))
    }

    /// Decoding goes on only while nothing has refused the payload yet.
    pub(super) fn guard(&self) -> Result<(), Stop> {
        if self.failed.is_some() {
            Err(Stop::Walk)
        } else if self.budget.exact_passed() {
            Err(Stop::Exact)
        } else {
            Ok(())
        }
    }

    pub(super) fn root(&mut self, value: &JsValue) -> Result<Node, Stop> {
        let node = match self.classify(value.clone())? {
            Kind::Absent => return Err(self.fail(decode_failed("the value has no JSON form"))),
            kind => self.enter(kind)?,
        };
        self.guard()?;
        Ok(node)
    }

    /// The outcome, in the order of the module's documentation.
    pub(super) fn finish<T>(mut self, decoded: Result<T, Stop>) -> Result<T, Error> {
        if self.failed.is_none() {
            // What was not decoded is measured: a limit passed further on is the answer.
            let _ = self.drain_to(0);
        }
        if let Some(error) = self.failed {
            return Err(error);
        }
        self.budget.check_exact()?;
        decoded.map_err(|stop| match stop {
            Stop::Type(message) => Error::DecodeFailed(message),
            // Both are recorded and answered above.
            Stop::Walk | Stop::Exact => decode_failed("the payload could not be decoded"),
        })
    }

    pub(super) fn classify(&mut self, value: JsValue) -> Result<Kind, Stop> {
        if value.is_string() {
            return Ok(Kind::Str(value.unchecked_into()));
        }
        if let Some(number) = value.as_f64() {
            return Ok(Kind::Number(number));
        }
        if value.is_object() {
            if Array::is_array(&value) {
                return Ok(Kind::Array(value.unchecked_into()));
            }
            let prototype = JsValue::from(Object::get_prototype_of(&value));
            if prototype.is_null() || OBJECT_PROTOTYPE.with(|plain| prototype == *plain) {
                return Ok(Kind::Object(value.unchecked_into()));
            }
            return self.binary(value);
        }
        if value.is_null() {
            return Ok(Kind::Null);
        }
        if let Some(flag) = value.as_bool() {
            return Ok(Kind::Bool(flag));
        }
        if value.is_bigint() {
            return Err(self.fail(decode_failed("a BigInt has no JSON form")));
        }
        Ok(Kind::Absent)
    }

    /// An object that is neither an array nor plain: binary data, judged, or refused.
    fn binary(&mut self, value: JsValue) -> Result<Kind, Stop> {
        let fault = if let Some(view) = value.dyn_ref::<Uint8Array>() {
            let buffer = JsValue::from(view.buffer());
            match buffer.dyn_ref::<ArrayBuffer>() {
                None => BinaryFault::Shared,
                Some(buffer) if crate::web::buffers::is_detached(buffer) => BinaryFault::Detached,
                Some(buffer) if view.byte_offset() != 0 || view.byte_length() != buffer.byte_length() => {
                    BinaryFault::PartialView
                }
                Some(_) => return Ok(Kind::Bytes(view.clone())),
            }
        } else if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
            match crate::web::buffers::is_detached(buffer) {
                true => BinaryFault::Detached,
                false => return Ok(Kind::Bytes(Uint8Array::new(buffer))),
            }
        } else if ArrayBuffer::is_view(&value) {
            BinaryFault::NotBytes
        } else if crate::web::buffers::is_shared_buffer(&value) {
            BinaryFault::Shared
        } else {
            return Err(self.fail(decode_failed(NOT_PLAIN)));
        };
        Err(self.fail(Error::BadBinary(fault)))
    }

    /// Counts `kind` and reads it: a scalar whole (a string is copied only after its lower bound
    /// was counted), a container by opening it on the stack (its elements come later).
    pub(super) fn enter(&mut self, kind: Kind) -> Result<Node, Stop> {
        Ok(match kind {
            Kind::Null | Kind::Absent => {
                self.add(NULL_BYTES)?;
                Node::Null
            }
            Kind::Bool(flag) => {
                self.add(if flag { 4 } else { 5 })?;
                Node::Bool(flag)
            }
            Kind::Number(number) if !number.is_finite() => {
                self.add(NULL_BYTES)?;
                Node::Null
            }
            Kind::Number(number) => {
                let at_least = self.budget.add_at_least(1);
                self.check(at_least)?;
                let (read, bytes) = read_number(number);
                self.budget.add_exact(bytes);
                Node::Number(read, number)
            }
            Kind::Str(string) => {
                let (text, lone) = self.read_string(&string, 0)?;
                Node::Str(text, lone)
            }
            Kind::Array(array) => {
                let length = array.length();
                let reserved = self.budget.reserve(length as usize);
                self.check(reserved)?;
                Node::Array(self.open(Open::Array { array, length, next: 0 })?)
            }
            Kind::Bytes(array) => {
                let counted = self.budget.add_binary(array.byte_length() as usize);
                self.check(counted)?;
                Node::Bytes(array)
            }
            Kind::Object(object) => {
                let keys = Object::keys(&object);
                Node::Object(self.open(Open::Object {
                    length: keys.length(),
                    object,
                    keys,
                    next: 0,
                    written: false,
                    pending: None,
                })?)
            }
        })
    }

    pub(super) fn add(&mut self, bytes: usize) -> Result<(), Stop> {
        let added = self.budget.add(bytes);
        self.check(added)
    }

    /// Copies a string into wasm after counting its lower bound (its UTF-16 length and the
    /// quotes, plus `extra` bytes around it), then counts its exact size and `extra`.
    pub(super) fn read_string(&mut self, string: &JsString, extra: usize) -> Result<(String, bool), Stop> {
        let units = string.length() as usize;
        let at_least = self.budget.add_at_least(units.saturating_add(2).saturating_add(extra));
        self.check(at_least)?;
        let text = copy_string(string, units);
        let mut bytes = json_string_len(&text);
        // The copy has U+FFFD where the string had a lone surrogate (which is not Unicode text
        // and which JSON.stringify writes as a six-byte escape); count those it did not have.
        // Only a string with a character beyond ASCII (more bytes than code units) can.
        let mut lone = false;
        if text.len() != units && text.contains('\u{fffd}') {
            let replaced = text.matches('\u{fffd}').count();
            let had = (string.split("\u{fffd}").length() as usize).saturating_sub(1);
            let surrogates = replaced.saturating_sub(had);
            lone = surrogates > 0;
            bytes = bytes.saturating_add(3 * surrogates);
        }
        self.budget.add_exact(bytes.saturating_add(extra));
        Ok((text, lone))
    }

    /// Opens a container on the stack at the next level, refusing a cycle and a level too deep.
    pub(super) fn open(&mut self, open: Open) -> Result<usize, Stop> {
        // Only an ancestor can make a cycle; a value met twice side by side is just written twice
        // (and counted twice, so a shared subtree cannot amplify past the budget).
        if self.stack.iter().any(|ancestor| ancestor.value() == open.value()) {
            return Err(self.fail(decode_failed("the value is cyclic")));
        }
        let opened = self.budget.open();
        self.check(opened)?;
        self.stack.push(open);
        Ok(self.stack.len() - 1)
    }

    /// Closes the container at `level` (the innermost) once all of it was counted.
    pub(super) fn close(&mut self, level: usize) -> Result<(), Stop> {
        self.drain_to(level)
    }

    /// The next element of the array at `level` (the innermost), counting the comma before it;
    /// `None` after the last.
    pub(super) fn next_element(&mut self, level: usize) -> Result<Option<Kind>, Stop> {
        let Some(Open::Array { array, length, next }) = self.stack.get_mut(level) else {
            return Ok(None);
        };
        if *next >= *length {
            return Ok(None);
        }
        let index = *next;
        *next += 1;
        let element = array.get(index);
        if index > 0 {
            self.add(1)?;
        }
        self.classify(element).map(Some)
    }

    /// The key of the next member of the object at `level` (the innermost), counting it, the
    /// colon and the comma before it; its value waits in the object's `pending`. Members whose
    /// value is absent are skipped, as `JSON.stringify` omits them. `None` after the last.
    pub(super) fn next_member(&mut self, level: usize) -> Result<Option<(String, bool)>, Stop> {
        // A value whose key was read but that nobody decoded is measured first.
        if let Some(kind) = self.take_pending(level) {
            self.enter(kind)?;
            self.drain_to(level + 1)?;
        }
        loop {
            let Some(Open::Object {
                object,
                keys,
                length,
                next,
                ..
            }) = self.stack.get_mut(level)
            else {
                return Ok(None);
            };
            if *next >= *length {
                return Ok(None);
            }
            let key = keys.get(*next);
            *next += 1;
            // Structured-clone data has no getters, but `decode` is public: a throwing getter is
            // an error, not an exception through wasm.
            let member = Reflect::get(object, &key);
            let member = match member {
                Ok(member) => member,
                Err(_) => return Err(self.fail(decode_failed("a member could not be read"))),
            };
            let kind = self.classify(member)?;
            if let Kind::Absent = kind {
                continue;
            }
            let comma = match self.stack.get_mut(level) {
                Some(Open::Object { written, .. }) => usize::from(std::mem::replace(written, true)),
                _ => 0,
            };
            // "key": and a comma before every member but the first.
            let key = self.read_string(key.unchecked_ref::<JsString>(), 1 + comma)?;
            if let Some(Open::Object { pending, .. }) = self.stack.get_mut(level) {
                *pending = Some(kind);
            }
            return Ok(Some(key));
        }
    }

    /// The value of the member whose key was read last in the object at `level`.
    pub(super) fn take_pending(&mut self, level: usize) -> Option<Kind> {
        match self.stack.get_mut(level) {
            Some(Open::Object { pending, .. }) => pending.take(),
            _ => None,
        }
    }

    /// Measures, without decoding, the rest of every container above `level`, in document
    /// order, until `level` containers are open. Iterative: no recursion whatever the nesting.
    pub(super) fn drain_to(&mut self, level: usize) -> Result<(), Stop> {
        while self.stack.len() > level {
            let top = self.stack.len() - 1;
            let child = match &self.stack[top] {
                Open::Array { .. } => self.next_element(top)?,
                Open::Object { .. } => match self.take_pending(top) {
                    Some(kind) => Some(kind),
                    None => self.next_member(top)?.and_then(|_| self.take_pending(top)),
                },
            };
            match child {
                Some(kind) => {
                    self.enter(kind)?;
                }
                None => {
                    self.stack.pop();
                    self.budget.close();
                }
            }
        }
        Ok(())
    }

    /// The next element of the array at `level`, counted and read, for a visitor.
    pub(super) fn element(&mut self, level: usize) -> Result<Option<Node>, Stop> {
        self.guard()?;
        // Whatever the previous element's visitor left is measured first.
        self.drain_to(level + 1)?;
        let Some(kind) = self.next_element(level)? else {
            return Ok(None);
        };
        let node = self.enter(kind)?;
        self.guard()?;
        Ok(Some(node))
    }

    /// The key of the next member of the object at `level`, counted and read, for a visitor.
    pub(super) fn key(&mut self, level: usize) -> Result<Option<Text>, Stop> {
        self.guard()?;
        self.drain_to(level + 1)?;
        let Some((text, lone)) = self.next_member(level)? else {
            return Ok(None);
        };
        self.guard()?;
        Ok(Some(Text { text, lone }))
    }

    /// The value of the member whose key was read last in the object at `level`, counted and
    /// read, for a visitor.
    pub(super) fn value(&mut self, level: usize) -> Result<Node, Stop> {
        self.guard()?;
        let kind = self
            .take_pending(level)
            .ok_or_else(|| type_error("a member's value was asked for before its key"))?;
        let node = self.enter(kind)?;
        self.guard()?;
        Ok(node)
    }

    /// Ends the array at `level` once its visitor is done: every element must have been taken.
    pub(super) fn end_array(&mut self, level: usize) -> Result<(), Stop> {
        self.drain_to(level + 1)?;
        if let Some(Open::Array { length, next, .. }) = self.stack.get(level) {
            if next < length {
                return Err(de::Error::invalid_length(
                    *length as usize,
                    &"fewer elements in the array",
                ));
            }
        }
        self.close(level)
    }

    /// Ends the object at `level` once its visitor is done: no member may be left.
    pub(super) fn end_object(&mut self, level: usize, expected: &'static str) -> Result<(), Stop> {
        self.drain_to(level + 1)?;
        if self.next_member(level)?.is_some() {
            return Err(type_error(expected));
        }
        self.close(level)
    }
}
