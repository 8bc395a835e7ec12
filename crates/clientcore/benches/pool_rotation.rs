//! Calls that rotate through 40 per-call connect timeouts against calls that all use one, on
//! loopback, under both clients (BENCHMARKS.md, "Pools under rotating connect timeouts").
//!
//! A connect timeout only matters while a connection opens; a transport that keyed its
//! connection pools on it would open a new connection for (almost) every call of the rotating
//! variant. The server is a minimal keep-alive responder on std threads, so the numbers are
//! the client's and the connections'.
//!
//! Knobs: `ROTATION_ROUNDS` (default 9), `ROTATION_REQUESTS` per variant per round (1,000).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use clientcore::http::Method;
use clientcore::{BlockingClient, Client, Options, Request};

/// A server answering every request on a connection with a 2-byte 200, for as long as the
/// client keeps it open.
fn start_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/bench", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
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
                            let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
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
    url
}

/// The options of call `i`: one connect timeout, or one of 40.
fn call_options(rotate: bool, i: usize) -> Options {
    let ms = if rotate {
        1_000 + (i % 40) as u64
    } else {
        1_000
    };
    Options::new().with_connection_timeout(Duration::from_millis(ms))
}

fn run_async(
    rt: &tokio::runtime::Runtime,
    client: &Client,
    url: &str,
    rotate: bool,
    n: usize,
) -> f64 {
    let started = Instant::now();
    rt.block_on(async {
        for i in 0..n {
            let request = Request::new(Method::GET, url.parse().unwrap());
            let mut r = client
                .send(request, &call_options(rotate, i))
                .await
                .unwrap();
            assert_eq!(&r.read().await.unwrap()[..], b"ok");
        }
    });
    f64::from(u32::try_from(n).unwrap()) / started.elapsed().as_secs_f64()
}

fn run_blocking(client: &BlockingClient, url: &str, rotate: bool, n: usize) -> f64 {
    let started = Instant::now();
    for i in 0..n {
        let request = Request::new(Method::GET, url.parse().unwrap());
        let mut r = client.send(request, &call_options(rotate, i)).unwrap();
        assert_eq!(&r.read().unwrap()[..], b"ok");
    }
    f64::from(u32::try_from(n).unwrap()) / started.elapsed().as_secs_f64()
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len().is_multiple_of(2) {
        f64::midpoint(v[mid - 1], v[mid])
    } else {
        v[mid]
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this with no arguments and
    // expects it to be quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick {
        1
    } else {
        env_usize("ROTATION_ROUNDS", 9)
    };
    let n = if quick {
        50
    } else {
        env_usize("ROTATION_REQUESTS", 1_000)
    };
    let url = start_server();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(async { Client::builder().build().unwrap() });
    let blocking = BlockingClient::builder().build().unwrap();
    // Warm-up: the pools and the connections exist before the first measured round.
    run_async(&rt, &client, &url, false, 50);
    run_blocking(&blocking, &url, false, 50);
    // req/s per round: [async one, async rotating, blocking one, blocking rotating]
    let mut samples: Vec<[f64; 4]> = Vec::new();
    for round in 0..rounds {
        let mut s = [0.0; 4];
        // Rotating order, so load from other processes hits the variants alike.
        for k in 0..4 {
            let v = (k + round) % 4;
            s[v] = match v {
                0 => run_async(&rt, &client, &url, false, n),
                1 => run_async(&rt, &client, &url, true, n),
                2 => run_blocking(&blocking, &url, false, n),
                _ => run_blocking(&blocking, &url, true, n),
            };
        }
        samples.push(s);
    }
    let column = |i: usize| samples.iter().map(|s| s[i]).collect::<Vec<_>>();
    let ratio = |one: usize, rot: usize| {
        median(&samples.iter().map(|s| s[one] / s[rot]).collect::<Vec<_>>())
    };
    println!("{rounds} rounds of {n} sequential GETs per variant");
    println!("| client | one timeout (req/s) | 40 rotating (req/s) | slowdown (median of per-round one/rotating) |");
    println!("|---|---|---|---|");
    println!(
        "| Client | {:.0} | {:.0} | {:.2}x |",
        median(&column(0)),
        median(&column(1)),
        ratio(0, 1)
    );
    println!(
        "| BlockingClient | {:.0} | {:.0} | {:.2}x |",
        median(&column(2)),
        median(&column(3)),
        ratio(2, 3)
    );
    drop(client);
    drop(rt);
}
