//! Azure Storage XML errors: `<Error><Code>…</Code><Message>…</Message>…</Error>`.

use std::fmt;

/// Most extra elements kept from one body.
const MAX_EXTRA: usize = 64;

/// An Azure Storage (Blob, Queue, File, and Table auth) XML error.
///
/// Elements other than `Code` and `Message` (`AuthenticationErrorDetail`, `HeaderName`,
/// `QueryParameterName`, `Reason`…) are kept in order, as services add them freely.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::StorageError;
///
/// let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>BlobNotFound</Code>\
///             <Message>The specified blob does not exist.\nRequestId:1</Message>\
///             <Reason>gone</Reason></Error>";
/// let e = StorageError::from_xml(body).unwrap();
/// assert_eq!(e.code(), Some("BlobNotFound"));
/// assert_eq!(e.extra(), &[("Reason".to_owned(), "gone".to_owned())]);
/// assert!(e.to_string().starts_with("(BlobNotFound) The specified blob does not exist.\n"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StorageError {
    code: Option<String>,
    message: Option<String>,
    extra: Vec<(String, String)>,
}

impl StorageError {
    /// Parses the XML; `None` unless the root element is `Error` with a code or a message.
    /// Malformed XML gives `None`, never a panic.
    pub fn from_xml(text: &str) -> Option<Self> {
        use quick_xml::events::Event;

        let mut reader = quick_xml::Reader::from_str(text);
        let mut depth = 0usize;
        let mut current: Option<(String, String)> = None;
        let mut out = StorageError {
            code: None,
            message: None,
            extra: Vec::new(),
        };
        let mut saw_root = false;
        loop {
            match reader.read_event().ok()? {
                Event::Start(e) => {
                    depth += 1;
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    if depth == 1 {
                        if name != "Error" {
                            return None;
                        }
                        saw_root = true;
                    } else if depth == 2 {
                        current = Some((name, String::new()));
                    }
                }
                Event::Empty(e) => {
                    if depth == 0 {
                        return None;
                    }
                    if depth == 1 {
                        let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                        out.push(name, String::new());
                    }
                }
                Event::End(_) => {
                    if depth == 2 {
                        if let Some((name, value)) = current.take() {
                            out.push(name, value);
                        }
                    }
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        break;
                    }
                }
                Event::Text(t) => {
                    if let Some((_, value)) = current.as_mut() {
                        match t.unescape() {
                            Ok(s) => value.push_str(&s),
                            Err(_) => value.push_str(&String::from_utf8_lossy(&t)),
                        }
                    }
                }
                Event::CData(t) => {
                    if let Some((_, value)) = current.as_mut() {
                        value.push_str(&String::from_utf8_lossy(&t));
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        (saw_root && (out.code.is_some() || out.message.is_some())).then_some(out)
    }

    fn push(&mut self, name: String, value: String) {
        match name.as_str() {
            "Code" if self.code.is_none() => self.code = Some(value).filter(|v| !v.is_empty()),
            "Message" if self.message.is_none() => {
                self.message = Some(value).filter(|v| !v.is_empty());
            }
            _ if self.extra.len() < MAX_EXTRA => self.extra.push((name, value)),
            _ => {}
        }
    }

    /// The error code, e.g. `BlobNotFound`.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The message, which on Azure Storage also carries `RequestId:` and `Time:` lines.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Every other child element of `Error`, as (name, text), in document order.
    pub fn extra(&self) -> &[(String, String)] {
        &self.extra
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::simple::write_code_message(f, self.code(), self.message())?;
        for (name, value) in &self.extra {
            write!(f, "\n{name}: {value}")?;
        }
        Ok(())
    }
}
