//! Lists of errors: JSON:API `errors`, Azion / Django REST `detail`, and per-field maps.

use std::fmt;

use serde_json::{Map, Value};

use super::json;

/// Most entries kept from one body; a hostile body cannot make the list grow without bound.
const MAX_ENTRIES: usize = 256;

/// A list of errors, as JSON:API (`{"errors": [{"status", "code", "title", "detail",
/// "source": {"pointer"}}]}`), Azion and Django REST style APIs (`{"detail": "…"}`,
/// `{"detail": ["…"]}`, `{"errors": ["…"]}`, `{"name": ["This field is required."]}`) send.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::ErrorList;
///
/// let body = serde_json::json!({"name": ["This field is required."]});
/// let list = ErrorList::from_json(&body).unwrap();
/// assert_eq!(list.entries()[0].field(), Some("name"));
/// assert_eq!(list.to_string(), "name: This field is required.");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorList {
    entries: Vec<ErrorEntry>,
    /// A `code` beside the list (`{"name": ["…"], "code": 1234}`), for [`ErrorList::code`].
    code: Option<String>,
}

/// One error of an [`ErrorList`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorEntry {
    field: Option<String>,
    status: Option<String>,
    code: Option<String>,
    title: Option<String>,
    detail: Option<String>,
}

// ===== impl ErrorEntry =====

impl ErrorEntry {
    /// An entry with only a message.
    pub fn new(detail: impl Into<String>) -> Self {
        ErrorEntry {
            detail: Some(detail.into()),
            ..ErrorEntry::default()
        }
    }

    /// The field or JSON pointer the error is about.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// The status the body gave for this error.
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// An application-specific code.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// A short summary.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The explanation.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The best message of the entry: the detail, else the title.
    pub fn message(&self) -> Option<&str> {
        self.detail().or(self.title())
    }

    pub(crate) fn set(&mut self, code: Option<&str>, field: Option<&str>) {
        self.code = code.map(str::to_owned);
        self.field = field.map(str::to_owned);
    }

    fn from_json(value: &Value, field: Option<&str>) -> Option<Self> {
        match value {
            Value::String(s) => Some(ErrorEntry {
                field: field.map(str::to_owned),
                ..ErrorEntry::new(s.as_str())
            }),
            Value::Object(obj) => {
                let get = |k: &str| json::text(obj.get(k).cloned());
                let source = obj.get("source").and_then(Value::as_object);
                let from_source = |k: &str| source.and_then(|s| json::text(s.get(k).cloned()));
                let e = ErrorEntry {
                    field: field
                        .map(str::to_owned)
                        .or_else(|| from_source("pointer"))
                        .or_else(|| from_source("parameter"))
                        .or_else(|| from_source("header"))
                        .or_else(|| get("field")),
                    status: get("status"),
                    code: get("code"),
                    title: get("title"),
                    detail: get("detail").or_else(|| get("message")),
                };
                (e.code.is_some() || e.title.is_some() || e.detail.is_some()).then_some(e)
            }
            _ => None,
        }
    }
}

impl fmt::Display for ErrorEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        if let Some(code) = self.code.as_ref().or(self.status.as_ref()) {
            write!(f, "({code}) ")?;
        }
        match (&self.title, &self.detail) {
            (Some(t), Some(d)) => write!(f, "{t}: {d}"),
            (Some(m), None) | (None, Some(m)) => f.write_str(m),
            (None, None) => Ok(()),
        }
    }
}

// ===== impl ErrorList =====

impl ErrorList {
    /// Parses any of the shapes above. `None` when the value holds no error.
    pub fn from_json(value: &Value) -> Option<Self> {
        let obj = value.as_object()?;
        let mut entries = Vec::new();
        // `errors` and `detail` are both read: a body can carry a summary string in one and
        // the list in the other, and the reference keeps the whole body.
        for key in ["errors", "detail"] {
            match obj.get(key) {
                Some(Value::Array(items)) => push_all(&mut entries, items, None),
                Some(Value::Object(fields)) => push_fields(&mut entries, fields),
                Some(v @ Value::String(_)) => push_all(&mut entries, std::slice::from_ref(v), None),
                _ => {}
            }
        }
        if entries.is_empty() && is_field_map(obj) {
            push_fields(&mut entries, obj);
        } else {
            // Django REST puts field errors beside `detail`, or beside members that are not
            // messages (`{"name": ["…"], "code": 1234}`): every list of messages is kept.
            for (field, value) in obj {
                if !RESERVED.contains(&field.as_str()) && is_message_list(value) {
                    if let Value::Array(items) = value {
                        push_all(&mut entries, items, Some(field));
                    }
                }
            }
        }
        let code = json::text(
            obj.get("code")
                .filter(|c| c.is_string() || c.is_number())
                .cloned(),
        );
        (!entries.is_empty()).then_some(ErrorList { entries, code })
    }

    /// The errors, in body order.
    pub fn entries(&self) -> &[ErrorEntry] {
        &self.entries
    }

    /// The code of the first error that has one, else a `code` member beside the list.
    pub fn code(&self) -> Option<&str> {
        self.entries
            .iter()
            .find_map(ErrorEntry::code)
            .or(self.code.as_deref())
    }

    /// The message of the first error.
    pub fn message(&self) -> Option<&str> {
        self.entries.first().and_then(ErrorEntry::message)
    }
}

/// Members that are never field names.
const RESERVED: &[&str] = &[
    "errors", "detail", "code", "message", "status", "title", "type", "instance", "meta",
];

fn is_message_list(v: &Value) -> bool {
    matches!(v, Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string))
}

/// A per-field map: a non-empty object whose every value is a string or a list of strings,
/// e.g. Django REST's `{"name": ["This field is required."]}`.
pub(crate) fn is_field_map(obj: &Map<String, Value>) -> bool {
    !obj.is_empty()
        && obj.values().all(|v| match v {
            Value::String(_) => true,
            Value::Array(items) => !items.is_empty() && items.iter().all(Value::is_string),
            _ => false,
        })
}

fn push_all(entries: &mut Vec<ErrorEntry>, items: &[Value], field: Option<&str>) {
    let room = MAX_ENTRIES.saturating_sub(entries.len());
    entries.extend(
        items
            .iter()
            .filter_map(|v| ErrorEntry::from_json(v, field))
            .take(room),
    );
}

fn push_fields(entries: &mut Vec<ErrorEntry>, fields: &Map<String, Value>) {
    for (field, value) in fields {
        match value {
            Value::Array(items) => push_all(entries, items, Some(field)),
            other => push_all(entries, std::slice::from_ref(other), Some(field)),
        }
    }
}

impl fmt::Display for ErrorList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut entries = self.entries.iter();
        if let Some(first) = entries.next() {
            write!(f, "{first}")?;
        }
        if self.entries.len() > 1 {
            f.write_str("\nErrors:")?;
            for e in &self.entries {
                write!(f, "\n\t{e}")?;
            }
        }
        Ok(())
    }
}
