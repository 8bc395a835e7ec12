//! A raw HTTP/1.1 server on 127.0.0.1 that scripts its answers byte by byte.
//!
//! Unlike the testkit's server, it does not speak HTTP for the test: each answer is a
//! [`Script`] of writes, trickles, pauses and a close, so a test can send a head and then a
//! body one byte every 100 ms, headers no real server would send, or half a body and a close.
//! It parses just enough of each request (request line, headers, a `Content-Length` or chunked
//! body) to record it whole ([`Seen`]) and to know where the next one starts on a kept
//! connection.
//!
//! ```ignore
//! let server = RawServer::start([Script::head(500, &[("content-length", "120")])
//!     .trickle(vec![b'x'; 120], Duration::from_millis(100))]);
//! // … send to server.url("/path") …
//! assert_eq!(server.requests()[0].request_line, "GET /path HTTP/1.1");
//! assert_eq!(server.connections(), 1);
//! ```
//!
//! Scripts are answered in order, one per request, whichever connection it came on; after the
//! last one (or with [`RawServer::repeat`], never) a request gets its connection closed
//! without an answer.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each module uses part of the server"
)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One thing the server does while answering a request.
#[derive(Clone, Debug)]
enum Action {
    /// Write these bytes at once.
    Write(Vec<u8>),
    /// Write these bytes one at a time, pausing before each.
    Trickle(Vec<u8>, Duration),
    /// Wait.
    Pause(Duration),
    /// Close the connection (the script ends here).
    Close,
}

/// The answer to one request: a sequence of writes, trickles and pauses, maybe ending in a
/// close. Without [`Script::close`] the connection is kept for the next request.
#[derive(Clone, Debug, Default)]
pub struct Script {
    actions: Vec<Action>,
}

impl Script {
    /// An empty script: nothing is written (add steps).
    pub fn new() -> Self {
        Script::default()
    }

    /// A status line (`HTTP/1.1 {status} {reason}`, the reason from the status when known)
    /// and these headers, then the blank line: the body is up to the following steps.
    pub fn head(status: u16, headers: &[(&str, &str)]) -> Self {
        let reason = http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Whatever");
        let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
        for (name, value) in headers {
            head.extend([name, ": ", value, "\r\n"]);
        }
        head.push_str("\r\n");
        Script::new().write(head)
    }

    /// A whole response: status, headers, a `Content-Length` and `body` at once.
    pub fn response(status: u16, headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> Self {
        let body = body.as_ref();
        let length = body.len().to_string();
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        all.push(("content-length", &length));
        // One write: head and body leave in one segment, as from a real server.
        let mut script = Script::head(status, &all);
        if let Some(Action::Write(bytes)) = script.actions.last_mut() {
            bytes.extend_from_slice(body);
        }
        script
    }

    /// `200 OK` with `body`.
    pub fn ok(body: impl AsRef<[u8]>) -> Self {
        Script::response(200, &[], body)
    }

    /// `200 OK` with a JSON `body`.
    pub fn json(body: &str) -> Self {
        Script::response(200, &[("content-type", "application/json")], body)
    }

    /// Then write `bytes` at once (any bytes: a test can send a header no server should).
    #[must_use]
    pub fn write(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.actions.push(Action::Write(bytes.as_ref().to_vec()));
        self
    }

    /// Then write `bytes` one byte at a time, waiting `every` before each byte.
    #[must_use]
    pub fn trickle(mut self, bytes: impl AsRef<[u8]>, every: Duration) -> Self {
        self.actions
            .push(Action::Trickle(bytes.as_ref().to_vec(), every));
        self
    }

    /// Then wait `d`.
    #[must_use]
    pub fn pause(mut self, d: Duration) -> Self {
        self.actions.push(Action::Pause(d));
        self
    }

    /// Then close the connection (for example mid-body).
    #[must_use]
    pub fn close(mut self) -> Self {
        self.actions.push(Action::Close);
        self
    }

    /// Plays the script; `false` when the connection is to be closed (the script said so, or
    /// the client went away).
    fn play(&self, stream: &mut TcpStream) -> bool {
        for action in &self.actions {
            let written = match action {
                Action::Write(b) => stream.write_all(b).and_then(|()| stream.flush()),
                Action::Trickle(b, every) => b.iter().try_for_each(|byte| {
                    std::thread::sleep(*every);
                    stream.write_all(&[*byte]).and_then(|()| stream.flush())
                }),
                Action::Pause(d) => {
                    std::thread::sleep(*d);
                    Ok(())
                }
                Action::Close => return false,
            };
            if written.is_err() {
                return false;
            }
        }
        true
    }
}

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// Which connection it came on, counting from 0 in accept order.
    pub connection: usize,
    /// The request line without its CRLF, e.g. `GET /a?b=c HTTP/1.1`.
    pub request_line: String,
    /// The method (first word of the request line).
    pub method: String,
    /// The request target as sent (second word): origin-form, or absolute-form to a proxy.
    pub target: String,
    /// The header lines in order, name lower-cased, value as sent (lossy UTF-8).
    pub headers: Vec<(String, String)>,
    /// Every byte of the head as received, request line included.
    pub raw_head: Vec<u8>,
    /// The body (de-chunked if it was chunked).
    pub body: Vec<u8>,
}

impl Seen {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

enum Answers {
    /// In order, then close.
    Queue(VecDeque<Script>),
    /// The same forever.
    Repeat(Script),
}

struct State {
    answers: Mutex<Answers>,
    seen: Mutex<Vec<Seen>>,
    connections: AtomicUsize,
}

/// The server. Its threads live as long as the test process; dropping it only stops
/// recording nothing (the listener thread keeps accepting, answering as scripted).
pub struct RawServer {
    addr: SocketAddr,
    state: Arc<State>,
}

impl RawServer {
    /// A server answering `scripts` in order, one per request.
    pub fn start(scripts: impl IntoIterator<Item = Script>) -> Self {
        Self::spawn(Answers::Queue(scripts.into_iter().collect()))
    }

    /// A server answering every request with `script`.
    pub fn repeat(script: Script) -> Self {
        Self::spawn(Answers::Repeat(script))
    }

    fn spawn(answers: Answers) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            answers: Mutex::new(answers),
            seen: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
        });
        let shared = state.clone();
        std::thread::Builder::new()
            .name("raw-server".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    // Each write leaves at once: a trickle is one byte per segment.
                    let _ = stream.set_nodelay(true);
                    let id = shared.connections.fetch_add(1, Ordering::SeqCst);
                    let state = shared.clone();
                    std::thread::spawn(move || serve(stream, id, &state));
                }
            })
            .unwrap();
        RawServer { addr, state }
    }

    /// Queues `script` after the ones given so far (for answers that need the server's own
    /// URL, such as a `Location`). No effect on a [`RawServer::repeat`] server.
    pub fn then(&self, script: Script) {
        if let Answers::Queue(q) = &mut *self.state.answers.lock().unwrap() {
            q.push_back(script);
        }
    }

    /// `http://127.0.0.1:{port}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `http://127.0.0.1:{port}`, e.g. as a proxy.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }
}

/// Reads requests off one connection and answers each with the next script.
fn serve(stream: TcpStream, connection: usize, state: &State) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some(seen) = read_request(&mut reader, connection) {
        state.seen.lock().unwrap().push(seen);
        let script = match &mut *state.answers.lock().unwrap() {
            Answers::Queue(q) => q.pop_front(),
            Answers::Repeat(s) => Some(s.clone()),
        };
        let Some(script) = script else { break };
        if !script.play(&mut writer) {
            break;
        }
    }
    let _ = writer.shutdown(std::net::Shutdown::Both);
}

/// One request, or `None` at end of stream or on anything unparsable.
fn read_request(reader: &mut BufReader<TcpStream>, connection: usize) -> Option<Seen> {
    let mut raw_head = Vec::new();
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        raw_head.extend_from_slice(&line);
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        if text.is_empty() {
            break;
        }
        lines.push(text);
    }
    let request_line = lines.first()?.clone();
    let mut words = request_line.split(' ');
    let method = words.next()?.to_owned();
    let target = words.next()?.to_owned();
    let headers: Vec<(String, String)> = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut seen = Seen {
        connection,
        request_line,
        method,
        target,
        headers,
        raw_head,
        body: Vec::new(),
    };
    if seen
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        seen.body = read_chunked(reader)?;
    } else if let Some(n) = seen.header("content-length") {
        let n: usize = n.parse().ok()?;
        let mut body = vec![0; n];
        reader.read_exact(&mut body).ok()?;
        seen.body = body;
    }
    Some(seen)
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let size = size.trim().split(';').next()?;
        let size = usize::from_str_radix(size, 16).ok()?;
        let mut chunk = vec![0; size + 2];
        if size == 0 {
            // Trailers until the blank line.
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).ok()? == 0 || line.trim().is_empty() {
                    return Some(body);
                }
            }
        }
        reader.read_exact(&mut chunk).ok()?;
        body.extend_from_slice(&chunk[..size]);
    }
}
