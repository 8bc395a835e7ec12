//! How an [`Error`] reads: `Display` with the reference's texts, cut where they could grow
//! without bound, and a `Debug` that shows what a developer needs and no secret.

use std::fmt::{self, Write as _};

use super::{
    CapturedResponse, Error, ErrorKind, RequestLine, MAX_DISPLAY_CHARS, MAX_SERVICE_ERROR_CHARS,
};
use crate::format::ServiceError;

pub(super) fn stream_message(kind: ErrorKind, req: &RequestLine) -> Option<String> {
    let r = format!("<HttpRequest [{}], url: '{}'>", req.method, req.url);
    Some(match kind {
        ErrorKind::StreamConsumed => format!(
            "You are attempting to read or stream the content from request {r}. You have likely \
             already consumed this stream, so it can not be accessed anymore."
        ),
        ErrorKind::StreamClosed => format!(
            "The content for response from request {r} can no longer be read or streamed, since \
             the response has already been closed."
        ),
        ErrorKind::ResponseNotRead => format!(
            "You have not read in the bytes for the response from request {r}. Call .read() on \
             the response first."
        ),
        _ => return None,
    })
}

/// The text of a parsed service error, cut at [`MAX_SERVICE_ERROR_CHARS`]; a cut text says
/// so, so that nobody takes it for the whole message.
pub(super) fn write_service_error(f: &mut dyn fmt::Write, se: &ServiceError) -> fmt::Result {
    let mut out = CharLimit {
        out: f,
        remaining: MAX_SERVICE_ERROR_CHARS,
        cut: false,
    };
    write!(out, "{se}")?;
    if out.cut {
        write!(
            f,
            "\n(cut: the error text is longer than {MAX_SERVICE_ERROR_CHARS} characters)"
        )?;
    }
    Ok(())
}

/// Writes at most `remaining` characters, then silently drops the rest (and notes the cut).
struct CharLimit<'a> {
    out: &'a mut dyn fmt::Write,
    remaining: usize,
    cut: bool,
}

impl fmt::Write for CharLimit<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.remaining == 0 {
            self.cut |= !s.is_empty();
            return Ok(());
        }
        if let Some((cut, _)) = s.char_indices().nth(self.remaining) {
            self.remaining = 0;
            self.cut = true;
            self.out.write_str(&s[..cut])
        } else {
            self.remaining -= s.chars().count();
            self.out.write_str(s)
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_text(f)?;
        match self.inner.note {
            Some(note) => write!(f, "\n({note})"),
            None => Ok(()),
        }
    }
}

impl Error {
    /// The reference's text: the service error, or the message and `Content:`.
    fn write_text(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &*self.inner;
        if let Some(se) = &i.service_error {
            return write_service_error(f, se);
        }
        let content = i
            .response
            .as_ref()
            .and_then(CapturedResponse::text)
            .filter(|t| !t.is_empty());
        match content {
            Some(body) => {
                let mut out = CharLimit {
                    out: f,
                    remaining: MAX_DISPLAY_CHARS,
                    cut: false,
                };
                write!(out, "{}\nContent: {}", self.message(), body)
            }
            None => f.write_str(&self.message()),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &*self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind);
        if let Some(r) = &i.response {
            d.field("status", &r.status().as_u16());
        }
        if let Some(code) = self.error_code() {
            d.field("code", &code);
        }
        if let Some(m) = &i.message {
            d.field("message", m);
        }
        if let Some(req) = &i.request {
            d.field("request", &format_args!("{} {}", req.method, req.url));
        }
        if let Some(note) = i.note {
            d.field("note", &note);
        }
        if !i.redirects.is_empty() {
            d.field("redirects", &i.redirects);
        }
        if !i.retries.is_empty() {
            d.field("retries", &i.retries);
        }
        if let Some(s) = &i.source {
            d.field("source", &s.error);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| &*s.error as &(dyn std::error::Error + 'static))
    }
}
