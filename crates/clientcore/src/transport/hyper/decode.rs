//! Response bodies in a content coding (gzip, deflate), decoded a bounded block at a time.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{BufMut as _, Bytes, BytesMut};
use clientcore_proto::{Error, ErrorKind};
use http_body::Body as _;
use tokio::io::{AsyncRead, ReadBuf};

use super::errors::{from_hyper, read_error};

/// A content coding the transport decodes.
#[derive(Clone, Copy, Debug)]
pub(super) enum Coding {
    Gzip,
    Deflate,
}

/// The coding of a response body, when it is one the transport decodes.
pub(super) fn content_coding(headers: &http::HeaderMap) -> Option<Coding> {
    let value = headers
        .get(http::header::CONTENT_ENCODING)?
        .to_str()
        .ok()?
        .trim();
    if value.eq_ignore_ascii_case("gzip") || value.eq_ignore_ascii_case("x-gzip") {
        Some(Coding::Gzip)
    } else if value.eq_ignore_ascii_case("deflate") {
        Some(Coding::Deflate)
    } else {
        None
    }
}

/// A response body: as it arrives, or decoded.
pub(super) enum RespBody {
    Plain(hyper::body::Incoming),
    Decoded(Box<Decoder>),
}

/// A decoder over a body, read a block at a time: what a block of compressed data can grow
/// to is bounded by the block, not by the compression ratio.
pub(super) struct Decoder {
    reader: Pin<Box<dyn AsyncRead + Send>>,
    buf: BytesMut,
    /// Named in the error when the data is not of this coding.
    coding: Coding,
}

/// The coded body's data as it arrives; a failure of the connection is an `io::Error` of kind
/// `Other` wrapping hyper's error, never `UnexpectedEof` (which only the decoder raises).
type Frames = Pin<Box<dyn futures_util::Stream<Item = std::io::Result<Bytes>> + Send>>;

/// `Content-Encoding: deflate` as servers send it: the zlib format that RFC 9110 §8.4.1.2
/// names, or, from some servers, raw deflate with no zlib header. urllib3 (the reference's)
/// accepts both; which one a body is shows in its first two bytes.
enum Deflate {
    /// Gathering the first two bytes (or the whole body, when shorter).
    Sniffing {
        frames: Frames,
        head: BytesMut,
    },
    Decoding(Pin<Box<dyn AsyncRead + Send>>),
}

/// Whether `head` starts with a zlib header (RFC 1950 §2.2): method 8 (deflate), a window of
/// at most 32 KiB, and a check that makes the two bytes a multiple of 31. A raw deflate
/// stream starting with such bytes would have to begin with a stored block whose length
/// happens to match: not seen in practice, and urllib3 reads it as zlib too.
fn is_zlib_header(head: &[u8]) -> bool {
    match head {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

impl AsyncRead for Deflate {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        loop {
            match this {
                Deflate::Decoding(reader) => return reader.as_mut().poll_read(cx, buf),
                Deflate::Sniffing { frames, head } => {
                    if head.len() < 2 {
                        match ready!(frames.as_mut().poll_next(cx)) {
                            Some(Ok(data)) => {
                                head.extend_from_slice(&data);
                                continue;
                            }
                            Some(Err(e)) => return Poll::Ready(Err(e)),
                            // Shorter than two bytes: the decoder says what it makes of it.
                            None => {}
                        }
                    }
                    let zlib = is_zlib_header(head);
                    let first = head.split().freeze();
                    let rest = std::mem::replace(frames, Box::pin(futures_util::stream::empty()));
                    let input = tokio_util::io::StreamReader::new(futures_util::StreamExt::chain(
                        futures_util::stream::iter([Ok(first)]),
                        rest,
                    ));
                    *this = Deflate::Decoding(if zlib {
                        Box::pin(async_compression::tokio::bufread::ZlibDecoder::new(input))
                    } else {
                        Box::pin(async_compression::tokio::bufread::DeflateDecoder::new(
                            input,
                        ))
                    });
                }
            }
        }
    }
}

/// The most decoded bytes one read returns.
const DECODED_BLOCK: usize = 16 * 1024;

impl RespBody {
    /// Decodes `body`; the headers then describe the decoded body, as reqwest and browsers
    /// present it: no `Content-Encoding`, no `Content-Length`.
    #[cold]
    pub(super) fn decoded(
        body: hyper::body::Incoming,
        coding: Coding,
        headers: &mut http::HeaderMap,
    ) -> RespBody {
        headers.remove(http::header::CONTENT_ENCODING);
        headers.remove(http::header::CONTENT_LENGTH);
        let mut body = body;
        let frames: Frames = Box::pin(futures_util::stream::poll_fn(move |cx| loop {
            match ready!(Pin::new(&mut body).poll_frame(cx)) {
                None => return Poll::Ready(None),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        return Poll::Ready(Some(Ok(data)));
                    }
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(std::io::Error::other(e)))),
            }
        }));
        let reader: Pin<Box<dyn AsyncRead + Send>> = match coding {
            Coding::Gzip => {
                let input = tokio_util::io::StreamReader::new(frames);
                let mut d = async_compression::tokio::bufread::GzipDecoder::new(input);
                // A gzip file may hold several members, one after the other.
                d.multiple_members(true);
                Box::pin(d)
            }
            Coding::Deflate => Box::pin(Deflate::Sniffing {
                frames,
                head: BytesMut::new(),
            }),
        };
        RespBody::Decoded(Box::new(Decoder {
            reader,
            buf: BytesMut::new(),
            coding,
        }))
    }

    /// The next piece of the body, `None` at its end.
    pub(super) fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Bytes>, Error>> {
        match self {
            RespBody::Plain(body) => loop {
                match ready!(Pin::new(&mut *body).poll_frame(cx)) {
                    None => return Poll::Ready(Ok(None)),
                    Some(Ok(frame)) => {
                        // Trailers are not part of the body.
                        if let Ok(data) = frame.into_data() {
                            if !data.is_empty() {
                                return Poll::Ready(Ok(Some(data)));
                            }
                        }
                    }
                    Some(Err(e)) => return Poll::Ready(Err(read_error(e))),
                }
            },
            RespBody::Decoded(d) => {
                let Decoder {
                    reader,
                    buf,
                    coding,
                } = &mut **d;
                if buf.capacity() < DECODED_BLOCK {
                    buf.reserve(DECODED_BLOCK);
                }
                let mut limited = (&mut *buf).limit(DECODED_BLOCK);
                match ready!(tokio_util::io::poll_read_buf(
                    reader.as_mut(),
                    cx,
                    &mut limited
                )) {
                    Ok(0) => Poll::Ready(Ok(None)),
                    Ok(_) => Poll::Ready(Ok(Some(buf.split().freeze()))),
                    // The body's framing ended (a cut connection is hyper's error, not this)
                    // but the coded stream did not: flushed and never finished (no gzip
                    // trailer), or empty. What arrived is decoded and that is the body, as
                    // urllib3 has it; calling it a cut connection would have it retried.
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !from_hyper(&e) => {
                        Poll::Ready(Ok(None))
                    }
                    Err(e) => {
                        let err = read_error(e);
                        if err.kind() != ErrorKind::Decode {
                            return Poll::Ready(Err(err));
                        }
                        // Say which coding the data failed: the decoder's own text
                        // ("invalid gzip header", "deflate decompression error") does not
                        // name the header that asked for it.
                        let name = match coding {
                            Coding::Gzip => "gzip",
                            Coding::Deflate => "deflate",
                        };
                        let detail = std::error::Error::source(&err)
                            .map(ToString::to_string)
                            .unwrap_or_default();
                        Poll::Ready(Err(err.with_message(format!(
                            "the response body is not valid {name} data, as its \
                             Content-Encoding says: {detail}"
                        ))))
                    }
                }
            }
        }
    }

    /// Whether the body is known to be over: hyper counts down what is left of a body of
    /// known length.
    #[cfg(feature = "async")]
    pub(super) fn is_end(&self) -> bool {
        match self {
            RespBody::Plain(body) => body.is_end_stream(),
            RespBody::Decoded(_) => false,
        }
    }
}
