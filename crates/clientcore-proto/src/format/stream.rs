//! OData v4 and ARM error bodies read in one pass over the text, without building a
//! `serde_json::Value` of the body.
//!
//! The result is exactly what [`ODataError::parse`] gives on the `Value` of the same text, and
//! a text is rejected exactly when `serde_json::from_str::<Value>` rejects it (`tests/formats.rs`
//! and the `odata` fuzz target check both):
//!
//! - keys are compared after unescaping, and a repeated key's last value wins, as in a `Value`;
//! - members the error does not use are still parsed by `serde_json` (numbers in range,
//!   escapes valid, nesting within its limit), with nothing allocated;
//! - free-form JSON (`innererror`, `additionalInfo` `info`) is kept as its text, which
//!   `serde_json` only skims (it does not check numbers, surrogates or depth there), so that
//!   text is then parsed once more, without allocating, with the depth it had in the body.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::json;
use super::odata::{ODataError, TypedErrorInfo, MAX_DETAILS};

/// How deep `serde_json` lets arrays and objects nest: its recursion limit is 128 and fails
/// when it counts down to 0, so 127 levels parse.
const MAX_DEPTH: usize = 127;

/// What one pass found at the top of a body.
#[derive(Debug)]
pub(crate) struct Top {
    /// The error, if the body is an OData v4 (or ARM) error.
    pub(crate) error: Option<ODataError>,
    /// Whether the body is an object at all.
    pub(crate) object: bool,
    /// Whether the top-level object has an `odata.error` member (Azure Tables' OData v3).
    pub(crate) odata_v3: bool,
}

/// Reads `text` as an OData v4 error (with ARM's `additionalInfo` when `arm`). `None` when
/// the text is not JSON that `serde_json` parses into a `Value`.
pub(crate) fn parse(text: &str, arm: bool) -> Option<Top> {
    let mut de = serde_json::Deserializer::from_str(text);
    let node = NodeSeed {
        arm,
        unwrap: true,
        depth: 0,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some(match node {
        None => Top {
            error: None,
            object: false,
            odata_v3: false,
        },
        Some(fields) => Top {
            odata_v3: fields.odata_v3,
            error: fields.into_error(),
            object: true,
        },
    })
}

/// The members of an object that an OData error is read from, already read by the rules of
/// [`ODataError::parse`] (kept small: it is moved while the tree is built).
#[derive(Default)]
struct Fields<'de> {
    /// `code` and `message` as text (`json::text_any`), and whether either was truthy.
    code: Option<String>,
    message: Option<String>,
    code_truthy: bool,
    message_truthy: bool,
    /// `target` as text (`json::text`).
    target: Option<String>,
    details: Vec<ODataError>,
    innererror: Option<&'de str>,
    additional_info: Vec<TypedErrorInfo>,
    /// The last `error` member, when this object may be unwrapped.
    error: Option<Box<Node<'de>>>,
    odata_v3: bool,
}

/// An object's members, or `None` for any other JSON value.
type Node<'de> = Option<Fields<'de>>;

impl Fields<'_> {
    fn into_error(mut self) -> Option<ODataError> {
        let fields = match self.error.take().map(|node| *node) {
            // As the reference: an `error` member wins, and one that is not an object fails.
            Some(Some(inner)) => inner,
            Some(None) => return None,
            None => self,
        };
        // As the reference: neither a code nor a message, no error.
        if !fields.code_truthy && !fields.message_truthy {
            return None;
        }
        Some(ODataError::from_parts(
            fields.code,
            fields.message,
            fields.target,
            fields.details,
            fields.innererror,
            fields.additional_info,
        ))
    }
}

/// The members the parser tells apart; keys are matched after unescaping.
enum Key {
    Code,
    Message,
    Target,
    Details,
    InnerError,
    AdditionalInfo,
    Error,
    ODataError,
    Type,
    Info,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(match key {
            "code" => Key::Code,
            "message" => Key::Message,
            "target" => Key::Target,
            "details" => Key::Details,
            "innererror" => Key::InnerError,
            "additionalInfo" => Key::AdditionalInfo,
            "error" => Key::Error,
            "odata.error" => Key::ODataError,
            "type" => Key::Type,
            "info" => Key::Info,
            _ => Key::Other,
        })
    }
}

/// Any JSON value, parsed by `serde_json` as it would for a `Value` and dropped: the text is
/// checked, nothing is allocated.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SkipVisitor { left: usize::MAX })
    }
}

/// [`Skip`] that also fails past `left` levels of nesting, for text parsed on its own that
/// was nested in the body.
#[derive(Clone, Copy)]
struct SkipVisitor {
    left: usize,
}

impl<'de> DeserializeSeed<'de> for SkipVisitor {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self).map(|_| ())
    }
}

impl SkipVisitor {
    fn inner<E: de::Error>(self) -> Result<Self, E> {
        match self.left.checked_sub(1) {
            Some(left) => Ok(SkipVisitor { left }),
            None => Err(E::custom("recursion limit exceeded")),
        }
    }
}

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        let inner = self.inner()?;
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        let inner = self.inner()?;
        while map.next_key::<Skip>()?.is_some() {
            map.next_value_seed(inner)?;
        }
        Ok(Skip)
    }
}

/// Free-form JSON kept as its text, checked as a `Value` parse of the whole body would check
/// it. `depth` is how many arrays and objects enclose it.
struct RawSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for RawSeed {
    type Value = &'de str;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<&'de str, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?.get();
        let left = MAX_DEPTH.saturating_sub(self.depth);
        if !may_be_rejected(raw, left) {
            return Ok(raw);
        }
        let mut check = serde_json::Deserializer::from_str(raw);
        SkipVisitor { left }
            .deserialize(&mut check)
            .and_then(|()| check.end())
            .map_err(de::Error::custom)?;
        Ok(raw)
    }
}

/// Whether JSON text that `serde_json` skimmed could hold what its `Value` parse rejects: a
/// `\u` escape (which could be a lone surrogate), a number that could overflow an `f64` (one
/// with an exponent, or hundreds of digits), or more than `left` levels of nesting. `false`
/// is certain; `true` means parsing it to find out. Most free-form JSON has none of these, and
/// this scan is several times cheaper than the parse.
fn may_be_rejected(raw: &str, left: usize) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    // Digits in a row outside strings.
    let mut digits = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        if b.get(i + 1) == Some(&b'u') {
                            return true;
                        }
                        // `\"` and `\\` must not end or start anything.
                        i += 1;
                    }
                    i += 1;
                }
                digits = 0;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > left {
                    return true;
                }
                digits = 0;
            }
            b'0'..=b'9' => {
                digits += 1;
                if digits > 300 {
                    return true;
                }
            }
            b'e' | b'E' if digits > 0 => return true,
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                digits = 0;
            }
            _ => digits = 0,
        }
        i += 1;
    }
    false
}

/// A value that is an OData error if it is an object. `unwrap`: its `error` member, if any,
/// is the error (only at the top of a body or of a detail, as in the reference).
#[derive(Clone, Copy)]
struct NodeSeed {
    arm: bool,
    unwrap: bool,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Node<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

/// Implements the scalar methods of a visitor that ignores scalars, giving `$v`.
macro_rules! scalars {
    ($v:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($v)
        }

        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($v)
        }

        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($v)
        }

        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($v)
        }

        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($v)
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($v)
        }
    };
}

impl<'de> Visitor<'de> for NodeSeed {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalars!(None);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let depth = self.depth + 1;
        let mut f = Fields::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Code => {
                    let v: Value = map.next_value()?;
                    f.code_truthy = json::truthy(&v);
                    f.code = json::text_any(Some(v));
                }
                Key::Message => {
                    let v: Value = map.next_value()?;
                    f.message_truthy = json::truthy(&v);
                    f.message = json::text_any(Some(v));
                }
                Key::Target => f.target = json::text(Some(map.next_value()?)),
                Key::Details => {
                    f.details = map.next_value_seed(DetailsSeed {
                        arm: self.arm,
                        depth,
                    })?;
                }
                Key::InnerError => f.innererror = Some(map.next_value_seed(RawSeed { depth })?),
                Key::AdditionalInfo if self.arm => {
                    f.additional_info = map.next_value_seed(AdditionalInfoSeed { depth })?;
                }
                Key::Error if self.unwrap => {
                    let node = map.next_value_seed(NodeSeed {
                        arm: self.arm,
                        unwrap: false,
                        depth,
                    })?;
                    f.error = Some(Box::new(node));
                }
                Key::ODataError => {
                    f.odata_v3 = true;
                    map.next_value::<Skip>()?;
                }
                _ => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(Some(f))
    }
}

/// `details`: a list of errors; anything else is no details.
struct DetailsSeed {
    arm: bool,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for DetailsSeed {
    type Value = Vec<ODataError>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DetailsSeed {
    type Value = Vec<ODataError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalars!(Vec::new());

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let item = NodeSeed {
            arm: self.arm,
            unwrap: true,
            depth: self.depth + 1,
        };
        let mut out = Vec::new();
        while let Some(node) = seq.next_element_seed(item)? {
            // A detail that is not an error is skipped; past the cap the rest is only checked.
            if let Some(fields) = node {
                if out.len() < MAX_DETAILS {
                    out.extend(fields.into_error());
                }
            }
        }
        Ok(out)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        SkipVisitor { left: usize::MAX }.visit_map(map)?;
        Ok(Vec::new())
    }
}

/// ARM's `additionalInfo`: a list of entries, or one entry sent bare.
struct AdditionalInfoSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for AdditionalInfoSeed {
    type Value = Vec<TypedErrorInfo>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AdditionalInfoSeed {
    type Value = Vec<TypedErrorInfo>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalars!(Vec::new());

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let entry = EntrySeed {
            depth: self.depth + 1,
        };
        let mut out = Vec::new();
        while let Some(e) = seq.next_element_seed(entry)? {
            out.extend(e);
        }
        Ok(out)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Ok(EntrySeed { depth: self.depth }
            .visit_map(map)?
            .into_iter()
            .collect())
    }
}

/// One `additionalInfo` entry: an object with a string `type` and an `info`.
#[derive(Clone, Copy)]
struct EntrySeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for EntrySeed {
    type Value = Option<TypedErrorInfo>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed {
    type Value = Option<TypedErrorInfo>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalars!(None);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let depth = self.depth + 1;
        let mut type_ = None;
        let mut info = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Type => type_ = Some(map.next_value::<Value>()?),
                Key::Info => info = Some(map.next_value_seed(RawSeed { depth })?),
                _ => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(match (type_, info) {
            (Some(Value::String(type_)), Some(info)) => Some(TypedErrorInfo::from_raw(type_, info)),
            _ => None,
        })
    }
}
