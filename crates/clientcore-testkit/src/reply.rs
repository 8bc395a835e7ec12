//! Replies as data: what the server sends back, including the faults.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;

/// One response the [`Server`](crate::Server) sends, or one fault it injects.
///
/// Build one with [`Reply::status`], [`Reply::hang`], [`Reply::reset`] or [`Reply::raw`], then
/// refine it with the builder methods. `Reply::default()` is a `200 OK` with an empty body.
///
/// ```
/// use std::time::Duration;
/// use clientcore_testkit::Reply;
///
/// let throttled = Reply::status(503)
///     .header("retry-after", "1")
///     .body("busy")
///     .delay(Duration::from_millis(10));
/// let truncated = Reply::status(200).body("0123456789").close_mid_body(4);
/// let malformed = Reply::raw("HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n");
/// # let _ = (throttled, truncated, malformed);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    pub(crate) kind: Kind,
    pub(crate) status: u16,
    pub(crate) reason: Option<String>,
    pub(crate) headers: Vec<(String, Vec<u8>)>,
    pub(crate) body: Body,
    pub(crate) delay: Option<Duration>,
    pub(crate) body_delay: Option<Duration>,
    pub(crate) trickle: Option<(usize, Duration)>,
    pub(crate) close_mid_body: Option<usize>,
    pub(crate) close_after: bool,
}

/// What kind of reply: a response, or a fault that is not one.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// A response built from status, headers and body.
    Response,
    /// Read the request and never answer.
    Hang,
    /// Read the request and close the socket with an RST.
    Reset,
    /// Write exactly these bytes, then close.
    Raw(Bytes),
}

/// The body of a response.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum Body {
    /// Sent with a `Content-Length`.
    Full(Bytes),
    /// Sent with `Transfer-Encoding: chunked`, one chunk per element.
    Chunked(Vec<Bytes>),
}

impl Reply {
    /// A response with this status code, no extra headers and an empty body.
    ///
    /// The reason phrase is the canonical one for the code (`"Service Unavailable"` for 503), or
    /// `"Unknown"` when the code has none; change it with [`Reply::reason`]. Any number is
    /// accepted, so out-of-range codes such as `99` or `1000` can be sent on purpose.
    pub fn status(code: u16) -> Self {
        Reply {
            kind: Kind::Response,
            status: code,
            reason: None,
            headers: Vec::new(),
            body: Body::Full(Bytes::new()),
            delay: None,
            body_delay: None,
            trickle: None,
            close_mid_body: None,
            close_after: false,
        }
    }

    /// Read the request, then never answer; the connection stays open until the server drops.
    ///
    /// Use it to make a client's read timeout fire.
    pub fn hang() -> Self {
        Reply {
            kind: Kind::Hang,
            ..Reply::default()
        }
    }

    /// Read the request, then close the socket with a TCP RST (`SO_LINGER` 0) before sending
    /// any byte of a response.
    pub fn reset() -> Self {
        Reply {
            kind: Kind::Reset,
            ..Reply::default()
        }
    }

    /// Read the request, write exactly these bytes, then close the connection.
    ///
    /// For malformed responses; nothing is added or checked.
    pub fn raw(bytes: impl Into<Bytes>) -> Self {
        Reply {
            kind: Kind::Raw(bytes.into()),
            ..Reply::default()
        }
    }

    /// Add a response header. Repeat it to send several; they are written in the order added.
    ///
    /// Setting `content-length` or `transfer-encoding` yourself stops the server from writing its
    /// own, so a mismatched length can be sent on purpose.
    #[must_use]
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.as_ref().to_owned(), value.as_ref().to_vec()));
        self
    }

    /// Set the body, sent with a `Content-Length` header.
    #[must_use]
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Body::Full(body.into());
        self
    }

    /// Send the body with `Transfer-Encoding: chunked`, one chunk per element (empty elements are
    /// skipped, since an empty chunk would end the body).
    #[must_use]
    pub fn chunked(mut self, chunks: Vec<Bytes>) -> Self {
        self.body = Body::Chunked(chunks);
        self
    }

    /// Replace the reason phrase in the status line.
    #[must_use]
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Wait this long after reading the request, before writing the status line and headers
    /// (or, for [`Reply::reset`] and [`Reply::raw`], before acting).
    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Wait this long between the headers and the body; the headers are flushed first.
    #[must_use]
    pub fn body_delay(mut self, delay: Duration) -> Self {
        self.body_delay = Some(delay);
        self
    }

    /// Send the body as it goes on the wire in pieces of `bytes`, flushed one by one, waiting
    /// `every` before each piece after the first: a slow but live sender.
    #[must_use]
    pub fn trickle(mut self, bytes: usize, every: Duration) -> Self {
        self.trickle = Some((bytes.max(1), every));
        self
    }

    /// Declare the full body in the headers, send only the first `n` bytes of it as they go on
    /// the wire (for a chunked body, of the chunk-encoded stream), then close the connection.
    #[must_use]
    pub fn close_mid_body(mut self, n: usize) -> Self {
        self.close_mid_body = Some(n);
        self
    }

    /// Send `Connection: close` and close the connection after this response.
    #[must_use]
    pub fn close_after(mut self) -> Self {
        self.close_after = true;
        self
    }

    /// The status code this reply was built with.
    pub fn status_code(&self) -> u16 {
        self.status
    }

    /// Whether the user set a header with this name (ASCII case-insensitively).
    pub(crate) fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

impl Default for Reply {
    /// `200 OK` with an empty body.
    fn default() -> Self {
        Reply::status(200)
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Hang => f.write_str("Reply::hang()")?,
            Kind::Reset => f.write_str("Reply::reset()")?,
            Kind::Raw(bytes) => write!(f, "Reply::raw({} bytes)", bytes.len())?,
            Kind::Response => {
                write!(f, "Reply::status({})", self.status)?;
                if let Some(reason) = &self.reason {
                    write!(f, ".reason({reason:?})")?;
                }
                for (name, value) in &self.headers {
                    write!(f, ".header({name:?}, {:?})", String::from_utf8_lossy(value))?;
                }
                match &self.body {
                    Body::Full(body) if body.is_empty() => {}
                    Body::Full(body) => write!(f, ".body({} bytes)", body.len())?,
                    Body::Chunked(chunks) => write!(f, ".chunked({} chunks)", chunks.len())?,
                }
                if let Some(n) = self.close_mid_body {
                    write!(f, ".close_mid_body({n})")?;
                }
                if self.close_after {
                    f.write_str(".close_after()")?;
                }
            }
        }
        if let Some(d) = self.delay {
            write!(f, ".delay({d:?})")?;
        }
        if let Some((n, every)) = self.trickle {
            write!(f, ".trickle({n}, {every:?})")?;
        }
        if let Some(d) = self.body_delay {
            write!(f, ".body_delay({d:?})")?;
        }
        Ok(())
    }
}
