//! 64 concurrent callers against a local server that throttles, with the client's throttle
//! gate on and off (BENCHMARKS.md, "The throttle gate under 64 concurrent callers"): the
//! requests the server sees for the same calls, with the same retry policy.
//!
//! The server allows `THROTTLE_LIMIT` requests (default 32) per fixed window of one second and
//! answers the others `429` with `Retry-After: 1`, as a service's rate limiter does. Each of
//! the 64 callers makes `THROTTLE_CALLS` calls (default 4) one after the other; every call
//! retries its 429s (up to 30 times, with a retry budget too large to run out, so that every
//! call ends in a 200 either way). Without the gate, a caller whose call just succeeded sends
//! its next one into the closed window and gets a 429 of its own; with it, the call waits for
//! the window to reopen. Both clients (`Client` on a two-thread runtime, `BlockingClient` on
//! 64 threads).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clientcore::http::Method;
use clientcore::pipeline::retry::RetryBudget;
use clientcore::{BlockingClient, Client, Options, Request, RetryOptions};

const CALLERS: usize = 64;
const WINDOW: Duration = Duration::from_secs(1);

/// What the server counted.
#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    throttled: AtomicU64,
}

/// A fixed-window rate limiter: `limit` requests per second, 429 `Retry-After: 1` past it.
struct Limiter {
    limit: u64,
    window: Mutex<(Instant, u64)>,
}

impl Limiter {
    fn admit(&self) -> bool {
        let mut w = self.window.lock().unwrap();
        let now = Instant::now();
        if now.duration_since(w.0) >= WINDOW {
            // The next window starts on the second boundary after the last one.
            let windows = now.duration_since(w.0).as_nanos() / WINDOW.as_nanos();
            w.0 += WINDOW * u32::try_from(windows).unwrap();
            w.1 = 0;
        }
        w.1 += 1;
        w.1 <= self.limit
    }
}

fn start_server(limit: u64) -> (String, Arc<Counts>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/bench", listener.local_addr().unwrap());
    let counts = Arc::new(Counts::default());
    let limiter = Arc::new(Limiter {
        limit,
        window: Mutex::new((Instant::now(), 0)),
    });
    let c = counts.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (counts, limiter) = (c.clone(), limiter.clone());
            std::thread::spawn(move || {
                let _ = stream.set_nodelay(true);
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                loop {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        // The end of a head (GETs here carry no body).
                        Ok(_) if line == "\r\n" => {
                            counts.requests.fetch_add(1, Ordering::Relaxed);
                            let reply: &[u8] = if limiter.admit() {
                                b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
                            } else {
                                counts.throttled.fetch_add(1, Ordering::Relaxed);
                                b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n"
                            };
                            if writer.write_all(reply).is_err() {
                                return;
                            }
                        }
                        Ok(_) => {}
                    }
                }
            });
        }
    });
    (url, counts)
}

/// The same retry policy for both variants: enough retries and budget that every call ends
/// in a 200.
fn options(gate: bool) -> Options {
    let retry = RetryOptions::new()
        .with_total(30)
        .with_status(30)
        .with_budget(RetryBudget::new().with_capacity(1_000_000));
    Options::new().with_retry(retry).with_throttle_gate(gate)
}

struct Run {
    requests: u64,
    throttled: u64,
    ok: u64,
    failed: u64,
    secs: f64,
}

fn run_async(gate: bool, limit: u64, calls: usize) -> Run {
    let (url, counts) = start_server(limit);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder().options(options(gate)).build().unwrap();
    let started = Instant::now();
    let results: Vec<(u64, u64)> = rt.block_on(async {
        let tasks: Vec<_> = (0..CALLERS)
            .map(|_| {
                let (client, url) = (client.clone(), url.clone());
                tokio::spawn(async move {
                    let (mut ok, mut failed) = (0, 0);
                    for _ in 0..calls {
                        let request = Request::new(Method::GET, url.parse().unwrap());
                        match client.send(request, &Options::new()).await {
                            Ok(mut r) => {
                                let _ = r.read().await;
                                ok += 1;
                            }
                            Err(_) => failed += 1,
                        }
                    }
                    (ok, failed)
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    finish(&counts, &results, started)
}

fn run_blocking(gate: bool, limit: u64, calls: usize) -> Run {
    let (url, counts) = start_server(limit);
    let client = BlockingClient::builder()
        .options(options(gate))
        .build()
        .unwrap();
    let started = Instant::now();
    let threads: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            std::thread::spawn(move || {
                let (mut ok, mut failed) = (0, 0);
                for _ in 0..calls {
                    let request = Request::new(Method::GET, url.parse().unwrap());
                    match client.send(request, &Options::new()) {
                        Ok(mut r) => {
                            let _ = r.read();
                            ok += 1;
                        }
                        Err(_) => failed += 1,
                    }
                }
                (ok, failed)
            })
        })
        .collect();
    let results: Vec<(u64, u64)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    finish(&counts, &results, started)
}

fn finish(counts: &Counts, results: &[(u64, u64)], started: Instant) -> Run {
    Run {
        requests: counts.requests.load(Ordering::Relaxed),
        throttled: counts.throttled.load(Ordering::Relaxed),
        ok: results.iter().map(|r| r.0).sum(),
        failed: results.iter().map(|r| r.1).sum(),
        secs: started.elapsed().as_secs_f64(),
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (a filter) is ignored.
    let limit = env("THROTTLE_LIMIT", 32);
    let calls = usize::try_from(env("THROTTLE_CALLS", 4)).unwrap();
    println!(
        "{CALLERS} callers x {calls} calls, server allows {limit} requests per 1 s window \
         (429 Retry-After: 1 past it)"
    );
    println!("| Client | Gate | Requests the server saw | 429s | Calls ok / failed | Wall time |");
    println!("|---|---|---|---|---|---|");
    for (name, run) in [
        ("Client", run_async as fn(bool, u64, usize) -> Run),
        ("BlockingClient", run_blocking),
    ] {
        for gate in [false, true] {
            let r = run(gate, limit, calls);
            println!(
                "| `{name}` | {} | {} | {} | {} / {} | {:.1} s |",
                if gate { "on" } else { "off" },
                r.requests,
                r.throttled,
                r.ok,
                r.failed,
                r.secs
            );
        }
    }
}
