//! OData v4 error bodies and their ARM extension (`additionalInfo`).

use std::fmt::{self, Write as _};

use serde_json::{Map, Value};

use super::json::{self, Indented, LazyJson};

/// Most details kept per level: a hostile body cannot make `Display` unbounded.
pub(crate) const MAX_DETAILS: usize = 256;

/// An OData v4 error (`{"error": {"code", "message", "target", "details", "innererror"}}`),
/// optionally with the ARM `additionalInfo` extension.
///
/// Parsing follows the reference implementation: the `error` node wins over top-level fields,
/// a body with neither a code nor a message is not an OData error, details are parsed
/// recursively and a detail that does not parse is skipped.
///
/// `Display` keeps the reference text, with the deviations in ARCHITECTURE.md: one detail per
/// line, indented one tab per level, and JSON printed as UTF-8.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::ODataError;
///
/// let body = serde_json::json!({"error": {"code": "C", "message": "M", "target": "t"}});
/// let e = ODataError::from_json(&body).unwrap();
/// assert_eq!(e.code(), Some("C"));
/// assert_eq!(e.to_string(), "(C) M\nCode: C\nMessage: M\nTarget: t");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ODataError {
    code: Option<String>,
    message: Option<String>,
    target: Option<String>,
    details: Vec<ODataError>,
    innererror: Option<LazyJson>,
    additional_info: Vec<TypedErrorInfo>,
}

/// One entry of ARM's `additionalInfo`: a type and free-form information.
///
/// `Display` is `Type: {type}\nInfo: {info as JSON, indented by 4}`.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::TypedErrorInfo;
///
/// let ai = TypedErrorInfo::new("T", serde_json::json!({"a": 1}));
/// assert_eq!(ai.to_string(), "Type: T\nInfo: {\n    \"a\": 1\n}");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TypedErrorInfo {
    type_: String,
    info: LazyJson,
}

// ===== impl TypedErrorInfo =====

impl TypedErrorInfo {
    /// An entry with the given type and information.
    pub fn new(type_: impl Into<String>, info: Value) -> Self {
        TypedErrorInfo {
            type_: type_.into(),
            info: LazyJson::from_value(info),
        }
    }

    /// An entry whose `info` is JSON text already checked to parse (see [`super::stream`]).
    pub(crate) fn from_raw(type_: String, info: &str) -> Self {
        TypedErrorInfo {
            type_,
            info: LazyJson::from_raw(info),
        }
    }

    /// The kind of information, e.g. `PolicyViolation`.
    pub fn type_(&self) -> &str {
        &self.type_
    }

    /// The information itself; any JSON value.
    pub fn info(&self) -> &Value {
        self.info.get()
    }

    /// Parses one entry; `None` when it is not an object with a string `type` and an `info`.
    fn from_json(value: &Value) -> Option<Self> {
        let obj = value.as_object()?;
        let type_ = obj.get("type")?.as_str()?;
        let info = obj.get("info")?;
        Some(TypedErrorInfo::new(type_, info.clone()))
    }
}

impl fmt::Display for TypedErrorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Type: {}\nInfo: ", self.type_)?;
        json::write_pretty(f, self.info.get())
    }
}

// ===== impl ODataError =====

impl ODataError {
    /// Parses an OData v4 error, ignoring `additionalInfo`. `None` when the value has neither
    /// a code nor a message.
    pub fn from_json(value: &Value) -> Option<Self> {
        Self::parse(value, false)
    }

    /// Parses an ARM error: OData v4 plus `additionalInfo`, in details too. Malformed
    /// `additionalInfo` entries are skipped and the rest kept; a single entry sent as an
    /// object rather than a list is read as one entry.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::format::ODataError;
    ///
    /// let body = serde_json::json!({"error": {"code": "C", "message": "M",
    ///     "additionalInfo": [{"type": "T", "info": {}}, {"type": "no info"}]}});
    /// let e = ODataError::from_arm_json(&body).unwrap();
    /// assert_eq!(e.additional_info().len(), 1);
    /// ```
    pub fn from_arm_json(value: &Value) -> Option<Self> {
        Self::parse(value, true)
    }

    pub(crate) fn parse(value: &Value, arm: bool) -> Option<Self> {
        let mut obj: &Map<String, Value> = value.as_object()?;
        if let Some(inner) = obj.get("error") {
            // As the reference: an `error` node wins, and one that is not an object fails.
            obj = inner.as_object()?;
        }
        let raw_code = obj.get("code");
        let raw_message = obj.get("message");
        if !raw_code.is_some_and(json::truthy) && !raw_message.is_some_and(json::truthy) {
            return None;
        }
        let details = match obj.get("details") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|d| Self::parse(d, arm))
                .take(MAX_DETAILS)
                .collect(),
            _ => Vec::new(),
        };
        let additional_info = match obj.get("additionalInfo") {
            Some(Value::Array(items)) if arm => {
                items.iter().filter_map(TypedErrorInfo::from_json).collect()
            }
            // Some services send one entry bare, not in a list: it is still the entry.
            Some(one @ Value::Object(_)) if arm => {
                TypedErrorInfo::from_json(one).into_iter().collect()
            }
            _ => Vec::new(),
        };
        Some(ODataError {
            code: json::text_any(raw_code.cloned()),
            message: json::text_any(raw_message.cloned()),
            target: json::text(obj.get("target").cloned()),
            details,
            innererror: obj
                .get("innererror")
                .filter(|v| !v.is_null())
                .cloned()
                .map(LazyJson::from_value),
            additional_info,
        })
    }

    /// An error from its parts, as the one-pass parser ([`super::stream`]) found them and
    /// already read by the rules of `parse` (which decided it is an error).
    pub(crate) fn from_parts(
        code: Option<String>,
        message: Option<String>,
        target: Option<String>,
        details: Vec<ODataError>,
        innererror: Option<&str>,
        additional_info: Vec<TypedErrorInfo>,
    ) -> Self {
        ODataError {
            code,
            message,
            target,
            details,
            // As `parse`: `innererror: null` is none.
            innererror: innererror
                .filter(|raw| *raw != "null")
                .map(LazyJson::from_raw),
            additional_info,
        }
    }

    /// The bytes of free-form JSON text this error holds, details included, while none of it
    /// was turned into a `Value`; `None` once some was.
    pub(crate) fn raw_json_len(&self) -> Option<usize> {
        let mut n = 0usize;
        if let Some(inner) = &self.innererror {
            n = n.saturating_add(inner.raw_len()?);
        }
        for ai in &self.additional_info {
            n = n.saturating_add(ai.info.raw_len()?);
        }
        for detail in &self.details {
            n = n.saturating_add(detail.raw_json_len()?);
        }
        Some(n)
    }

    /// Bounds the free-form JSON this error keeps (see [`json::bound`]), details included.
    pub(crate) fn bound_values(&mut self, budget: &mut usize) {
        if let Some(inner) = self.innererror.as_mut() {
            inner.bound(budget);
        }
        for ai in &mut self.additional_info {
            ai.info.bound(budget);
        }
        for detail in &mut self.details {
            detail.bound_values(budget);
        }
    }

    /// The service's error code.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The human-readable message.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The target of the error (a parameter or resource name).
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// Nested errors, parsed with the same format.
    pub fn details(&self) -> &[ODataError] {
        &self.details
    }

    /// The raw `innererror` JSON, as the service sent it.
    pub fn innererror(&self) -> Option<&Value> {
        self.innererror.as_ref().map(LazyJson::get)
    }

    /// ARM's `additionalInfo` entries; empty for plain OData v4.
    pub fn additional_info(&self) -> &[TypedErrorInfo] {
        &self.additional_info
    }
}

impl fmt::Display for ODataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code.as_deref().unwrap_or("None");
        let message = self.message.as_deref().unwrap_or("None");
        write!(f, "({code}) {message}\nCode: {code}\nMessage: {message}")?;
        if let Some(target) = &self.target {
            write!(f, "\nTarget: {target}")?;
        }
        if !self.details.is_empty() {
            f.write_str("\nException Details:")?;
            for detail in &self.details {
                f.write_char('\n')?;
                let mut out = Indented {
                    out: &mut *f,
                    depth: 1,
                    at_line_start: true,
                };
                write!(out, "{detail}")?;
            }
        }
        if let Some(inner) = self.innererror().filter(|v| json::truthy(v)) {
            f.write_str("\nInner error: ")?;
            json::write_pretty(f, inner)?;
        }
        if !self.additional_info.is_empty() {
            f.write_str("\nAdditional Information:")?;
            for ai in &self.additional_info {
                write!(f, "\n{ai}")?;
            }
        }
        Ok(())
    }
}
