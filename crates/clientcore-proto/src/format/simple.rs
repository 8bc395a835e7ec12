//! Small code-and-message formats: Azure Tables' OData v3 (`odata.error`) and OAuth 2.0
//! (`{"error": "invalid_grant", "error_description": "…"}`, RFC 6749 §5.2).

use std::fmt;

use serde_json::Value;

use super::json;

/// The older OData JSON error of Azure Tables:
/// `{"odata.error": {"code": "…", "message": {"lang": "en-US", "value": "…"}}}`.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::ODataV3Error;
///
/// let body = serde_json::json!({"odata.error": {"code": "TableNotFound",
///     "message": {"lang": "en-US", "value": "The table specified does not exist."}}});
/// let e = ODataV3Error::from_json(&body).unwrap();
/// assert_eq!(e.code(), Some("TableNotFound"));
/// assert_eq!(e.lang(), Some("en-US"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ODataV3Error {
    code: Option<String>,
    message: Option<String>,
    lang: Option<String>,
}

impl ODataV3Error {
    /// Parses the `odata.error` shape; `None` without a code or a message.
    pub fn from_json(value: &Value) -> Option<Self> {
        let obj = value.get("odata.error")?.as_object()?;
        let (message, lang) = match obj.get("message") {
            Some(Value::Object(m)) => (
                json::text(m.get("value").cloned()),
                json::text(m.get("lang").cloned()),
            ),
            other => (json::text(other.cloned()), None),
        };
        let code = json::text(obj.get("code").cloned());
        (code.is_some() || message.is_some()).then_some(ODataV3Error {
            code,
            message,
            lang,
        })
    }

    /// Parses the XML form Azure Tables sends for some statuses (415, 403):
    /// `<error xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">
    /// <code>…</code><message xml:lang="en-US">…</message></error>`. `None` unless the root
    /// is `error` with a code or a message; malformed XML gives `None`, never a panic.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::format::ODataV3Error;
    ///
    /// let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><error xmlns=\"http://schemas.\
    ///     microsoft.com/ado/2007/08/dataservices/metadata\"><code>AuthorizationFailure</code>\
    ///     <message xml:lang=\"en-US\">Not allowed.</message></error>";
    /// let e = ODataV3Error::from_xml(body).unwrap();
    /// assert_eq!(e.code(), Some("AuthorizationFailure"));
    /// assert_eq!(e.message(), Some("Not allowed."));
    /// assert_eq!(e.lang(), Some("en-US"));
    /// ```
    #[cfg(feature = "xml")]
    #[cfg_attr(docsrs, doc(cfg(feature = "xml")))]
    pub fn from_xml(text: &str) -> Option<Self> {
        use quick_xml::events::Event;

        let mut reader = quick_xml::Reader::from_str(text);
        let mut depth = 0usize;
        let mut field: Option<&'static str> = None;
        let (mut code, mut message, mut lang) = (String::new(), String::new(), None);
        loop {
            match reader.read_event().ok()? {
                Event::Start(e) => {
                    depth += 1;
                    let name = e.local_name();
                    if depth == 1 && name.as_ref() != b"error" {
                        return None;
                    }
                    field = match (depth, name.as_ref()) {
                        (2, b"code") => Some("code"),
                        (2, b"message") => {
                            lang = e
                                .attributes()
                                .flatten()
                                .find(|a| a.key.local_name().as_ref() == b"lang")
                                .and_then(|a| a.unescape_value().ok())
                                .map(std::borrow::Cow::into_owned);
                            Some("message")
                        }
                        _ => None,
                    };
                }
                Event::Empty(_) if depth == 0 => return None,
                Event::End(_) => {
                    field = None;
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        break;
                    }
                }
                Event::Text(t) if depth == 2 => {
                    let value = t.unescape().map_or_else(
                        |_| String::from_utf8_lossy(&t).into_owned(),
                        std::borrow::Cow::into_owned,
                    );
                    match field {
                        Some("code") => code.push_str(&value),
                        Some("message") => message.push_str(&value),
                        _ => {}
                    }
                }
                Event::CData(t) if depth == 2 => match field {
                    Some("code") => code.push_str(&String::from_utf8_lossy(&t)),
                    Some("message") => message.push_str(&String::from_utf8_lossy(&t)),
                    _ => {}
                },
                Event::Eof => return None,
                _ => {}
            }
        }
        let code = Some(code).filter(|c| !c.is_empty());
        let message = Some(message).filter(|m| !m.is_empty());
        (code.is_some() || message.is_some()).then_some(ODataV3Error {
            code,
            message,
            lang,
        })
    }

    /// The error code.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The message text.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The language of the message.
    pub fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }
}

impl fmt::Display for ODataV3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_code_message(f, self.code(), self.message())
    }
}

/// An OAuth 2.0 error response (RFC 6749 §5.2), as identity providers send it.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::OAuthError;
///
/// let body = serde_json::json!({"error": "invalid_grant", "error_description": "expired"});
/// let e = OAuthError::from_json(&body).unwrap();
/// assert_eq!(e.to_string(), "(invalid_grant) expired\nCode: invalid_grant\nMessage: expired");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OAuthError {
    error: String,
    description: Option<String>,
    uri: Option<String>,
}

impl OAuthError {
    /// Parses the shape; `None` unless `error` is a non-empty string.
    pub fn from_json(value: &Value) -> Option<Self> {
        let obj = value.as_object()?;
        let error = obj.get("error")?.as_str().filter(|s| !s.is_empty())?;
        Some(OAuthError {
            error: error.to_owned(),
            description: json::text(obj.get("error_description").cloned()),
            uri: json::text(obj.get("error_uri").cloned()),
        })
    }

    /// The error code, e.g. `invalid_grant`.
    pub fn error(&self) -> &str {
        &self.error
    }

    /// The human-readable description.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// A page about the error.
    pub fn uri(&self) -> Option<&str> {
        self.uri.as_deref()
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_code_message(f, Some(&self.error), self.description())?;
        if let Some(uri) = &self.uri {
            write!(f, "\nMore information: {uri}")?;
        }
        Ok(())
    }
}

pub(crate) fn write_code_message(
    f: &mut fmt::Formatter<'_>,
    code: Option<&str>,
    message: Option<&str>,
) -> fmt::Result {
    let code = code.unwrap_or("None");
    let message = message.unwrap_or("None");
    let first = message.lines().next().unwrap_or("");
    write!(f, "({code}) {first}\nCode: {code}\nMessage: {message}")
}
