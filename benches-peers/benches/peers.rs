//! clientcore against its peers on loopback, in one run (issue 3, BENCHMARKS.md):
//!
//! 1. 1 KiB GET, keep-alive, sequential: clientcore `Client` (default pipeline), raw
//!    `reqwest::Client`, azure_core's default `Pipeline`.
//! 2. The same with 32 requests in flight.
//! 3. `BlockingClient` against raw `reqwest::blocking::Client`, sequential.
//! 4. A streamed 1 GiB download: clientcore `next_block` (64 KiB and the default 4096) and
//!    raw reqwest `chunk()`, async and blocking; throughput and peak RSS, each variant in a
//!    fresh child process (this binary re-executed with `--download-child`).
//!
//! The server is hyper 1 on its own thread and runtime in this process. Variants run in
//! rotating order, round after round, so load from other processes hits them alike; the
//! report gives medians over rounds and the median of the per-round ratios.
//!
//! 5. Building the error of a 1 KiB OData v4 and ARM error body (issue 18): clientcore's
//!    `Error::from_response` (explicit format, `Auto`, and explicit with every field read
//!    back), azure_core's full parse (`check_success`, then `ErrorResponse::try_from` with its
//!    details and innererror), and `serde_json::from_slice::<Value>` of the same bytes (the
//!    yardstick). Timed in on-CPU nanoseconds of the benchmark thread as well as wall time, so
//!    that other processes taking the core count less.
//!
//! 6. 1 KiB GETs with 32 in flight over HTTP/2 on one TLS connection (ALPN), clientcore against
//!    reqwest with its `http2` feature (issue 17); `peers/tls.rs`.
//! 7. Cold start over TLS (issue 18): `build()` and the first call, each run in a fresh
//!    process (this binary re-executed with `--cold-child`), clientcore against reqwest with
//!    the same roots trusted; `peers/tls.rs`.
//!
//! Knobs (environment): `PEERS_ROUNDS` (default 15), `PEERS_REQUESTS` (requests per variant
//! per round, default 2000), `PEERS_DOWNLOAD_ROUNDS` (default 3), `PEERS_ERROR_ROUNDS`
//! (default 31), `PEERS_ERROR_ITERS` (errors per variant per round, default 4000),
//! `PEERS_COLD_RUNS` (fresh processes per cold-start variant, default 31), `PEERS_COLD_SEEDED`
//! (set: aws-lc's random generator seeded in each child before the clock starts),
//! `PEERS_ONLY` (comma list of `seq,conc,blocking,download,errors,h2,cold,allocs`).
//!
//! 8. Heap allocations and bytes asked for per 1 KiB GET, client side (a counting global
//!    allocator; the server's thread is left out), per client: sequential, 32 in flight, and
//!    the blocking clients (`allocs`).

use std::convert::Infallible;
use std::fmt::Write as _;
use std::future::Future;
use std::hint::black_box;
use std::io::Read as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use url::Url;

#[path = "support/alloc_count.rs"]
mod alloc_count;

#[global_allocator]
static ALLOCATOR: alloc_count::Counting = alloc_count::Counting;

const SMALL: usize = 1024;
const BIG: u64 = 1 << 30;
const SERVER_CHUNK: usize = 1 << 20;
const CONCURRENCY: usize = 32;

// Not `benches/tls.rs`: cargo would take that for a bench target of its own.
#[path = "peers/tls.rs"]
mod tls;

// ===== server =====

/// A response body: 1 KiB at once, or `left` bytes streamed in slices of one shared buffer,
/// so 1 GiB is never in memory.
enum Reply {
    Small(Option<Bytes>),
    Big { chunk: Bytes, left: u64 },
}

impl hyper::body::Body for Reply {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(match self.get_mut() {
            Reply::Small(b) => b.take().map(|b| Ok(Frame::data(b))),
            Reply::Big { chunk, left } => {
                if *left == 0 {
                    None
                } else {
                    let n = usize::try_from(*left).map_or(chunk.len(), |l| l.min(chunk.len()));
                    *left -= n as u64;
                    Some(Ok(Frame::data(chunk.slice(..n))))
                }
            }
        })
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Reply::Small(b) => b.is_none(),
            Reply::Big { left, .. } => *left == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Reply::Small(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Reply::Big { left, .. } => SizeHint::with_exact(*left),
        }
    }
}

/// Starts the server on its own thread with a current-thread runtime; returns its base URL.
fn start_server() -> Url {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("bench-server".into())
        .spawn(move || {
            // The allocation counts are the client's: the server's own are left out.
            alloc_count::exclude_this_thread();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                tx.send(listener.local_addr().expect("addr")).expect("send");
                let small = Bytes::from(vec![b'x'; SMALL]);
                let big = Bytes::from(vec![b'y'; SERVER_CHUNK]);
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let (small, big) = (small.clone(), big.clone());
                    let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                        let body = if req.uri().path() == "/big" {
                            Reply::Big {
                                chunk: big.clone(),
                                left: BIG,
                            }
                        } else {
                            Reply::Small(Some(small.clone()))
                        };
                        async move {
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .header("content-type", "application/octet-stream")
                                    .body(body)
                                    .expect("response"),
                            )
                        }
                    });
                    tokio::spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        })
        .expect("server thread");
    let addr = rx.recv().expect("server address");
    format!("http://{addr}/").parse().expect("url")
}

// ===== clients under test =====

/// One way to GET the 1 KiB body asynchronously.
#[derive(Clone)]
enum AsyncPeer {
    Clientcore(clientcore::Client, Arc<clientcore::Options>),
    Reqwest(reqwest::Client),
    /// Raw reqwest sending what clientcore's default pipeline sends: its `User-Agent` and a
    /// fresh UUID v4 request id (from the same per-thread generator), so the same bytes on
    /// the wire and the same work for the server. Not a target, a measure: the difference
    /// to the plain raw client is what those two headers cost, the rest is the pipeline's.
    /// The second such row also sets the seed's read and connection timeouts of 300 s with
    /// reqwest's own options (clientcore must honour them; plain raw reqwest keeps no timer).
    ReqwestSameHeaders(reqwest::Client, reqwest::header::HeaderValue, &'static str),
    Azure(Arc<azure_core::http::Pipeline>),
    /// hyper-util's pooled client with its plain TCP connector and nothing else: no headers,
    /// no timers, no TLS stack. What reqwest and clientcore's transport are built on; the
    /// floor under both, for reference.
    Hyper(
        hyper_util::client::legacy::Client<
            hyper_util::client::legacy::connect::HttpConnector,
            http_body_util::Empty<bytes::Bytes>,
        >,
    ),
    /// The same bare client sending the four headers clientcore's pipeline puts on every GET
    /// (its `User-Agent`, a fresh UUID v4 request id, `Accept: */*`, `Accept-Encoding: gzip,
    /// deflate`): the same bytes on the wire and the same work for the server. What is left
    /// between it and clientcore is the pipeline's own work (issue 18, target 2).
    HyperSameHeaders(
        hyper_util::client::legacy::Client<
            hyper_util::client::legacy::connect::HttpConnector,
            http_body_util::Empty<bytes::Bytes>,
        >,
        hyper::header::HeaderValue,
    ),
}

impl AsyncPeer {
    fn name(&self) -> &'static str {
        match self {
            AsyncPeer::Clientcore(..) => "clientcore Client",
            AsyncPeer::Reqwest(_) => "reqwest::Client (raw)",
            AsyncPeer::ReqwestSameHeaders(_, _, name) => name,
            AsyncPeer::Azure(_) => "azure_core Pipeline",
            AsyncPeer::Hyper(_) => "hyper-util Client (raw, floor)",
            AsyncPeer::HyperSameHeaders(..) => "hyper-util Client (raw) + clientcore's 4 headers",
        }
    }

    async fn get(&self, url: &Url) {
        let n = match self {
            AsyncPeer::Clientcore(client, opts) => {
                let request = clientcore::Request::new(clientcore::http::Method::GET, url.clone());
                let mut response = client.send(request, opts).await.expect("clientcore");
                response.read().await.expect("clientcore body").len()
            }
            AsyncPeer::Reqwest(client) => {
                let response = client.get(url.clone()).send().await.expect("reqwest");
                assert!(response.status().is_success());
                response.bytes().await.expect("reqwest body").len()
            }
            AsyncPeer::ReqwestSameHeaders(client, user_agent, _) => {
                let mut id = [0_u8; 36];
                uuid::Builder::from_random_bytes(clientcore::policies::random_u128().to_be_bytes())
                    .into_uuid()
                    .hyphenated()
                    .encode_lower(&mut id);
                let id = reqwest::header::HeaderValue::from_bytes(&id).expect("request id");
                let response = client
                    .get(url.clone())
                    .header(
                        reqwest::header::HeaderName::from_static("x-ms-client-request-id"),
                        id,
                    )
                    .header(reqwest::header::USER_AGENT, user_agent.clone())
                    .send()
                    .await
                    .expect("reqwest");
                assert!(response.status().is_success());
                response.bytes().await.expect("reqwest body").len()
            }
            AsyncPeer::Hyper(client) => {
                use http_body_util::BodyExt as _;
                let uri: hyper::Uri = url.as_str().parse().expect("uri");
                let response = client.get(uri).await.expect("hyper");
                assert!(response.status().is_success());
                response
                    .into_body()
                    .collect()
                    .await
                    .expect("body")
                    .to_bytes()
                    .len()
            }
            AsyncPeer::HyperSameHeaders(client, user_agent) => {
                use http_body_util::BodyExt as _;
                let mut id = [0_u8; 36];
                uuid::Builder::from_random_bytes(clientcore::policies::random_u128().to_be_bytes())
                    .into_uuid()
                    .hyphenated()
                    .encode_lower(&mut id);
                let request = hyper::Request::get(url.as_str())
                    .header(
                        "x-ms-client-request-id",
                        hyper::header::HeaderValue::from_bytes(&id).expect("request id"),
                    )
                    .header(hyper::header::USER_AGENT, user_agent.clone())
                    .header(hyper::header::ACCEPT, "*/*")
                    .header(hyper::header::ACCEPT_ENCODING, "gzip, deflate")
                    .body(http_body_util::Empty::new())
                    .expect("request");
                let response = client.request(request).await.expect("hyper");
                assert!(response.status().is_success());
                response
                    .into_body()
                    .collect()
                    .await
                    .expect("body")
                    .to_bytes()
                    .len()
            }
            AsyncPeer::Azure(pipeline) => {
                let ctx = azure_core::http::Context::new();
                let mut request =
                    azure_core::http::Request::new(url.clone(), azure_core::http::Method::Get);
                let response = pipeline
                    .send(&ctx, &mut request, None)
                    .await
                    .expect("azure_core");
                response.into_body().len()
            }
        };
        assert_eq!(n, SMALL);
    }
}

fn async_peers() -> Vec<AsyncPeer> {
    let clientcore = clientcore::Client::builder()
        .build()
        .expect("clientcore client");
    let pipeline = azure_core::http::Pipeline::new(
        Some("benches-peers"),
        Some("0.0.0"),
        azure_core::http::ClientOptions::default(),
        Vec::new(),
        Vec::new(),
        None,
    );
    let user_agent =
        reqwest::header::HeaderValue::from_str(&clientcore::policies::user_agent(None, None, None))
            .expect("user agent");
    let seed_timeouts = reqwest::Client::builder()
        .read_timeout(std::time::Duration::from_secs(300))
        .connect_timeout(std::time::Duration::from_secs(300))
        .build()
        .expect("reqwest client");
    let all = vec![
        AsyncPeer::Clientcore(clientcore, Arc::new(clientcore::Options::new())),
        AsyncPeer::Reqwest(reqwest::Client::new()),
        AsyncPeer::ReqwestSameHeaders(
            reqwest::Client::new(),
            user_agent.clone(),
            "reqwest::Client (raw) + clientcore's 2 headers",
        ),
        AsyncPeer::ReqwestSameHeaders(
            seed_timeouts,
            user_agent,
            "reqwest::Client (raw) + 2 headers + 300 s timeouts",
        ),
        AsyncPeer::Azure(Arc::new(pipeline)),
        AsyncPeer::Hyper(
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http(),
        ),
        AsyncPeer::HyperSameHeaders(
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http(),
            hyper::header::HeaderValue::from_str(&clientcore::policies::user_agent(
                None, None, None,
            ))
            .expect("user agent"),
        ),
    ];
    all.into_iter().filter(|p| keep_client(p.name())).collect()
}

/// For profiling one client alone: `PEERS_CLIENTS=clientcore` (a comma list of name parts, or
/// of whole names after `=`).
fn keep_client(name: &str) -> bool {
    match std::env::var("PEERS_CLIENTS") {
        // `=name` keeps that client only (plain raw reqwest's name is part of the others').
        Ok(keep) if !keep.is_empty() => keep.split(',').any(|k| match k.strip_prefix('=') {
            Some(exact) => name == exact,
            None => name.contains(k),
        }),
        _ => true,
    }
}

/// The client runtime: one thread, so the client side uses one core and the server the
/// other (the machine has two).
fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime")
}

/// `n` GETs one after the other; requests per second.
fn run_sequential(rt: &tokio::runtime::Runtime, peer: &AsyncPeer, url: &Url, n: usize) -> f64 {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..n {
            peer.get(url).await;
        }
        n as f64 / start.elapsed().as_secs_f64()
    })
}

/// `n` GETs with `CONCURRENCY` in flight; requests per second.
fn run_concurrent(rt: &tokio::runtime::Runtime, peer: &AsyncPeer, url: &Url, n: usize) -> f64 {
    rt.block_on(async {
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let tasks: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                let (peer, url, next) = (peer.clone(), url.clone(), next.clone());
                tokio::spawn(async move {
                    while next.fetch_add(1, Ordering::Relaxed) < n {
                        peer.get(&url).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
        n as f64 / start.elapsed().as_secs_f64()
    })
}

enum BlockingPeer {
    Clientcore(clientcore::BlockingClient, Arc<clientcore::Options>),
    Reqwest(reqwest::blocking::Client),
}

impl BlockingPeer {
    fn name(&self) -> &'static str {
        match self {
            BlockingPeer::Clientcore(..) => "clientcore BlockingClient",
            BlockingPeer::Reqwest(_) => "reqwest::blocking::Client (raw)",
        }
    }

    fn run(&self, url: &Url, n: usize) -> f64 {
        let start = Instant::now();
        for _ in 0..n {
            let len = match self {
                BlockingPeer::Clientcore(client, opts) => {
                    let request =
                        clientcore::Request::new(clientcore::http::Method::GET, url.clone());
                    let mut response = client.send(request, opts).expect("clientcore");
                    response.read().expect("clientcore body").len()
                }
                BlockingPeer::Reqwest(client) => {
                    let response = client.get(url.clone()).send().expect("reqwest");
                    assert!(response.status().is_success());
                    response.bytes().expect("reqwest body").len()
                }
            };
            assert_eq!(len, SMALL);
        }
        n as f64 / start.elapsed().as_secs_f64()
    }
}

// ===== download children =====

const DOWNLOADS: [&str; 5] = [
    "clientcore-64k",
    "clientcore-4096",
    "reqwest-chunk",
    "clientcore-blocking-64k",
    "reqwest-blocking-read-64k",
];

/// Peak and current resident set size in KiB, from /proc/self/status.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Runs in a fresh child: downloads 1 GiB with `variant`, prints
/// `bytes seconds peak_kib rss_before_kib`.
fn download_child(variant: &str, url: &str) {
    let url: Url = url.parse().expect("url");
    let block64 = clientcore::Options::new().with_block_size(64 * 1024);
    let (total, secs, before) = match variant {
        "clientcore-64k" | "clientcore-4096" | "reqwest-chunk" => {
            let rt = client_runtime();
            let opts = if variant == "clientcore-64k" {
                block64
            } else {
                clientcore::Options::new()
            };
            let cc = clientcore::Client::builder().build().expect("client");
            let rq = reqwest::Client::new();
            rt.block_on(async {
                let before = rss_kib().1;
                let start = Instant::now();
                let mut total = 0u64;
                if variant == "reqwest-chunk" {
                    let mut r = rq.get(url).send().await.expect("reqwest");
                    while let Some(c) = r.chunk().await.expect("chunk") {
                        total += c.len() as u64;
                    }
                } else {
                    let request = clientcore::Request::new(clientcore::http::Method::GET, url);
                    let mut r = cc.send(request, &opts).await.expect("clientcore");
                    while let Some(b) = r.next_block().await.expect("block") {
                        total += b.len() as u64;
                    }
                }
                (total, start.elapsed().as_secs_f64(), before)
            })
        }
        "clientcore-blocking-64k" => {
            let cc = clientcore::BlockingClient::builder()
                .build()
                .expect("client");
            let before = rss_kib().1;
            let start = Instant::now();
            let request = clientcore::Request::new(clientcore::http::Method::GET, url);
            let mut r = cc.send(request, &block64).expect("clientcore");
            let mut total = 0u64;
            while let Some(b) = r.next_block().expect("block") {
                total += b.len() as u64;
            }
            (total, start.elapsed().as_secs_f64(), before)
        }
        "reqwest-blocking-read-64k" => {
            let rq = reqwest::blocking::Client::new();
            let before = rss_kib().1;
            let start = Instant::now();
            let mut r = rq.get(url).send().expect("reqwest");
            let mut buf = vec![0u8; 64 * 1024];
            let mut total = 0u64;
            loop {
                let n = r.read(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                total += n as u64;
            }
            (total, start.elapsed().as_secs_f64(), before)
        }
        other => panic!("unknown download variant {other}"),
    };
    assert_eq!(total, BIG, "{variant} read {total} bytes");
    let (peak, _) = rss_kib();
    println!("{total} {secs} {peak} {before}");
}

/// Runs one download variant in a child process: (MiB/s, peak RSS KiB, RSS before KiB).
fn download_in_child(variant: &str, url: &Url) -> (f64, u64, u64) {
    let exe = std::env::current_exe().expect("current exe");
    let out = std::process::Command::new(exe)
        .args([
            "--download-child",
            variant,
            url.join("big").expect("url").as_str(),
        ])
        .output()
        .expect("spawn child");
    assert!(
        out.status.success(),
        "{variant}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = text.split_whitespace().collect();
    let bytes: f64 = f[0].parse().expect("bytes");
    let secs: f64 = f[1].parse().expect("secs");
    (
        bytes / secs / (1024.0 * 1024.0),
        f[2].parse().expect("peak"),
        f[3].parse().expect("before"),
    )
}

// ===== error bodies (issue 18) =====

/// The bodies of clientcore-proto's `error_parse` criterion bench: an OData v4 error of 1,078
/// bytes (four details, a nested `innererror`) and an ARM error of 1,172 bytes (details, an
/// `innererror`, a `PolicyViolation` `additionalInfo`).
const ERROR_BODIES: [(&str, &[u8], clientcore::ErrorFormat); 2] = [
    (
        "OData v4, 1,078 bytes",
        include_bytes!("../../crates/clientcore-proto/benches/bodies/odata_1kib.json"),
        clientcore::ErrorFormat::ODataV4,
    ),
    (
        "ARM, 1,172 bytes",
        include_bytes!("../../crates/clientcore-proto/benches/bodies/arm_1kib.json"),
        clientcore::ErrorFormat::Arm,
    ),
];

const ERROR_VARIANTS: [&str; 5] = [
    "serde_json::from_slice::<Value>",
    "clientcore from_response, explicit format",
    "clientcore from_response, Auto",
    "clientcore explicit, every field read back",
    "azure_core check_success + ErrorResponse",
];

/// Nanoseconds this thread has run on a CPU: unlike wall time, it leaves out the time other
/// processes had the core.
fn thread_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec).unwrap_or(0)
}

/// Polls a future that is ready at once (`check_success` on a `RawResponse` is).
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f
        .as_mut()
        .poll(&mut Context::from_waker(std::task::Waker::noop()))
    {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("check_success on a RawResponse was not ready"),
    }
}

/// Every field of a clientcore OData error, read as a caller that wants all of it would
/// (the free-form JSON is built on first read).
fn read_everything(e: &clientcore::Error) -> usize {
    fn walk(o: &clientcore::format::ODataError, n: &mut usize) {
        *n += o.code().map_or(0, str::len) + o.message().map_or(0, str::len);
        *n += o.target().map_or(0, str::len);
        *n += usize::from(o.innererror().is_some_and(|v| !v.is_null()));
        for ai in o.additional_info() {
            *n += ai.type_().len() + usize::from(!ai.info().is_null());
        }
        for d in o.details() {
            walk(d, n);
        }
    }
    let mut n = usize::from(e.kind() == clientcore::ErrorKind::HttpResponse);
    match e.service_error() {
        Some(clientcore::ServiceError::OData(o)) => walk(o, &mut n),
        other => panic!("not an OData error: {other:?}"),
    }
    n
}

/// Runs `variant` `n` times on `body`; returns (on-CPU ns, wall ns) per error. The responses
/// are built before the clock starts; what is timed is the parse and dropping its result.
fn run_error_variant(
    variant: usize,
    body: &'static [u8],
    fmt: clientcore::ErrorFormat,
    n: usize,
) -> (f64, f64) {
    let mut cc_headers = clientcore::http::HeaderMap::new();
    let mut az_headers = azure_core::http::headers::Headers::new();
    for (k, v) in [
        ("content-type", "application/json; charset=utf-8"),
        ("x-ms-request-id", "3f1b8e2a-5d4c-4e4f-9a1b-2c3d4e5f6a7b"),
    ] {
        cc_headers.insert(k, v.parse().expect("header"));
        az_headers.insert(k, v);
    }
    let map = clientcore::ErrorMap::generated();
    let bytes = Bytes::from_static(body);
    let cc: Vec<clientcore::CapturedResponse> = if (1..=3).contains(&variant) {
        (0..n)
            .map(|_| {
                clientcore::CapturedResponse::new(
                    clientcore::http::StatusCode::BAD_REQUEST,
                    cc_headers.clone(),
                    bytes.clone(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let az: Vec<azure_core::http::RawResponse> = if variant == 4 {
        (0..n)
            .map(|_| {
                azure_core::http::RawResponse::from_bytes(
                    azure_core::http::StatusCode::BadRequest,
                    az_headers.clone(),
                    bytes.clone(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let cpu = thread_cpu_ns();
    let wall = Instant::now();
    match variant {
        0 => {
            for _ in 0..n {
                let v: serde_json::Value = serde_json::from_slice(black_box(body)).expect("JSON");
                drop(black_box(v));
            }
        }
        1 | 2 => {
            let fmt = if variant == 1 {
                fmt
            } else {
                clientcore::ErrorFormat::Auto
            };
            for r in cc {
                let e = clientcore::Error::from_response(black_box(r), fmt, &map);
                assert!(e.service_error().is_some());
                drop(black_box(e));
            }
        }
        3 => {
            for r in cc {
                let e = clientcore::Error::from_response(black_box(r), fmt, &map);
                black_box(read_everything(&e));
                drop(e);
            }
        }
        _ => {
            for r in az {
                let err = ready(azure_core::error::check_success(black_box(r), None))
                    .expect_err("an error status");
                let parsed = azure_core::error::ErrorResponse::try_from(err).expect("parsed");
                assert!(parsed.error.is_some());
                drop(black_box(parsed));
            }
        }
    }
    let wall = wall.elapsed().as_nanos() as f64 / n as f64;
    let cpu = thread_cpu_ns().saturating_sub(cpu) as f64 / n as f64;
    (cpu, wall)
}

/// The error section of the report: per body, every variant in rotating order per round.
fn error_tables(n_rounds: usize, n: usize) -> String {
    let mut out = String::new();
    for (title, body, fmt) in ERROR_BODIES {
        for v in 0..ERROR_VARIANTS.len() {
            run_error_variant(v, body, fmt, n / 4 + 1);
        }
        let mut cpu = vec![Vec::new(); ERROR_VARIANTS.len()];
        let mut wall = vec![Vec::new(); ERROR_VARIANTS.len()];
        for r in 0..n_rounds {
            for k in 0..ERROR_VARIANTS.len() {
                let i = (r + k) % ERROR_VARIANTS.len();
                let (c, w) = run_error_variant(i, body, fmt, n);
                cpu[i].push(c);
                wall[i].push(w);
            }
        }
        let _ = write!(
            out,
            "\n### Error from a 1 KiB body: {title}\n\n\
             | variant | median on-CPU ns | min–max on-CPU ns | median ratio to Value (CPU) | median wall ns | median ratio to Value (wall) |\n\
             |---|---:|---:|---:|---:|---:|\n"
        );
        for (i, name) in ERROR_VARIANTS.iter().enumerate() {
            let ratio = |s: &[Vec<f64>]| {
                let r: Vec<f64> = s[i].iter().zip(&s[0]).map(|(a, b)| a / b).collect();
                median(&r)
            };
            let (lo, hi) = range(&cpu[i]);
            let _ = writeln!(
                out,
                "| {name} | {:.0} | {lo:.0}–{hi:.0} | {:.3}× | {:.0} | {:.3}× |",
                median(&cpu[i]),
                ratio(&cpu),
                median(&wall[i]),
                ratio(&wall),
            );
        }
        // The two ratios the issue names, per round, then their medians.
        let per_round = |a: usize, b: usize| {
            let r: Vec<f64> = cpu[a].iter().zip(&cpu[b]).map(|(x, y)| x / y).collect();
            median(&r)
        };
        let _ = writeln!(
            out,
            "\nAuto / explicit (CPU): {:.3}×; clientcore explicit / azure_core (CPU): {:.3}×; \
             clientcore read-all / azure_core (CPU): {:.3}×",
            per_round(2, 1),
            per_round(1, 4),
            per_round(3, 4),
        );
    }
    out
}

// ===== statistics and report =====

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Lowest and highest value.
fn range(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `variants` for `rounds` rounds in rotating order; returns per-variant samples.
fn rounds(count: usize, rounds: usize, mut run: impl FnMut(usize) -> f64) -> Vec<Vec<f64>> {
    let mut samples = vec![Vec::new(); count];
    for r in 0..rounds {
        for k in 0..count {
            let i = (r + k) % count;
            samples[i].push(run(i));
        }
    }
    samples
}

/// A markdown table: median req/s, spread, and the median per-round ratio to `baseline`.
fn table(title: &str, names: &[&str], samples: &[Vec<f64>], baseline: usize) -> String {
    // Issue 18's target 2 is a ratio to the bare hyper-util client: a second column when it ran.
    let floor = names
        .iter()
        .position(|n| *n == "hyper-util Client (raw, floor)");
    let mut s = format!(
        "\n### {title}\n\n| client | median req/s | min–max req/s | median ratio to {} |{}\n|---|---:|---:|---:|{}\n",
        names[baseline],
        floor.map_or(String::new(), |f| format!(" median ratio to {} |", names[f])),
        if floor.is_some() { "---:|" } else { "" },
    );
    let ratio = |i: usize, to: usize| {
        let ratios: Vec<f64> = samples[i]
            .iter()
            .zip(&samples[to])
            .map(|(a, b)| a / b)
            .collect();
        median(&ratios)
    };
    for (i, name) in names.iter().enumerate() {
        let (lo, hi) = range(&samples[i]);
        let _ = write!(
            s,
            "| {name} | {:.0} | {lo:.0}–{hi:.0} | {:.3}× |",
            median(&samples[i]),
            ratio(i, baseline)
        );
        if let Some(f) = floor {
            let _ = write!(s, " {:.3}× |", ratio(i, f));
        }
        s.push('\n');
    }
    s
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--download-child") {
        download_child(&args[i + 1], &args[i + 2]);
        return;
    }
    if args.iter().any(|a| a == "--tls-server") {
        // For profiling a cold child by hand: the TLS server alone for ten minutes.
        let server = tls::start_tls_server();
        println!("{} {}", server.url, server.ca_file.display());
        std::thread::sleep(std::time::Duration::from_secs(600));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--cold-child") {
        tls::cold_child(&args[i + 1], &args[i + 2], &args[i + 3]);
        return;
    }
    let n_rounds = env_usize("PEERS_ROUNDS", 15);
    let n = env_usize("PEERS_REQUESTS", 2000);
    let dl_rounds = env_usize("PEERS_DOWNLOAD_ROUNDS", 3);
    let error_rounds = env_usize("PEERS_ERROR_ROUNDS", 31);
    let error_iters = env_usize("PEERS_ERROR_ITERS", 4000);
    let only = std::env::var("PEERS_ONLY").unwrap_or_default();
    let wants = |what: &str| only.is_empty() || only.split(',').any(|w| w == what);

    let base = start_server();
    let small = base.join("small").expect("url");
    let started = Instant::now();
    let mut report = format!(
        "rounds {n_rounds}, {n} requests per variant per round, download rounds {dl_rounds}; \
         load average at start: {}\n",
        loadavg()
    );
    if let Ok(v) = std::env::var("RUST_BACKTRACE") {
        // azure_core's request-id policy builds an error (and so captures a backtrace) on
        // every call when the header is absent: unfair to it. Run with `env -u RUST_BACKTRACE`.
        let _ = writeln!(
            report,
            "WARNING: RUST_BACKTRACE={v} is set; azure_core captures a backtrace per request"
        );
    }
    eprintln!("{report}");

    if wants("errors") {
        let t = error_tables(error_rounds, error_iters);
        eprintln!("{t}");
        report.push_str(&t);
    }

    if wants("h2") {
        let t = tls::h2_table(n_rounds, n * 2);
        eprintln!("{t}");
        report.push_str(&t);
    }
    if wants("cold") {
        let t = tls::cold_table(env_usize("PEERS_COLD_RUNS", 31));
        eprintln!("{t}");
        report.push_str(&t);
    }

    let rt = client_runtime();
    let peers = if wants("seq") || wants("conc") {
        async_peers()
    } else {
        Vec::new()
    };
    let names: Vec<&str> = peers.iter().map(AsyncPeer::name).collect();
    let baseline = names
        .iter()
        .position(|n| *n == "reqwest::Client (raw)")
        .unwrap_or(0);
    // Warm up: connections, pools, lazy statics.
    for p in &peers {
        run_sequential(&rt, p, &small, 200);
        run_concurrent(&rt, p, &small, 500);
    }
    if wants("allocs") {
        let mut t = String::from(
            "\n### Heap allocations per 1 KiB GET, client side\n\n\
             | client | allocations per call, sequential | bytes per call, sequential | allocations per call, 32 in flight | bytes per call, 32 in flight |\n\
             |---|---:|---:|---:|---:|\n",
        );
        for p in &peers {
            let ((), sa, sb) = alloc_count::count(|| {
                run_sequential(&rt, p, &small, n);
            });
            let ((), ca, cb) = alloc_count::count(|| {
                run_concurrent(&rt, p, &small, n);
            });
            let per = |x: u64| x as f64 / n as f64;
            let _ = writeln!(
                t,
                "| {} | {:.1} | {:.0} | {:.1} | {:.0} |",
                p.name(),
                per(sa),
                per(sb),
                per(ca),
                per(cb)
            );
        }
        eprintln!("{t}");
        report.push_str(&t);
    }
    if wants("seq") {
        let s = rounds(peers.len(), n_rounds, |i| {
            run_sequential(&rt, &peers[i], &small, n)
        });
        let t = table("1 KiB GET, sequential (async)", &names, &s, baseline);
        eprintln!("{t}");
        report.push_str(&t);
    }
    if wants("conc") {
        let s = rounds(peers.len(), n_rounds, |i| {
            run_concurrent(&rt, &peers[i], &small, n * 2)
        });
        let t = table(
            "1 KiB GET, 32 requests in flight (async)",
            &names,
            &s,
            baseline,
        );
        eprintln!("{t}");
        report.push_str(&t);
    }
    drop(peers);
    drop(rt);

    if wants("blocking") || wants("allocs") {
        let peers: Vec<BlockingPeer> = vec![
            BlockingPeer::Clientcore(
                clientcore::BlockingClient::builder()
                    .build()
                    .expect("client"),
                Arc::new(clientcore::Options::new()),
            ),
            BlockingPeer::Reqwest(reqwest::blocking::Client::new()),
        ]
        .into_iter()
        .filter(|p| keep_client(p.name()))
        .collect();
        for p in &peers {
            p.run(&small, 200);
        }
        if wants("allocs") {
            let mut t = String::from(
                "\n### Heap allocations per 1 KiB GET, client side (blocking, sequential)\n\n\
                 | client | allocations per call | bytes per call |\n|---|---:|---:|\n",
            );
            for p in &peers {
                let (_, a, b) = alloc_count::count(|| p.run(&small, n));
                let _ = writeln!(
                    t,
                    "| {} | {:.1} | {:.0} |",
                    p.name(),
                    a as f64 / n as f64,
                    b as f64 / n as f64
                );
            }
            eprintln!("{t}");
            report.push_str(&t);
        }
        if wants("blocking") {
            let names: Vec<&str> = peers.iter().map(BlockingPeer::name).collect();
            let baseline = names
                .iter()
                .position(|n| n.contains("reqwest"))
                .unwrap_or(0);
            let s = rounds(peers.len(), n_rounds, |i| peers[i].run(&small, n));
            let t = table("1 KiB GET, sequential (blocking)", &names, &s, baseline);
            eprintln!("{t}");
            report.push_str(&t);
        }
    }

    if wants("download") {
        let mut mibs = vec![Vec::new(); DOWNLOADS.len()];
        let mut peaks = vec![Vec::new(); DOWNLOADS.len()];
        let mut befores = vec![Vec::new(); DOWNLOADS.len()];
        for r in 0..dl_rounds {
            for k in 0..DOWNLOADS.len() {
                let i = (r + k) % DOWNLOADS.len();
                let (m, peak, before) = download_in_child(DOWNLOADS[i], &base);
                mibs[i].push(m);
                peaks[i].push(peak as f64 / 1024.0);
                befores[i].push(before as f64 / 1024.0);
            }
        }
        let mut t = String::from(
            "\n### Streamed 1 GiB download (one fresh process per variant and round)\n\n\
             | variant | median MiB/s | min–max MiB/s | ratio to its raw reqwest | median peak RSS (VmHWM) | RSS before the call |\n\
             |---|---:|---:|---:|---:|---:|\n",
        );
        for (i, name) in DOWNLOADS.iter().enumerate() {
            let baseline = if name.contains("blocking") { 4 } else { 2 };
            let ratios: Vec<f64> = mibs[i]
                .iter()
                .zip(&mibs[baseline])
                .map(|(a, b)| a / b)
                .collect();
            let (lo, hi) = range(&mibs[i]);
            let _ = writeln!(
                t,
                "| {name} | {:.0} | {lo:.0}–{hi:.0} | {:.3}× | {:.1} MiB | {:.1} MiB |",
                median(&mibs[i]),
                median(&ratios),
                median(&peaks[i]),
                median(&befores[i]),
            );
        }
        eprintln!("{t}");
        report.push_str(&t);
    }
    let _ = write!(
        report,
        "\nload average at end: {}; wall time {:.0} s\n",
        loadavg(),
        started.elapsed().as_secs_f64()
    );
    println!("{report}");
}
