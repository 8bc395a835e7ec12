//! Request bodies: bytes (replayed on retries and redirects) or streams (rewound through
//! their rewind function, or sent once).

use std::fmt;
#[cfg(feature = "blocking")]
use std::io::Read as _;
#[cfg(any(feature = "async", feature = "blocking"))]
use std::sync::Arc;

use bytes::Bytes;
use clientcore_proto::pipeline::RequestBody;

// What `Body` holds of a caller's stream or reader: boxed once here, so the public
// constructors take any `Stream` or `Read` and callers never name a box type.
#[cfg(feature = "_transport")]
pub(crate) type ByteStream = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static>,
>;
#[cfg(feature = "blocking")]
type ByteReader = Box<dyn std::io::Read + Send + 'static>;

enum Inner {
    Bytes(Bytes),
    #[cfg(feature = "_transport")]
    Stream {
        current: Option<ByteStream>,
        rewind: Option<Arc<dyn Fn() -> ByteStream + Send + Sync>>,
        len: Option<u64>,
    },
    #[cfg(feature = "blocking")]
    Reader {
        current: Option<ByteReader>,
        rewind: Option<Arc<dyn Fn() -> ByteReader + Send + Sync>>,
        len: Option<u64>,
    },
}

/// A request body.
///
/// Bytes are replayed on every retry and redirect. A stream is sent once, unless it comes with
/// a rewind function that produces it again from the start; a call whose body cannot be
/// rewound is not retried, and its error says why.
///
/// # Examples
///
/// ```
/// use clientcore::Body;
///
/// let body = Body::from("hello");
/// assert_eq!(body.as_bytes(), Some(&b"hello"[..]));
/// ```
pub struct Body(Inner);

impl Body {
    /// An empty body.
    pub fn empty() -> Self {
        Body(Inner::Bytes(Bytes::new()))
    }

    /// The bytes, when the body is in memory.
    #[allow(
        clippy::match_wildcard_for_single_variants,
        reason = "with one of the async and blocking features, the wildcard is one variant"
    )]
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.0 {
            Inner::Bytes(b) => Some(b),
            #[allow(
                unreachable_patterns,
                reason = "the stream and reader variants exist with the async or blocking feature"
            )]
            _ => None,
        }
    }

    /// An async stream of chunks (any [`futures_core::Stream`] of `Result<Bytes, io::Error>`:
    /// `futures` and `tokio-stream` streams are ones), sent once; a retry that would need it
    /// again fails instead. `len`, when known, goes out as `Content-Length`; without it the
    /// body is sent chunked.
    ///
    /// [`futures_core::Stream`]: https://docs.rs/futures-core/latest/futures_core/stream/trait.Stream.html
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    /// use clientcore::Body;
    ///
    /// let chunks = futures_util::stream::iter([Ok(Bytes::from("a")), Ok(Bytes::from("b"))]);
    /// let body = Body::stream(chunks, Some(2));
    /// assert_eq!(body.as_bytes(), None);
    /// ```
    #[cfg(feature = "_transport")]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "async", feature = "blocking"))))]
    pub fn stream<S>(stream: S, len: Option<u64>) -> Self
    where
        S: futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    {
        Body(Inner::Stream {
            current: Some(Box::pin(stream)),
            rewind: None,
            len,
        })
    }

    /// An async stream made by `open`, called again from the start for each try, so the call
    /// can be retried and redirected.
    #[cfg(feature = "_transport")]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "async", feature = "blocking"))))]
    pub fn rewindable_stream<S>(
        open: impl Fn() -> S + Send + Sync + 'static,
        len: Option<u64>,
    ) -> Self
    where
        S: futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    {
        Body(Inner::Stream {
            current: None,
            rewind: Some(Arc::new(move || -> ByteStream { Box::pin(open()) })),
            len,
        })
    }

    /// A reader for the blocking client, sent once. `len` as for [`stream`](Self::stream).
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore::Body;
    ///
    /// let body = Body::reader(std::io::Cursor::new(vec![0u8; 1024]), Some(1024));
    /// assert_eq!(body.as_bytes(), None);
    /// ```
    #[cfg(feature = "blocking")]
    #[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
    pub fn reader(reader: impl std::io::Read + Send + 'static, len: Option<u64>) -> Self {
        Body(Inner::Reader {
            current: Some(Box::new(reader)),
            rewind: None,
            len,
        })
    }

    /// A reader made by `open`, called again from the start for each try.
    #[cfg(feature = "blocking")]
    #[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
    pub fn rewindable_reader<R>(
        open: impl Fn() -> R + Send + Sync + 'static,
        len: Option<u64>,
    ) -> Self
    where
        R: std::io::Read + Send + 'static,
    {
        Body(Inner::Reader {
            current: None,
            rewind: Some(Arc::new(move || -> ByteReader { Box::new(open()) })),
            len,
        })
    }

    /// The length declared for a streamed body; `None` for bytes (the transport measures those).
    #[cfg(feature = "_transport")]
    pub(crate) fn declared_len(&self) -> Option<u64> {
        match &self.0 {
            Inner::Bytes(_) => None,
            Inner::Stream { len, .. } => *len,
            #[cfg(feature = "blocking")]
            Inner::Reader { len, .. } => *len,
        }
    }

    /// What goes on the wire: the bytes, or the stream as it is now (a stream already sent
    /// and not rewound is empty).
    #[cfg(feature = "_transport")]
    pub(crate) fn into_outgoing(self) -> Outgoing {
        match self.0 {
            Inner::Bytes(b) => Outgoing::Bytes(b),
            Inner::Stream { current, .. } => match current {
                Some(s) => Outgoing::Stream(s),
                None => Outgoing::Bytes(Bytes::new()),
            },
            #[cfg(feature = "blocking")]
            Inner::Reader { current, .. } => match current {
                Some(r) => Outgoing::Stream(reader_stream(r)),
                None => Outgoing::Bytes(Bytes::new()),
            },
        }
    }
}

/// A request body as the transport sends it.
#[cfg(feature = "_transport")]
pub(crate) enum Outgoing {
    Bytes(Bytes),
    Stream(ByteStream),
}

/// Turns a blocking reader into a stream: a thread reads 64 KiB blocks into a bounded
/// channel, so memory stays bounded whatever the size of the upload.
#[cfg(feature = "blocking")]
fn reader_stream(mut reader: ByteReader) -> ByteStream {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let spawned = std::thread::Builder::new()
        .name("clientcore-upload".into())
        .spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        if tx
                            .blocking_send(Ok(Bytes::copy_from_slice(&buf[..n])))
                            .is_err()
                        {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
        });
    if let Err(e) = spawned {
        return Box::pin(futures_util::stream::once(async move { Err(e) }));
    }
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

impl RequestBody for Body {
    fn replay(&mut self) -> Option<Self> {
        match &mut self.0 {
            Inner::Bytes(b) => Some(Body(Inner::Bytes(b.clone()))),
            #[cfg(feature = "_transport")]
            Inner::Stream {
                current,
                rewind,
                len,
            } => {
                let stream = match rewind {
                    Some(open) => open(),
                    None => current.take()?,
                };
                Some(Body(Inner::Stream {
                    current: Some(stream),
                    rewind: None,
                    len: *len,
                }))
            }
            #[cfg(feature = "blocking")]
            Inner::Reader {
                current,
                rewind,
                len,
            } => {
                let reader = match rewind {
                    Some(open) => open(),
                    None => current.take()?,
                };
                Some(Body(Inner::Reader {
                    current: Some(reader),
                    rewind: None,
                    len: *len,
                }))
            }
        }
    }

    fn is_replayable(&self) -> bool {
        match &self.0 {
            Inner::Bytes(_) => true,
            #[cfg(feature = "_transport")]
            Inner::Stream { rewind, .. } => rewind.is_some(),
            #[cfg(feature = "blocking")]
            Inner::Reader { rewind, .. } => rewind.is_some(),
        }
    }

    fn as_bytes(&self) -> Option<&[u8]> {
        Body::as_bytes(self)
    }

    /// The bytes' length, or a stream's or reader's declared length: the pipeline sends it as
    /// `Content-Length` (some services, Azure Storage among them, refuse chunked uploads).
    fn known_len(&self) -> Option<u64> {
        match &self.0 {
            Inner::Bytes(b) => Some(b.len() as u64),
            #[cfg(feature = "_transport")]
            Inner::Stream { len, .. } => *len,
            #[cfg(feature = "blocking")]
            Inner::Reader { len, .. } => *len,
        }
    }

    fn empty() -> Self {
        Body::empty()
    }
    fn from_bytes(bytes: Bytes) -> Option<Self> {
        Some(Body::from(bytes))
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body(Inner::Bytes(b))
    }
}

impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Self {
        Body(Inner::Bytes(b.into()))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body(Inner::Bytes(s.into()))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body(Inner::Bytes(Bytes::from_static(s.as_bytes())))
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Body(Inner::Bytes(Bytes::from_static(s)))
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the bytes: they may hold secrets.
        match &self.0 {
            Inner::Bytes(b) => write!(f, "Body({} bytes)", b.len()),
            #[cfg(feature = "_transport")]
            Inner::Stream { rewind, len, .. } => f
                .debug_struct("Body::Stream")
                .field("len", len)
                .field("rewindable", &rewind.is_some())
                .finish(),
            #[cfg(feature = "blocking")]
            Inner::Reader { rewind, len, .. } => f
                .debug_struct("Body::Reader")
                .field("len", len)
                .field("rewindable", &rewind.is_some())
                .finish(),
        }
    }
}
