//! The TLS rows (issues 17 and 18): 1 KiB GETs with 32 in flight over HTTP/2 on one TLS
//! connection, and the cold start of a client in a fresh process.
//!
//! The server is hyper's, on its own thread and current-thread runtime, behind rustls with a
//! certificate made by rcgen for this run (a CA and a `127.0.0.1` certificate it signed). The
//! handshake offers ALPN `h2` and `http/1.1`; each connection speaks what the client chose, and
//! the server counts connections and requests per protocol, so the report can show that every
//! request of the HTTP/2 rows went over HTTP/2 on one connection per client.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use url::Url;

use crate::{client_runtime, median, range, rounds, CONCURRENCY, SMALL};

/// What the TLS server saw.
#[derive(Default)]
pub struct Seen {
    connections: AtomicUsize,
    h2_connections: AtomicUsize,
    h1_requests: AtomicUsize,
    h2_requests: AtomicUsize,
}

impl Seen {
    fn snapshot(&self) -> [usize; 4] {
        [
            self.connections.load(Ordering::Relaxed),
            self.h2_connections.load(Ordering::Relaxed),
            self.h1_requests.load(Ordering::Relaxed),
            self.h2_requests.load(Ordering::Relaxed),
        ]
    }
}

/// A running TLS server: its base URL, the CA's PEM file (deleted on drop), its counters.
pub struct TlsServer {
    pub url: Url,
    pub ca_file: PathBuf,
    pub ca_pem: Vec<u8>,
    pub seen: Arc<Seen>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

/// A CA and a server certificate for `127.0.0.1` it signed: (CA PEM, server chain, key).
fn certificates() -> (
    String,
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key).expect("CA");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("server key");
    let params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("server params");
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    (ca.pem(), vec![cert.der().clone()], key)
}

/// Starts the TLS server (ALPN `h2` then `http/1.1`) on its own thread.
pub fn start_tls_server() -> TlsServer {
    let (ca_pem, chain, key) = certificates();
    let ca_file = std::env::temp_dir().join(format!("peers-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_file, &ca_pem).expect("write the CA file");
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("server certificate");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let seen = Arc::new(Seen::default());
    let counters = seen.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("bench-tls-server".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            rt.block_on(accept_loop(acceptor, counters, tx));
        })
        .expect("server thread");
    let addr = rx.recv().expect("server address");
    TlsServer {
        url: format!("https://{addr}/").parse().expect("url"),
        ca_file,
        ca_pem: ca_pem.into_bytes(),
        seen,
    }
}

async fn accept_loop(
    acceptor: tokio_rustls::TlsAcceptor,
    seen: Arc<Seen>,
    tx: std::sync::mpsc::Sender<std::net::SocketAddr>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    tx.send(listener.local_addr().expect("addr")).expect("send");
    let small = Bytes::from(vec![b'x'; SMALL]);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (acceptor, seen, small) = (acceptor.clone(), seen.clone(), small.clone());
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(stream).await else {
                return;
            };
            let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
            seen.connections.fetch_add(1, Ordering::Relaxed);
            if h2 {
                seen.h2_connections.fetch_add(1, Ordering::Relaxed);
            }
            let counters = seen.clone();
            let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                let counter = if req.version() == hyper::Version::HTTP_2 {
                    &counters.h2_requests
                } else {
                    &counters.h1_requests
                };
                counter.fetch_add(1, Ordering::Relaxed);
                let body = http_body_util::Full::new(small.clone());
                async move {
                    Ok::<_, Infallible>(
                        hyper::Response::builder()
                            .header("content-type", "application/octet-stream")
                            .body(body)
                            .expect("response"),
                    )
                }
            });
            let io = hyper_util::rt::TokioIo::new(tls);
            if h2 {
                let _ =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(io, service)
                        .await;
            } else {
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(io, service)
                    .await;
            }
        });
    }
}

// ===== HTTP/2, 32 in flight =====

/// A client of the HTTP/2 rows, built once, trusting the run's CA and nothing else.
#[derive(Clone)]
enum H2Peer {
    Clientcore(clientcore::Client, Arc<clientcore::Options>),
    Reqwest(reqwest::Client),
}

impl H2Peer {
    fn name(&self) -> &'static str {
        match self {
            H2Peer::Clientcore(..) => "clientcore Client (HTTP/2, TLS)",
            H2Peer::Reqwest(_) => "reqwest::Client (raw, HTTP/2, TLS)",
        }
    }

    async fn get(&self, url: &Url) {
        let n = match self {
            H2Peer::Clientcore(client, opts) => {
                let request = clientcore::Request::new(clientcore::http::Method::GET, url.clone());
                let mut response = client.send(request, opts).await.expect("clientcore");
                response.read().await.expect("clientcore body").len()
            }
            H2Peer::Reqwest(client) => {
                let response = client.get(url.clone()).send().await.expect("reqwest");
                assert!(response.status().is_success());
                assert_eq!(response.version(), reqwest::Version::HTTP_2);
                response.bytes().await.expect("reqwest body").len()
            }
        };
        assert_eq!(n, SMALL);
    }
}

fn h2_run(
    rt: &tokio::runtime::Runtime,
    peer: &H2Peer,
    url: &Url,
    n: usize,
    in_flight: usize,
) -> f64 {
    rt.block_on(async {
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let tasks: Vec<_> = (0..in_flight)
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

/// The HTTP/2 table: clientcore against reqwest (its `http2` feature, ALPN), 32 in flight, on
/// one TLS connection each.
pub fn h2_table(n_rounds: usize, n: usize) -> String {
    let server = start_tls_server();
    let url = server.url.join("small").expect("url");
    let clientcore = clientcore::Client::builder()
        .options(
            clientcore::Options::new()
                .with_connection_verify(clientcore::Verify::CaBundle(server.ca_file.clone())),
        )
        .build()
        .expect("clientcore client");
    let ca = reqwest::Certificate::from_pem(&server.ca_pem).expect("CA");
    let reqwest = reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .expect("reqwest client");
    let peers: Vec<H2Peer> = vec![
        H2Peer::Clientcore(clientcore, Arc::new(clientcore::Options::new())),
        H2Peer::Reqwest(reqwest),
    ]
    .into_iter()
    .filter(|p| crate::keep_client(p.name()))
    .collect();
    let rt = client_runtime();
    // Warm up: one request alone first, so the connection exists before 32 tasks ask for one
    // (a pool that has not yet learnt the connection speaks HTTP/2 may open several).
    for p in &peers {
        h2_run(&rt, p, &url, 1, 1);
        h2_run(&rt, p, &url, 500, CONCURRENCY);
    }
    let names: Vec<&str> = peers.iter().map(H2Peer::name).collect();
    let baseline = names
        .iter()
        .position(|n| n.contains("reqwest"))
        .unwrap_or(0);
    let s = rounds(peers.len(), n_rounds, |i| {
        h2_run(&rt, &peers[i], &url, n, CONCURRENCY)
    });
    let [connections, h2_connections, h1_requests, h2_requests] = server.seen.snapshot();
    let mut t = crate::table(
        "1 KiB GET, 32 requests in flight over HTTP/2 (TLS, ALPN, one connection per client)",
        &names,
        &s,
        baseline,
    );
    let _ = writeln!(
        t,
        "\nThe server saw {connections} TLS connections ({h2_connections} HTTP/2), \
         {h2_requests} HTTP/2 requests and {h1_requests} HTTP/1.1 requests."
    );
    assert_eq!(h1_requests, 0, "an HTTP/2 row went over HTTP/1.1");
    assert_eq!(
        connections,
        peers.len(),
        "a client opened more than one connection"
    );
    t
}

// ===== cold start =====

/// The cold-start variants: each is one fresh process that builds a client and makes one GET.
pub const COLD: [&str; 5] = [
    "clientcore, CaBundle (the test CA only)",
    "reqwest, tls_certs_only (the test CA only)",
    "reqwest, add_root_certificate (platform roots + the test CA)",
    "clientcore, Verify::On (platform verifier, SSL_CERT_FILE)",
    "reqwest, default (platform verifier, SSL_CERT_FILE)",
];

/// In a fresh child: builds the client of `variant`, makes one GET; prints the nanoseconds of
/// `build()` and of the first call (send and the whole body).
pub fn cold_child(variant: &str, url: &str, ca_file: &str) {
    let url: Url = url.parse().expect("url");
    let rt = client_runtime();
    let i = COLD.iter().position(|v| *v == variant).expect("variant");
    if std::env::var_os("PEERS_COLD_SEEDED").is_some() {
        // aws-lc seeds its random generator from CPU jitter on first use (tens of ms, the same
        // for both clients, which both use aws-lc-rs): done here, before the clock starts, the
        // times left are the clients' own.
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        provider
            .secure_random
            .fill(&mut [0_u8; 32])
            .expect("random");
    }
    let (build, first) = rt.block_on(async {
        let start = Instant::now();
        if i == 0 || i == 3 {
            let verify = if i == 0 {
                clientcore::Verify::CaBundle(PathBuf::from(ca_file))
            } else {
                clientcore::Verify::On
            };
            let client = clientcore::Client::builder()
                .options(clientcore::Options::new().with_connection_verify(verify))
                .build()
                .expect("clientcore client");
            let built = start.elapsed();
            let request = clientcore::Request::new(clientcore::http::Method::GET, url);
            let mut response = client
                .send(request, &clientcore::Options::new())
                .await
                .expect("clientcore");
            assert_eq!(response.read().await.expect("body").len(), SMALL);
            (built, start.elapsed() - built)
        } else {
            let builder = reqwest::Client::builder();
            let builder = if i == 4 {
                builder
            } else {
                let pem = std::fs::read(ca_file).expect("CA file");
                let ca = reqwest::Certificate::from_pem(&pem).expect("CA");
                if i == 1 {
                    builder.tls_certs_only([ca])
                } else {
                    builder.add_root_certificate(ca)
                }
            };
            let client = builder.build().expect("reqwest client");
            let built = start.elapsed();
            let response = client.get(url).send().await.expect("reqwest");
            assert!(response.status().is_success());
            assert_eq!(response.bytes().await.expect("body").len(), SMALL);
            (built, start.elapsed() - built)
        }
    });
    println!("{} {}", build.as_nanos(), first.as_nanos());
}

/// The cold-start table: `runs` fresh processes per variant, in rotating order.
pub fn cold_table(runs: usize) -> String {
    let server = start_tls_server();
    let url = server.url.join("small").expect("url");
    // The platform verifier's roots: the system's bundle plus the run's CA, handed to
    // rustls-native-certs through SSL_CERT_FILE (what it reads first when set), so the
    // platform rows load as many roots as an SDK in production does.
    let system =
        std::fs::read("/etc/ssl/certs/ca-certificates.crt").expect("the system's CA bundle");
    let bundle = std::env::temp_dir().join(format!("peers-bundle-{}.pem", std::process::id()));
    let mut all = system.clone();
    all.extend_from_slice(&server.ca_pem);
    std::fs::write(&bundle, &all).expect("write the bundle");
    let exe = std::env::current_exe().expect("current exe");
    let mut build = vec![Vec::new(); COLD.len()];
    let mut first = vec![Vec::new(); COLD.len()];
    let mut process = vec![Vec::new(); COLD.len()];
    let mut total = vec![Vec::new(); COLD.len()];
    for r in 0..runs {
        for k in 0..COLD.len() {
            let i = (r + k) % COLD.len();
            let start = Instant::now();
            let out = std::process::Command::new(&exe)
                .args(["--cold-child", COLD[i], url.as_str()])
                .arg(&server.ca_file)
                .env("SSL_CERT_FILE", &bundle)
                .env_remove("SSL_CERT_DIR")
                .output()
                .expect("spawn child");
            let wall = start.elapsed().as_secs_f64() * 1e3;
            assert!(
                out.status.success(),
                "{}: {}",
                COLD[i],
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout);
            let f: Vec<f64> = text
                .split_whitespace()
                .map(|v| v.parse::<f64>().expect("number") / 1e6)
                .collect();
            build[i].push(f[0]);
            first[i].push(f[1]);
            total[i].push(f[0] + f[1]);
            process[i].push(wall);
        }
    }
    let _ = std::fs::remove_file(&bundle);
    let root_count = String::from_utf8_lossy(&system)
        .matches("BEGIN CERTIFICATE")
        .count();
    let seeded = if std::env::var_os("PEERS_COLD_SEEDED").is_some() {
        "; aws-lc's random generator seeded before the clock starts"
    } else {
        ""
    };
    let mut t = format!(
        "\n### Cold start over TLS (HTTP/2 by ALPN), one fresh process per run ({runs} runs per \
         variant; platform rows: SSL_CERT_FILE = the system's {root_count} roots + the test CA{seeded})\n\n\
         | variant | build() ms | first call ms | build() to first response ms (min–max) | median ratio | against | child process ms |\n\
         |---|---:|---:|---:|---:|---|---:|\n"
    );
    for (i, name) in COLD.iter().enumerate() {
        // clientcore's rows against reqwest's with the same roots trusted: the test CA only
        // (row 1), the platform's (row 4); reqwest's other rows against its test-CA-only row
        // (what loading the platform's roots costs it).
        let baseline = if i == 3 { 4 } else { 1 };
        let ratios: Vec<f64> = total[i]
            .iter()
            .zip(&total[baseline])
            .map(|(a, b)| a / b)
            .collect();
        let (lo, hi) = range(&total[i]);
        let _ = writeln!(
            t,
            "| {name} | {:.2} | {:.2} | {:.2} ({lo:.2}–{hi:.2}) | {:.3}× | row {} | {:.1} |",
            median(&build[i]),
            median(&first[i]),
            median(&total[i]),
            median(&ratios),
            baseline + 1,
            median(&process[i]),
        );
    }
    let first_ratio = |a: usize, b: usize| {
        let r: Vec<f64> = first[a].iter().zip(&first[b]).map(|(x, y)| x / y).collect();
        median(&r)
    };
    let _ = writeln!(
        t,
        "\nFirst call alone, median of per-round ratios: clientcore CaBundle / reqwest \
         tls_certs_only {:.3}×; clientcore Verify::On / reqwest default {:.3}×.",
        first_ratio(0, 1),
        first_ratio(3, 4)
    );
    t
}
