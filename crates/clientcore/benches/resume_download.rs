//! A 1 GiB streamed download cut three times by the server and resumed by the client
//! (BENCHMARKS.md, "A resumed 1 GiB download"): intact, how fast, and in how much memory.
//!
//! The server (std threads, loopback) generates the bytes as it sends them (nothing of the
//! 1 GiB is stored): 64-bit words of a mixing function of their index, so a byte at a wrong
//! offset (a splice, a skip, a repeat) cannot match. It honours `Range: bytes=<a>-` and
//! `If-Match`, and cuts the first three connections at scripted offsets. The client streams
//! the body with `next_block` (async) or `std::io::Read` (blocking) and checks every byte
//! against the generator as it arrives; it prints the throughput, the resumes and the peak
//! RSS (`VmHWM`).
//!
//! Knobs: `RESUME_BYTES` (default 1 GiB), `RESUME_DRIVER` (`async`, `blocking`, or `both`,
//! the default).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clientcore::http::Method;
use clientcore::{BlockingClient, Client, Options, Request, RetryOptions};

/// The word at index `i`: splitmix64's finaliser.
fn word(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The byte at offset `at`.
fn byte(at: u64) -> u8 {
    word(at / 8).to_le_bytes()[usize::try_from(at % 8).unwrap()]
}

/// Fills `buf` with the bytes from offset `at`.
fn fill(buf: &mut [u8], at: u64) {
    let mut pos = 0usize;
    let mut off = at;
    while pos < buf.len() && !off.is_multiple_of(8) {
        buf[pos] = byte(off);
        pos += 1;
        off += 1;
    }
    let mut words = buf[pos..].chunks_exact_mut(8);
    for w in &mut words {
        w.copy_from_slice(&word(off / 8).to_le_bytes());
        off += 8;
    }
    for b in words.into_remainder() {
        *b = byte(off);
        off += 1;
    }
}

/// Checks received bytes against the generator; `at` is their offset.
fn check(chunk: &[u8], at: u64) {
    let mut pos = 0usize;
    let mut off = at;
    // Up to a word boundary byte by byte, then whole words.
    while pos < chunk.len() && !off.is_multiple_of(8) {
        assert_eq!(chunk[pos], byte(off), "byte {off} differs");
        pos += 1;
        off += 1;
    }
    let words = chunk[pos..].chunks_exact(8);
    let tail = words.remainder();
    for w in words {
        assert_eq!(
            u64::from_le_bytes(w.try_into().unwrap()),
            word(off / 8),
            "the word at {off} differs"
        );
        off += 8;
    }
    for &b in tail {
        assert_eq!(b, byte(off), "byte {off} differs");
        off += 1;
    }
}

/// Serves the resource; connection `n` (from 0) is cut at `cuts[n]` when there is one.
fn start_server(total: u64, cuts: Vec<u64>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/blob", listener.local_addr().unwrap());
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let cut = cuts.get(n).copied();
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let (mut start, mut if_match_ok) = (0u64, true);
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("range: bytes=") {
                        start = v.trim().trim_end_matches('-').parse().unwrap();
                    }
                    if let Some(v) = lower.strip_prefix("if-match:") {
                        if_match_ok = v.trim() == "\"bench\"";
                    }
                }
                if !if_match_ok {
                    let _ = writer.write_all(
                        b"HTTP/1.1 412 Precondition Failed\r\ncontent-length: 0\r\n\r\n",
                    );
                    return;
                }
                let head = if start == 0 {
                    format!("HTTP/1.1 200 OK\r\ncontent-length: {total}\r\n")
                } else {
                    format!(
                        "HTTP/1.1 206 Partial Content\r\ncontent-length: {}\r\n\
                         content-range: bytes {start}-{}/{total}\r\n",
                        total - start,
                        total - 1
                    )
                };
                let head = format!("{head}etag: \"bench\"\r\nconnection: close\r\n\r\n");
                if writer.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let stop = cut.unwrap_or(total).min(total);
                let mut buf = vec![0u8; 256 * 1024];
                let mut at = start;
                while at < stop {
                    let n = usize::try_from((stop - at).min(buf.len() as u64)).unwrap();
                    fill(&mut buf[..n], at);
                    if writer.write_all(&buf[..n]).is_err() {
                        return;
                    }
                    at += n as u64;
                }
                // Dropped: the connection closes, before the end when cut.
            });
        }
    });
    (url, served)
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn options() -> Options {
    // Three resumes within `retry_read` (3); a short backoff, so the waits do not hide the
    // throughput (they are 0, 10 ms and 20 ms).
    Options::new()
        .with_block_size(64 * 1024)
        .with_retry(RetryOptions::new().with_backoff_factor(0.005))
}

fn run(driver: &str, total: u64) {
    let cuts = vec![total / 4 + 17, total / 2 + 4_099, total * 3 / 4 + 65_537];
    let (url, served) = start_server(total, cuts.clone());
    let request = || Request::new(Method::GET, url.parse().unwrap());
    let started = Instant::now();
    let (read, resumes) = if driver == "async" {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = Client::builder().options(options()).build().unwrap();
            let mut r = client.send(request(), &Options::new()).await.unwrap();
            let mut at = 0u64;
            while let Some(block) = r.next_block().await.unwrap() {
                check(&block, at);
                at += block.len() as u64;
            }
            (at, r.resumes().to_vec())
        })
    } else {
        let client = BlockingClient::builder()
            .options(options())
            .build()
            .unwrap();
        let mut r = client.send(request(), &Options::new()).unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let mut at = 0u64;
        loop {
            let n = std::io::Read::read(&mut r, &mut buf).unwrap();
            if n == 0 {
                break;
            }
            check(&buf[..n], at);
            at += n as u64;
        }
        (at, r.resumes().to_vec())
    };
    let took = started.elapsed();
    assert_eq!(read, total, "the whole body");
    let offsets: Vec<u64> = resumes.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, cuts, "resumed where the server cut");
    assert_eq!(served.load(Ordering::SeqCst), 4);
    #[allow(clippy::cast_precision_loss, reason = "a rate for people to read")]
    let mbps = total as f64 / 1e6 / took.as_secs_f64();
    let waits: Duration = resumes.iter().map(|r| r.wait).sum();
    println!(
        "{driver:>8}: {total} bytes intact, cut and resumed at {offsets:?}, {took:.2?} \
         ({mbps:.0} MB/s, waits {waits:?}), peak RSS so far {} MiB",
        peak_rss_kib() / 1024
    );
}

fn main() {
    let total: u64 = std::env::var("RESUME_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 30);
    let which = std::env::var("RESUME_DRIVER").unwrap_or_else(|_| "both".into());
    // `cargo bench` passes `--bench`; a filter argument is not used.
    for driver in ["async", "blocking"] {
        if which == "both" || which == driver {
            run(driver, total);
        }
    }
}
