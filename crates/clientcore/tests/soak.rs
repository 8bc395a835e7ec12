//! The soak of issue 4: one async client, 64 concurrent tasks, many requests against the
//! testkit with 1% of each fault injected (503, 429 with `retry-after-ms`, reset before
//! headers, a body cut mid-way, slow headers past the per-attempt timeout, a hang, a garbage
//! status line). Every request must end in a success with the full body or a classified
//! error: none lost, none hung. It prints the client process's RSS at the start and the end.
//!
//! The server runs in a child process (this test binary, re-run as `soak_server`), so the
//! RSS measured is the client's alone: the testkit records every request it sees.
//!
//! ```text
//! SOAK_REQUESTS=200000 cargo test --release -p clientcore --test soak -- --ignored --nocapture soak_one_client
//! ```
//!
//! The default is 5,000 requests. Retry waits do not sleep (a counting sleep); the attempt
//! timeouts (200 ms) are real.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clientcore::time::{AsyncSleep, SleepFuture};
use clientcore::{Client, Options, Request};
use http::Method;
use support::{Reply, Server};

const BODY_LEN: usize = 256;
const TASKS: usize = 64;

/// Which fault request `index` gets: 1% each of seven kinds, spread by a hash.
fn fault(index: usize) -> u64 {
    let mut z = (index as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % 100
}

fn reply(index: usize) -> Reply {
    let ok = Reply::status(200).body("o".repeat(BODY_LEN));
    match fault(index) {
        0 => Reply::status(503).body("busy"),
        1 => Reply::status(429).header("retry-after-ms", "5"),
        2 => Reply::reset(),
        3 => ok.close_mid_body(BODY_LEN / 2),
        4 => ok.delay(Duration::from_millis(600)),
        5 => Reply::hang(),
        6 => Reply::raw("HTTP/1.1 ??? nope\r\n\r\n"),
        _ => ok,
    }
}

/// The server half: run only as the child process of `soak_one_client`.
#[test]
#[ignore = "the server process of soak_one_client"]
fn soak_server() {
    if std::env::var_os("SOAK_SERVE").is_none() {
        return;
    }
    let server = Server::builder().handler(|r| reply(r.index)).build();
    println!("SOAK_ADDR={}", server.addr());
    // Serve until the parent closes our stdin.
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {}
    drop(server);
}

/// Waits nothing; counts the waits.
#[derive(Debug, Default)]
struct CountingSleep {
    count: AtomicU64,
    nanos: AtomicU64,
}

impl AsyncSleep for CountingSleep {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.nanos.fetch_add(
            u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        Box::pin(std::future::ready(()))
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Starts `soak_server` in a child process and returns it with the address it listens on.
fn spawn_server() -> (std::process::Child, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "soak_server",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SOAK_SERVE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        // libtest prints `test soak_server ... ` on the same line first.
        .find_map(|l| Some(l.split_once("SOAK_ADDR=")?.1.trim().to_owned()))
        .expect("the server process did not start");
    (child, addr)
}

#[test]
#[ignore = "a soak: run it on purpose (see the module docs)"]
fn soak_one_client() {
    let total: usize = std::env::var("SOAK_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let (mut child, addr) = spawn_server();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sleep = Arc::new(CountingSleep::default());
    let client = Client::builder()
        .options(Options::new().with_attempt_timeout(Duration::from_millis(200)))
        .sleep(sleep.clone())
        .build()
        .unwrap();

    let rss_start = rss_kib();
    let started = Instant::now();
    let done = Arc::new(AtomicU64::new(0));
    let rss_warm = Arc::new(AtomicU64::new(0));
    let outcomes = runtime.block_on(async {
        // RSS once a tenth of the requests are done (pools and buffers warm).
        let monitor = {
            let (done, rss_warm) = (done.clone(), rss_warm.clone());
            tokio::spawn(async move {
                while done.load(Ordering::Relaxed) < (total as u64).div_ceil(10) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                rss_warm.store(rss_kib(), Ordering::Relaxed);
            })
        };
        let mut tasks = Vec::new();
        for t in 0..TASKS {
            let client = client.clone();
            let done = done.clone();
            let url = format!("http://{addr}/soak/{t}");
            let n = total / TASKS + usize::from(t < total % TASKS);
            tasks.push(tokio::spawn(async move {
                let mut seen: BTreeMap<String, usize> = BTreeMap::new();
                for _ in 0..n {
                    let call = async {
                        let request = Request::new(Method::GET, url.parse().unwrap());
                        let mut r = client.send(request, &Options::new()).await?;
                        r.read().await
                    };
                    let key = match tokio::time::timeout(Duration::from_secs(60), call).await {
                        Ok(Ok(body)) if body.len() == BODY_LEN => "ok".to_owned(),
                        Ok(Ok(body)) => format!("short body {}", body.len()),
                        Ok(Err(e)) => format!("{:?}", e.kind()),
                        Err(_) => "HUNG".to_owned(),
                    };
                    *seen.entry(key).or_default() += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                seen
            }));
        }
        let mut all: BTreeMap<String, usize> = BTreeMap::new();
        for t in tasks {
            for (k, v) in t.await.unwrap() {
                *all.entry(k).or_default() += v;
            }
        }
        monitor.await.unwrap();
        all
    });
    let elapsed = started.elapsed();
    let rss_end = rss_kib();
    drop(client);
    drop(runtime);
    drop(child.stdin.take());
    let _ = child.wait();

    let ended: usize = outcomes.values().sum();
    eprintln!(
        "soak: {total} requests, {TASKS} tasks, {:.1} s ({:.0} req/s); outcomes {outcomes:?}; \
         retry waits {} totalling {:.1} s (not slept); RSS start {rss_start} KiB, after 10% {} KiB, end {rss_end} KiB",
        elapsed.as_secs_f64(),
        f64::from(u32::try_from(total).unwrap_or(u32::MAX)) / elapsed.as_secs_f64(),
        sleep.count.load(Ordering::Relaxed),
        Duration::from_nanos(sleep.nanos.load(Ordering::Relaxed)).as_secs_f64(),
        rss_warm.load(Ordering::Relaxed),
    );
    assert_eq!(ended, total, "requests lost");
    assert!(!outcomes.contains_key("HUNG"), "{outcomes:?}");
    // A classified error is one of the transport kinds, an HTTP error after exhausted
    // retries, or a body cut short after the response was handed over.
    let allowed = [
        "ok",
        "IncompleteRead",
        "ServiceResponse",
        "ServiceResponseTimeout",
        "HttpResponse",
    ];
    for k in outcomes.keys() {
        assert!(
            allowed.contains(&k.as_str()),
            "unclassified outcome {k}: {outcomes:?}"
        );
    }
    assert!(
        outcomes.get("ok").copied().unwrap_or(0) * 100 >= total * 95,
        "{outcomes:?}"
    );
}
