//! RFC 9457 problem details (`application/problem+json`).

use std::fmt;

use serde_json::{Map, Value};

use super::json;

/// An RFC 9457 problem: `type`, `title`, `status`, `detail`, `instance` and any extension
/// members.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::ProblemDetails;
///
/// let body = serde_json::json!({"type": "https://example.com/out-of-credit",
///     "title": "You do not have enough credit.", "status": 403,
///     "detail": "Your balance is 30, but that costs 50.", "balance": 30});
/// let p = ProblemDetails::from_json(&body).unwrap();
/// assert_eq!(p.status(), Some(403));
/// assert_eq!(p.extensions()["balance"], 30);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ProblemDetails {
    type_: Option<String>,
    title: Option<String>,
    status: Option<u16>,
    detail: Option<String>,
    instance: Option<String>,
    extensions: Map<String, Value>,
}

impl ProblemDetails {
    /// Parses a problem object. `None` when it has none of `type`, `title` and `detail`.
    pub fn from_json(value: &Value) -> Option<Self> {
        let obj = value.as_object()?;
        let string = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
        let p = ProblemDetails {
            type_: string("type"),
            title: string("title"),
            // RFC 9457 §3.1.2: a status that is not a number is ignored.
            status: obj
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok()),
            detail: string("detail"),
            instance: string("instance"),
            extensions: obj
                .iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "type" | "title" | "status" | "detail" | "instance"
                    )
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        (p.type_.is_some() || p.title.is_some() || p.detail.is_some()).then_some(p)
    }

    /// Bounds the extension members this problem keeps (see [`json::bound`]).
    pub(crate) fn bound_values(&mut self, budget: &mut usize) {
        for value in self.extensions.values_mut() {
            json::bound(value, budget);
        }
    }

    /// The problem type URI; RFC 9457 says a missing one means `about:blank`.
    pub fn type_(&self) -> &str {
        self.type_.as_deref().unwrap_or("about:blank")
    }

    /// A short summary of the problem type.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The status code the server put in the body.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// An explanation specific to this occurrence.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// A URI that identifies this occurrence.
    pub fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }

    /// Every other member of the object.
    pub fn extensions(&self) -> &Map<String, Value> {
        &self.extensions
    }

    /// A string `code` extension, which many APIs add.
    pub fn code(&self) -> Option<&str> {
        self.extensions.get("code").and_then(Value::as_str)
    }
}

impl fmt::Display for ProblemDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let summary = self
            .title
            .as_deref()
            .or(self.detail.as_deref())
            .unwrap_or("");
        match (self.code(), self.status) {
            (Some(code), _) => write!(f, "({code}) {summary}")?,
            (None, Some(status)) => write!(f, "({status}) {summary}")?,
            (None, None) => f.write_str(summary)?,
        }
        write!(f, "\nType: {}", self.type_())?;
        if let Some(title) = &self.title {
            write!(f, "\nTitle: {title}")?;
        }
        if let Some(status) = self.status {
            write!(f, "\nStatus: {status}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, "\nDetail: {detail}")?;
        }
        if let Some(instance) = &self.instance {
            write!(f, "\nInstance: {instance}")?;
        }
        if !self.extensions.is_empty() {
            f.write_str("\nExtensions: ")?;
            json::write_pretty(f, &Value::Object(self.extensions.clone()))?;
        }
        Ok(())
    }
}
