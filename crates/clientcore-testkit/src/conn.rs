//! One connection: parse requests with `httparse`, record them, write replies by hand.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, Version};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::recorded::{ClientCert, Recorded};
use crate::reply::{Body, Kind, Reply};
use crate::server::ServerState;

/// Largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Most header fields accepted in one request.
const MAX_HEADERS: usize = 128;

/// A stream the server can serve, with access to its TCP socket (for `SO_LINGER`).
pub(crate) trait Socket: AsyncRead + AsyncWrite + Unpin + Send {
    /// The underlying TCP stream.
    fn tcp(&self) -> &TcpStream;
}

impl Socket for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl Socket for tokio_rustls::server::TlsStream<TcpStream> {
    fn tcp(&self) -> &TcpStream {
        self.get_ref().0
    }
}

/// A parsed request line and headers.
struct Head {
    method: Method,
    target: String,
    version: Version,
    headers: HeaderMap,
}

/// How the request body is framed.
enum Framing {
    Length(usize),
    Chunked,
}

/// What to do with the connection after a reply.
enum After {
    KeepOpen,
    Close,
    Reset,
}

/// Serve requests on one connection until it closes or a reply ends it.
pub(crate) async fn serve<S: Socket>(
    mut io: S,
    connection: usize,
    shared: Arc<ServerState>,
    client_cert: Option<ClientCert>,
) {
    let mut buf = BytesMut::with_capacity(8 * 1024);
    loop {
        let head = match read_head(&mut io, &mut buf).await {
            Ok(Some(head)) => head,
            Ok(None) => return,
            Err(err) => {
                bad_request(&mut io, &shared, connection, &err).await;
                return;
            }
        };
        let framing = match framing(&head.headers) {
            Ok(framing) => framing,
            Err(err) => {
                bad_request(&mut io, &shared, connection, &err).await;
                return;
            }
        };
        if framing.is_some()
            && head.version == Version::HTTP_11
            && header_has_token(&head.headers, "expect", "100-continue")
            && io
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .await
                .is_err()
        {
            return;
        }
        let body = match framing {
            None => Ok(Bytes::new()),
            Some(Framing::Length(n)) => read_exact(&mut io, &mut buf, n).await,
            Some(Framing::Chunked) => read_chunked(&mut io, &mut buf).await,
        };
        let body = match body {
            Ok(body) => body,
            Err(err) => {
                bad_request(&mut io, &shared, connection, &err).await;
                return;
            }
        };

        let keep_alive = wants_keep_alive(&head);
        let is_head = head.method == Method::HEAD;
        let is_connect = head.method == Method::CONNECT;
        let recorded = shared.record(record(head, body, connection, client_cert.clone()));

        if is_connect && shared.proxy {
            if shared.tunnel {
                if let Some(port) = loopback_port(recorded.connect_authority.as_deref()) {
                    tunnel(io, &buf, port).await;
                    return;
                }
            }
            let _ = io
                .write_all(
                    b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
            let _ = io.shutdown().await;
            return;
        }

        let Some(reply) = shared.next_reply(&recorded) else {
            // The handler panicked; the panic is re-raised when the server drops.
            return;
        };
        match respond(&mut io, reply, is_head, keep_alive).await {
            Ok(After::KeepOpen) => {}
            Ok(After::Close) => {
                let _ = io.shutdown().await;
                return;
            }
            Ok(After::Reset) => {
                let _ = socket2::SockRef::from(io.tcp()).set_linger(Some(Duration::ZERO));
                return;
            }
            Err(_) => return,
        }
    }
}

/// Record a malformed request as a failure and answer 400.
async fn bad_request<S: Socket>(
    io: &mut S,
    shared: &ServerState,
    connection: usize,
    err: &io::Error,
) {
    if matches!(
        err.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    ) {
        // The client went away (after its own timeout, or dropping a pooled connection
        // whose last body it did not read): not a fault of a request, and nobody is left to
        // answer.
        return;
    }
    shared.fail(format!("connection {connection}: malformed request: {err}"));
    let _ = io
        .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .await;
    let _ = io.shutdown().await;
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Read more bytes into `buf`; a clean end of stream is `UnexpectedEof`.
async fn fill<S: Socket>(io: &mut S, buf: &mut BytesMut) -> io::Result<()> {
    if io.read_buf(buf).await? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// Read one request head; `None` when the client closed cleanly between requests.
async fn read_head<S: Socket>(io: &mut S, buf: &mut BytesMut) -> io::Result<Option<Head>> {
    loop {
        if let Some((head, len)) = parse_head(buf)? {
            let _ = buf.split_to(len);
            return Ok(Some(head));
        }
        if buf.len() > MAX_HEAD {
            return Err(invalid("request head too large"));
        }
        if io.read_buf(buf).await? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
    }
}

fn parse_head(buf: &[u8]) -> io::Result<Option<(Head, usize)>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(err) => return Err(invalid(err.to_string())),
    };
    let method = Method::from_bytes(req.method.unwrap_or_default().as_bytes())
        .map_err(|e| invalid(e.to_string()))?;
    let target = req.path.unwrap_or_default().to_owned();
    let version = if req.version == Some(0) {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    let mut map = HeaderMap::with_capacity(req.headers.len());
    for header in req.headers.iter() {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|e| invalid(format!("header name {:?}: {e}", header.name)))?;
        let value = HeaderValue::from_bytes(header.value)
            .map_err(|e| invalid(format!("header {:?}: {e}", header.name)))?;
        map.append(name, value);
    }
    Ok(Some((
        Head {
            method,
            target,
            version,
            headers: map,
        },
        len,
    )))
}

/// Whether `name`'s comma-separated values include `token` (ASCII case-insensitively).
fn header_has_token(headers: &HeaderMap, name: &str, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value
            .to_str()
            .unwrap_or_default()
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    })
}

fn wants_keep_alive(head: &Head) -> bool {
    if head.version == Version::HTTP_10 {
        header_has_token(&head.headers, "connection", "keep-alive")
    } else {
        !header_has_token(&head.headers, "connection", "close")
    }
}

fn framing(headers: &HeaderMap) -> io::Result<Option<Framing>> {
    if headers.contains_key("transfer-encoding") {
        let last = headers
            .get_all("transfer-encoding")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|t| !t.is_empty())
            .unwrap_or_default();
        return if last.eq_ignore_ascii_case("chunked") {
            Ok(Some(Framing::Chunked))
        } else {
            Err(invalid(format!(
                "transfer-encoding {last:?} without chunked"
            )))
        };
    }
    let mut lengths = headers.get_all("content-length").iter();
    let Some(first) = lengths.next() else {
        return Ok(None);
    };
    if lengths.any(|other| other != first) {
        return Err(invalid("conflicting content-length headers"));
    }
    let len: usize = first
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| invalid(format!("bad content-length {first:?}")))?;
    Ok((len > 0).then_some(Framing::Length(len)))
}

async fn read_exact<S: Socket>(io: &mut S, buf: &mut BytesMut, n: usize) -> io::Result<Bytes> {
    while buf.len() < n {
        fill(io, buf).await?;
    }
    Ok(buf.split_to(n).freeze())
}

async fn read_chunked<S: Socket>(io: &mut S, buf: &mut BytesMut) -> io::Result<Bytes> {
    let mut body = BytesMut::new();
    loop {
        let (consumed, size) = loop {
            match httparse::parse_chunk_size(buf) {
                Ok(httparse::Status::Complete(found)) => break found,
                Ok(httparse::Status::Partial) => fill(io, buf).await?,
                Err(httparse::InvalidChunkSize) => return Err(invalid("invalid chunk size")),
            }
        };
        let _ = buf.split_to(consumed);
        if size == 0 {
            // Trailer fields, if any, then the empty line.
            loop {
                let line = read_line(io, buf).await?;
                if line.is_empty() {
                    return Ok(body.freeze());
                }
            }
        }
        let size = usize::try_from(size).map_err(|_| invalid("chunk too large"))?;
        let chunk = read_exact(io, buf, size).await?;
        body.extend_from_slice(&chunk);
        let crlf = read_exact(io, buf, 2).await?;
        if &crlf[..] != b"\r\n" {
            return Err(invalid("chunk not followed by CRLF"));
        }
    }
}

/// Read one CRLF-terminated line, without the CRLF.
async fn read_line<S: Socket>(io: &mut S, buf: &mut BytesMut) -> io::Result<Bytes> {
    loop {
        if let Some(pos) = buf.windows(2).position(|w| w == b"\r\n") {
            let line = buf.split_to(pos).freeze();
            let _ = buf.split_to(2);
            return Ok(line);
        }
        if buf.len() > MAX_HEAD {
            return Err(invalid("trailer line too long"));
        }
        fill(io, buf).await?;
    }
}

fn record(head: Head, body: Bytes, connection: usize, client_cert: Option<ClientCert>) -> Recorded {
    let (path, query, connect_authority) = if head.method == Method::CONNECT {
        (String::new(), None, Some(head.target.clone()))
    } else {
        match head.target.parse::<Uri>() {
            Ok(uri) => (uri.path().to_owned(), uri.query().map(str::to_owned), None),
            Err(_) => match head.target.split_once('?') {
                Some((path, query)) => (path.to_owned(), Some(query.to_owned()), None),
                None => (head.target.clone(), None, None),
            },
        }
    };
    Recorded {
        index: 0,
        method: head.method,
        target: head.target,
        path,
        query,
        version: head.version,
        headers: head.headers,
        body,
        connection,
        connect_authority,
        client_cert,
    }
}

/// Whether a response with this status may carry a body (RFC 9112 section 6.3).
fn status_has_body(status: u16) -> bool {
    !(100..200).contains(&status) && status != 204 && status != 304
}

async fn respond<S: Socket>(
    io: &mut S,
    reply: Reply,
    is_head: bool,
    keep_alive: bool,
) -> io::Result<After> {
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    match reply.kind {
        Kind::Hang => std::future::pending().await,
        Kind::Reset => Ok(After::Reset),
        Kind::Raw(ref bytes) => {
            io.write_all(bytes).await?;
            io.flush().await?;
            Ok(After::Close)
        }
        Kind::Response => write_response(io, &reply, is_head, keep_alive).await,
    }
}

async fn write_response<S: Socket>(
    io: &mut S,
    reply: &Reply,
    is_head: bool,
    keep_alive: bool,
) -> io::Result<After> {
    let close = !keep_alive || reply.close_after || reply.close_mid_body.is_some();
    let reason = reply.reason.clone().unwrap_or_else(|| {
        http::StatusCode::from_u16(reply.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Unknown")
            .to_owned()
    });

    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(format!("HTTP/1.1 {} {reason}\r\n", reply.status).as_bytes());
    for (name, value) in &reply.headers {
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    let framed_by_user =
        reply.has_header("content-length") || reply.has_header("transfer-encoding");
    let body = match &reply.body {
        Body::Full(body) => {
            if !framed_by_user && status_has_body(reply.status) {
                head.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
            }
            body.clone()
        }
        Body::Chunked(chunks) => {
            if !framed_by_user {
                head.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
            }
            let mut wire = BytesMut::new();
            for chunk in chunks.iter().filter(|c| !c.is_empty()) {
                wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                wire.extend_from_slice(chunk);
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(b"0\r\n\r\n");
            wire.freeze()
        }
    };
    if close && !reply.has_header("connection") {
        head.extend_from_slice(b"Connection: close\r\n");
    }
    head.extend_from_slice(b"\r\n");

    io.write_all(&head).await?;
    let body = if is_head { Bytes::new() } else { body };
    if let Some(delay) = reply.body_delay {
        io.flush().await?;
        tokio::time::sleep(delay).await;
    }
    let sent = match reply.close_mid_body {
        Some(n) => body.slice(..n.min(body.len())),
        None => body,
    };
    match reply.trickle {
        Some((n, every)) => {
            for (i, piece) in sent.chunks(n).enumerate() {
                if i > 0 {
                    tokio::time::sleep(every).await;
                }
                io.write_all(piece).await?;
                io.flush().await?;
            }
        }
        None => io.write_all(&sent).await?,
    }
    io.flush().await?;
    Ok(if close { After::Close } else { After::KeepOpen })
}

/// The port of a `CONNECT` authority naming the loopback address, the only tunnels opened.
fn loopback_port(authority: Option<&str>) -> Option<u16> {
    let (host, port) = authority?.rsplit_once(':')?;
    (host == "127.0.0.1").then(|| port.parse().ok())?
}

/// Answers a `CONNECT` and relays bytes between the client and `127.0.0.1:port` until either
/// side closes. `early` is what the client sent after the `CONNECT` head (nothing, for a TLS
/// client, which waits for the answer).
async fn tunnel<S: Socket>(mut io: S, early: &[u8], port: u16) {
    let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", port)).await else {
        let _ = io
            .write_all(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await;
        return;
    };
    if io
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await
        .is_err()
        || upstream.write_all(early).await.is_err()
    {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut io, &mut upstream).await;
}
