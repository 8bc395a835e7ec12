//! Transparent resume of streamed downloads (issue 17), through the real default transport
//! against a raw-socket server written here: it serves one resource honouring `Range`,
//! `If-Match` and `If-Range` as RFC 9110 says (or, when a test asks, as a broken server
//! would), and cuts the connection at the offsets a test scripts. Both drivers; the async
//! body is streamed with `next_block`, the blocking one read through `std::io::Read`. Waits
//! between resumes run on the fake clock.

mod support;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clientcore::options::StallProtection;
use clientcore::pipeline::resume::ResumeRecord;
use clientcore::{Body, Error, ErrorKind, Options, Request, RetryOptions};
use http::Method;
use support::{Driver, TestClient};

// ===== the server =====

/// One request as the server read it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A version of the resource.
#[derive(Clone)]
struct Version {
    body: Vec<u8>,
    /// The `ETag` header's value, quotes (and `W/`) included.
    etag: Option<String>,
    last_modified: Option<String>,
    content_encoding: Option<&'static str>,
}

/// How the server answers the `n`-th request (from 0).
#[derive(Clone, Default)]
struct Script {
    /// `versions[n]`, else the last: which version the `n`-th request sees.
    versions: Vec<Version>,
    /// `cuts[n]`: the offset in the representation at which the `n`-th answer is cut.
    cuts: Vec<Option<u64>>,
    /// `stalls[n]`: the offset at which the `n`-th answer stops sending (and holds the
    /// connection open) instead.
    stalls: Vec<Option<u64>>,
    /// Answers 200 with the whole body whatever the `Range`.
    ignore_range: bool,
    /// Answers a range whatever the `If-Match` (a broken server).
    ignore_if_match: bool,
}

struct RawServer {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl RawServer {
    fn start(script: Script) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/blob", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for (n, conn) in listener.incoming().enumerate() {
                let Ok(conn) = conn else { return };
                // One request per connection (the answers say `Connection: close`); served
                // on a thread of its own so that a stalled answer does not hold the next.
                let log = log.clone();
                let script = script.clone();
                std::thread::spawn(move || serve(conn, n, &script, &log));
            }
        });
        RawServer { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(conn: TcpStream, n: usize, script: &Script, log: &Mutex<Vec<Seen>>) {
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let method = line.split(' ').next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let seen = Seen { method, headers };
    log.lock().unwrap().push(seen.clone());

    let v = &script.versions[n.min(script.versions.len() - 1)];
    let total = v.body.len() as u64;
    let mut head = String::new();
    let etag_ok = |value: &str| v.etag.as_deref() == Some(value);
    let (status, start, end) = match seen.header("range") {
        _ if seen.header("if-match").is_some_and(|m| !etag_ok(m)) && !script.ignore_if_match => {
            (412, 0, 0)
        }
        Some(range) if !script.ignore_range => {
            let still = match seen.header("if-range") {
                Some(date) if date.starts_with('"') => etag_ok(date),
                Some(date) => v.last_modified.as_deref() == Some(date),
                None => true,
            };
            let spec = range.strip_prefix("bytes=").unwrap();
            let (a, b) = spec.split_once('-').unwrap();
            let a: u64 = a.parse().unwrap();
            let b: u64 = if b.is_empty() {
                total - 1
            } else {
                b.parse().unwrap()
            };
            if still {
                let _ = write!(head, "Content-Range: bytes {a}-{b}/{total}\r\n");
                (206, a, b + 1)
            } else {
                (200, 0, total)
            }
        }
        _ => (200, 0, total),
    };
    let reason = match status {
        200 => "OK",
        206 => "Partial Content",
        _ => "Precondition Failed",
    };
    let payload: &[u8] = if status == 412 {
        &[]
    } else {
        &v.body[usize::try_from(start).unwrap()..usize::try_from(end).unwrap()]
    };
    if status != 412 {
        if let Some(etag) = &v.etag {
            let _ = write!(head, "ETag: {etag}\r\n");
        }
        if let Some(date) = &v.last_modified {
            let _ = write!(head, "Last-Modified: {date}\r\n");
        }
        if let Some(coding) = v.content_encoding {
            let _ = write!(head, "Content-Encoding: {coding}\r\n");
        }
    }
    let mut out = conn;
    let _ = write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n{head}\r\n",
        payload.len()
    );
    let cut = script.cuts.get(n).copied().flatten();
    let stall = script.stalls.get(n).copied().flatten();
    let stop = cut.or(stall).map_or(payload.len(), |at| {
        usize::try_from(at.saturating_sub(start))
            .unwrap()
            .min(payload.len())
    });
    let _ = out.write_all(&payload[..stop]);
    let _ = out.flush();
    if stall.is_some() {
        // Holds the connection open, sending nothing, until the client gives up on it.
        let mut sink = [0u8; 1];
        let _ = out.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = (&out).read(&mut sink);
    }
    // Dropped: closed, cut or not.
}

// ===== resources =====

/// `len` bytes from `seed`, reproducibly (xorshift).
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

fn strong(body: Vec<u8>, etag: &str) -> Version {
    Version {
        body,
        etag: Some(format!("\"{etag}\"")),
        last_modified: None,
        content_encoding: None,
    }
}

/// A real gzip stream of `data` in stored (uncompressed) deflate blocks.
fn gzip(data: &[u8]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = u16::try_from(block.len()).unwrap();
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    out
}

// ===== the client side =====

/// What a download gave the caller: the bytes read before the end or the error, the error,
/// and the resumes the response recorded.
struct Download {
    body: Vec<u8>,
    error: Option<Error>,
    resumes: Vec<ResumeRecord>,
}

/// Sends a GET (or `method`) and reads the body: in blocks (async), through `io::Read`
/// (blocking).
fn download(client: &TestClient, method: Method, url: &str, options: &Options) -> Download {
    let request = Request::<Body>::new(method, url.parse().unwrap());
    let mut body = Vec::new();
    match client.driver() {
        Driver::Async => {
            let mut r = client.send_async_raw(request, options).unwrap();
            let error = client.block_on(async {
                loop {
                    match r.next_block().await {
                        Ok(Some(b)) => body.extend_from_slice(&b),
                        Ok(None) => return None,
                        Err(e) => return Some(e),
                    }
                }
            });
            let resumes = r.resumes().to_vec();
            Download {
                body,
                error,
                resumes,
            }
        }
        Driver::Blocking => {
            let mut r = client.send_blocking_raw(request, options).unwrap();
            let mut buf = [0u8; 7919];
            let error = loop {
                match std::io::Read::read(&mut r, &mut buf) {
                    Ok(0) => break None,
                    Ok(n) => body.extend_from_slice(&buf[..n]),
                    Err(e) => {
                        let inner = e.into_inner().unwrap();
                        break Some(*inner.downcast::<Error>().unwrap());
                    }
                }
            };
            Download {
                body,
                error,
                resumes: r.resumes().to_vec(),
            }
        }
    }
}

fn get(client: &TestClient, url: &str) -> Download {
    download(client, Method::GET, url, &Options::new())
}

fn client(driver: Driver) -> TestClient {
    TestClient::fake_time(driver, Options::new())
}

/// Asserts that what the caller got before the error is the start of `data`, at most `cut`
/// bytes of it (the part of a block not complete when the body failed is not handed out):
/// nothing spliced from another version.
fn assert_prefix(got: &[u8], data: &[u8], cut: usize) {
    assert!(
        got.len() <= cut,
        "{} bytes, past the cut at {cut}",
        got.len()
    );
    assert!(
        data.starts_with(got),
        "the bytes are not the start of the body"
    );
}

/// Asserts that the `n`-th request resumed at `offset` with `If-Match: etag`.
fn assert_resumed_at(seen: &Seen, offset: u64, etag: &str) {
    let range = format!("bytes={offset}-");
    assert_eq!(seen.header("range"), Some(range.as_str()), "{seen:?}");
    assert_eq!(seen.header("if-match"), Some(etag), "{seen:?}");
}

// ===== tests =====

both_drivers!(
    cuts_at_random_offsets_are_resumed_into_one_intact_body,
    |driver| {
        for seed in [1u64, 7, 42, 1234, 99_991] {
            let data = bytes(seed, 150_000 + usize::try_from(seed % 50_000).unwrap());
            let len = data.len() as u64;
            // One or two cuts at random offsets, in order.
            let r = bytes(seed ^ 0xdead, 16);
            let first = u64::from(u16::from_le_bytes([r[0], r[1]])) * len / 65_536;
            let mut cuts = vec![Some(first.max(1))];
            if seed % 2 == 1 {
                let second = first
                    + 1
                    + u64::from(u16::from_le_bytes([r[2], r[3]])) * (len - first - 1) / 65_536;
                cuts.push(Some(second));
            }
            let server = RawServer::start(Script {
                versions: vec![strong(data.clone(), "v1")],
                cuts: cuts.clone(),
                ..Script::default()
            });
            let got = get(&client(driver), &server.url);
            assert!(got.error.is_none(), "seed {seed}: {:?}", got.error);
            assert!(got.body == data, "seed {seed}: the body differs");
            let seen = server.seen();
            assert_eq!(seen.len(), cuts.len() + 1, "seed {seed}");
            assert_eq!(seen[0].header("range"), None);
            for (i, cut) in cuts.iter().enumerate() {
                assert_resumed_at(&seen[i + 1], cut.unwrap(), "\"v1\"");
                assert_eq!(got.resumes[i].offset, cut.unwrap());
                assert_eq!(got.resumes[i].cause, ErrorKind::IncompleteRead);
            }
        }
    }
);

both_drivers!(
    a_body_cut_three_times_is_resumed_with_the_retry_backoff,
    |driver| {
        let data = bytes(3, 300_000);
        let cuts = vec![Some(10_000), Some(100_000), Some(250_000)];
        let server = RawServer::start(Script {
            versions: vec![strong(data.clone(), "abc")],
            cuts: cuts.clone(),
            ..Script::default()
        });
        let client = client(driver);
        let got = get(&client, &server.url);
        assert!(got.error.is_none(), "{:?}", got.error);
        assert!(got.body == data);
        let seen = server.seen();
        assert_eq!(seen.len(), 4);
        for (s, at) in seen[1..].iter().zip([10_000, 100_000, 250_000]) {
            assert_resumed_at(s, at, "\"abc\"");
        }
        // Resumes are the call's retries: the reference's backoff, 0 then 0.8 × 2^(n−1).
        let waits: Vec<_> = got.resumes.iter().map(|r| r.wait).collect();
        assert_eq!(waits, [0.0, 1.6, 3.2].map(Duration::from_secs_f64));
        assert_eq!(
            client.clock.sleeps(),
            [1.6, 3.2].map(Duration::from_secs_f64).to_vec()
        );
    }
);

both_drivers!(a_fourth_cut_is_past_the_read_retries, |driver| {
    let data = bytes(4, 100_000);
    let server = RawServer::start(Script {
        versions: vec![strong(data.clone(), "abc")],
        cuts: vec![Some(1_000), Some(2_000), Some(3_000), Some(4_000)],
        ..Script::default()
    });
    let got = get(&client(driver), &server.url);
    let err = got.error.expect("the fourth cut is not resumed");
    assert_eq!(err.kind(), ErrorKind::IncompleteRead, "{err}");
    // retry_read defaults to 3: three resumes, then the cut surfaces.
    assert_eq!(server.seen().len(), 4);
    assert_eq!(got.resumes.len(), 3);
    assert_prefix(&got.body, &data, 4_000);
});

both_drivers!(
    a_412_is_a_changed_resource_and_no_bytes_are_spliced,
    |driver| {
        let v1 = bytes(5, 80_000);
        let v2 = bytes(6, 80_000);
        let server = RawServer::start(Script {
            versions: vec![strong(v1.clone(), "v1"), strong(v2, "v2")],
            cuts: vec![Some(30_000)],
            ..Script::default()
        });
        let got = get(&client(driver), &server.url);
        let err = got.error.expect("the resource changed");
        assert_eq!(err.kind(), ErrorKind::ResourceModified, "{err}");
        assert!(
            err.to_string()
                .contains("the resource changed while it was being read"),
            "{err}"
        );
        assert!(err.to_string().contains("412"), "{err}");
        assert_prefix(&got.body, &v1, 30_000);
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_resumed_at(&seen[1], 30_000, "\"v1\"");
    }
);

both_drivers!(a_206_of_another_etag_is_refused, |driver| {
    // A broken server that answers the range of the new version whatever the If-Match.
    let v1 = bytes(7, 80_000);
    let v2 = bytes(8, 80_000);
    let server = RawServer::start(Script {
        versions: vec![strong(v1.clone(), "v1"), strong(v2, "v2")],
        cuts: vec![Some(20_000)],
        ignore_if_match: true,
        ..Script::default()
    });
    let got = get(&client(driver), &server.url);
    let err = got.error.expect("the resource changed");
    assert_eq!(err.kind(), ErrorKind::ResourceModified, "{err}");
    assert!(
        err.to_string()
            .contains("its ETag was \"v1\" and is now \"v2\""),
        "{err}"
    );
    assert_prefix(&got.body, &v1, 20_000);
    // A later read fails too rather than ending the body cleanly.
    assert_eq!(server.seen().len(), 2);
});

both_drivers!(
    a_server_that_ignores_range_is_skipped_to_the_offset,
    |driver| {
        let data = bytes(9, 120_000);
        let server = RawServer::start(Script {
            versions: vec![strong(data.clone(), "same")],
            cuts: vec![Some(50_000), Some(90_000)],
            ignore_range: true,
            ..Script::default()
        });
        let got = get(&client(driver), &server.url);
        assert!(got.error.is_none(), "{:?}", got.error);
        assert!(got.body == data, "the restarted bodies' starts are skipped");
        let seen = server.seen();
        assert_eq!(seen.len(), 3);
        assert_resumed_at(&seen[1], 50_000, "\"same\"");
        assert_resumed_at(&seen[2], 90_000, "\"same\"");
    }
);

both_drivers!(a_200_of_another_version_is_refused, |driver| {
    let v1 = bytes(10, 60_000);
    let v2 = bytes(11, 60_000);
    let server = RawServer::start(Script {
        versions: vec![strong(v1.clone(), "v1"), strong(v2, "v2")],
        cuts: vec![Some(10_000)],
        ignore_range: true,
        ignore_if_match: true,
        ..Script::default()
    });
    let got = get(&client(driver), &server.url);
    let err = got.error.expect("the resource changed");
    assert_eq!(err.kind(), ErrorKind::ResourceModified, "{err}");
    assert_prefix(&got.body, &v1, 10_000);
});

both_drivers!(last_modified_is_resumed_with_if_range, |driver| {
    let data = bytes(12, 70_000);
    let modified = "Sun, 06 Nov 1994 08:49:37 GMT";
    let server = RawServer::start(Script {
        versions: vec![Version {
            body: data.clone(),
            etag: None,
            last_modified: Some(modified.to_owned()),
            content_encoding: None,
        }],
        cuts: vec![Some(33_333)],
        ..Script::default()
    });
    let got = get(&client(driver), &server.url);
    assert!(got.error.is_none(), "{:?}", got.error);
    assert!(got.body == data);
    let seen = server.seen();
    assert_eq!(seen[1].header("range"), Some("bytes=33333-"));
    assert_eq!(seen[1].header("if-range"), Some(modified));
    assert_eq!(seen[1].header("if-match"), None);
});

both_drivers!(
    a_gzip_body_passed_as_stored_is_resumed_over_its_encoded_bytes,
    |driver| {
        let plain = bytes(13, 200_000);
        let coded = gzip(&plain);
        let server = RawServer::start(Script {
            versions: vec![Version {
                content_encoding: Some("gzip"),
                ..strong(coded.clone(), "gz")
            }],
            cuts: vec![Some(77_777)],
            ..Script::default()
        });
        let options = Options::new().with_decompress(false);
        let got = download(&client(driver), Method::GET, &server.url, &options);
        assert!(got.error.is_none(), "{:?}", got.error);
        assert!(got.body == coded, "the encoded bytes, intact");
        assert_resumed_at(&server.seen()[1], 77_777, "\"gz\"");
    }
);

both_drivers!(
    a_gzip_body_decoded_on_the_fly_is_restarted_and_skipped,
    |driver| {
        let plain = bytes(14, 200_000);
        let coded = gzip(&plain);
        let server = RawServer::start(Script {
            versions: vec![Version {
                content_encoding: Some("gzip"),
                ..strong(coded, "gz")
            }],
            cuts: vec![Some(100_000)],
            ..Script::default()
        });
        let got = get(&client(driver), &server.url);
        assert!(got.error.is_none(), "{:?}", got.error);
        assert_eq!(got.body, plain, "one intact decoded body");
        assert_eq!(got.resumes.len(), 1);
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        // The decoder's position is not one in the encoded bytes: the whole body is asked for
        // again, under the same version, and what the caller had is skipped.
        assert_eq!(seen[1].header("range"), None);
        assert_eq!(seen[1].header("if-match"), Some("\"gz\""));
        assert!(got.resumes[0].offset > 0 && got.resumes[0].offset < plain.len() as u64);
    }
);

both_drivers!(
    a_decoded_body_whose_resource_changed_is_not_spliced,
    |driver| {
        let plain = bytes(16, 200_000);
        let server = RawServer::start(Script {
            versions: vec![
                Version {
                    content_encoding: Some("gzip"),
                    ..strong(gzip(&plain), "one")
                },
                Version {
                    content_encoding: Some("gzip"),
                    ..strong(gzip(&bytes(17, 200_000)), "two")
                },
            ],
            cuts: vec![Some(100_000)],
            ..Script::default()
        });
        let got = get(&client(driver), &server.url);
        let err = got.error.expect("the change surfaces");
        assert_eq!(err.kind(), ErrorKind::ResourceModified, "{err}");
        assert!(
            plain.starts_with(&got.body),
            "only bytes of the first version"
        );
        assert_eq!(server.seen().len(), 2);
    }
);

/// A download cut once, that is not resumed: the cut surfaces, one request.
fn assert_not_resumed(client: &TestClient, method: Method, version: Version, options: &Options) {
    let data = version.body.clone();
    let server = RawServer::start(Script {
        versions: vec![version],
        cuts: vec![Some(12_345)],
        ..Script::default()
    });
    let got = download(client, method, &server.url, options);
    let err = got.error.expect("the cut surfaces");
    assert_eq!(err.kind(), ErrorKind::IncompleteRead, "{err}");
    assert!(got.resumes.is_empty());
    assert_eq!(server.seen().len(), 1);
    assert_prefix(&got.body, &data, 12_345);
}

both_drivers!(a_weak_etag_is_not_resumed, |driver| {
    let mut v = strong(bytes(15, 50_000), "x");
    v.etag = Some("W/\"x\"".to_owned());
    v.last_modified = Some("Sun, 06 Nov 1994 08:49:37 GMT".to_owned());
    assert_not_resumed(&client(driver), Method::GET, v, &Options::new());
});

both_drivers!(no_validator_is_not_resumed, |driver| {
    let mut v = strong(bytes(16, 50_000), "x");
    v.etag = None;
    assert_not_resumed(&client(driver), Method::GET, v, &Options::new());
});

both_drivers!(
    resume_turned_off_per_call_or_per_client_is_not_resumed,
    |driver| {
        let v = strong(bytes(17, 50_000), "x");
        let off = Options::new().with_resume(false);
        assert_not_resumed(&client(driver), Method::GET, v.clone(), &off);
        let off_client = TestClient::fake_time(driver, off);
        assert_not_resumed(&off_client, Method::GET, v.clone(), &Options::new());
        // A call turns it back on over the client's off.
        let server = RawServer::start(Script {
            versions: vec![v.clone()],
            cuts: vec![Some(12_345)],
            ..Script::default()
        });
        let on = Options::new().with_resume(true);
        let got = download(&off_client, Method::GET, &server.url, &on);
        assert!(got.error.is_none() && got.body == v.body);
    }
);

both_drivers!(a_non_get_is_not_resumed, |driver| {
    let v = strong(bytes(18, 50_000), "x");
    assert_not_resumed(&client(driver), Method::POST, v, &Options::new());
});

both_drivers!(the_deadline_holds, |driver| {
    // Backoff of 10 s: the second resume would wait 20 s, past the call's 15 s.
    let data = bytes(19, 60_000);
    let server = RawServer::start(Script {
        versions: vec![strong(data.clone(), "d")],
        cuts: vec![Some(5_000), Some(9_000)],
        ..Script::default()
    });
    let options = Options::new()
        .with_timeout(Duration::from_secs(15))
        .with_retry(RetryOptions::new().with_backoff_factor(10.0));
    let client = client(driver);
    let got = download(&client, Method::GET, &server.url, &options);
    let err = got.error.expect("the second cut surfaces");
    assert_eq!(err.kind(), ErrorKind::IncompleteRead, "{err}");
    assert_eq!(got.resumes.len(), 1);
    assert_eq!(server.seen().len(), 2);
    assert_prefix(&got.body, &data, 9_000);
    assert!(
        client.clock.sleeps().is_empty(),
        "no wait past the deadline"
    );
});

both_drivers!(
    the_resume_carries_the_callers_headers_and_credentials,
    |driver| {
        let data = bytes(20, 40_000);
        let server = RawServer::start(Script {
            versions: vec![strong(data.clone(), "h")],
            cuts: vec![Some(20_000)],
            ..Script::default()
        });
        let options = Options::new()
            .with_header(
                http::HeaderName::from_static("x-trace"),
                http::HeaderValue::from_static("t1"),
            )
            .with_credential(clientcore::policies::auth::Credential::key(
                http::HeaderName::from_static("x-api-key"),
                "k-123",
            ));
        let got = download(&client(driver), Method::GET, &server.url, &options);
        assert!(got.error.is_none(), "{:?}", got.error);
        assert!(got.body == data);
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        for s in &seen {
            assert_eq!(s.method, "GET");
            assert_eq!(s.header("x-trace"), Some("t1"));
            assert_eq!(s.header("x-api-key"), Some("k-123"));
        }
        assert_resumed_at(&seen[1], 20_000, "\"h\"");
    }
);

both_drivers!(a_stalled_body_is_resumed, |driver| {
    let data = bytes(21, 40_000);
    let server = RawServer::start(Script {
        versions: vec![strong(data.clone(), "s")],
        stalls: vec![Some(15_000)],
        ..Script::default()
    });
    // Stall protection with a short window: real time, a fraction of a second.
    let options = Options::new().with_stall_protection(Some(StallProtection {
        min_bytes_per_sec: 1,
        grace: Duration::from_millis(300),
    }));
    let got = download(&client(driver), Method::GET, &server.url, &options);
    assert!(got.error.is_none(), "{:?}", got.error);
    assert!(got.body == data);
    assert_eq!(got.resumes[0].cause, ErrorKind::ServiceResponseTimeout);
    assert_resumed_at(&server.seen()[1], 15_000, "\"s\"");
});

/// Every event of target `clientcore::resume`: its level and message.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<(tracing::Level, String)>>>);

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Events {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "clientcore::resume" {
            let mut m = Message(String::new());
            event.record(&mut m);
            self.0
                .lock()
                .unwrap()
                .push((*event.metadata().level(), m.0));
        }
    }
}

both_drivers!(each_resume_is_one_info_line_without_secrets, |driver| {
    use tracing_subscriber::layer::SubscriberExt as _;
    let data = bytes(22, 60_000);
    let server = RawServer::start(Script {
        versions: vec![strong(data.clone(), "l")],
        cuts: vec![Some(10_000), Some(40_000)],
        ..Script::default()
    });
    let client = client(driver);
    let events = Events::default();
    let subscriber = tracing_subscriber::registry().with(events.clone());
    let url = format!("{}?sig=hush-hush", server.url);
    let got = tracing::subscriber::with_default(subscriber, || get(&client, &url));
    assert!(got.error.is_none() && got.body == data);
    let lines = events.0.lock().unwrap().clone();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for ((level, line), at) in lines.iter().zip(["at byte 10000", "at byte 40000"]) {
        assert_eq!(*level, tracing::Level::INFO);
        assert!(line.contains(at), "{line}");
        assert!(line.contains("IncompleteRead"), "{line}");
        assert!(
            !line.contains("hush-hush"),
            "the SAS signature is redacted: {line}"
        );
    }
});

both_drivers!(
    a_range_the_caller_asked_for_is_resumed_within_it,
    |driver| {
        let data = bytes(23, 80_000);
        let server = RawServer::start(Script {
            versions: vec![strong(data.clone(), "r")],
            cuts: vec![Some(20_000)],
            ..Script::default()
        });
        let options = Options::new().with_header(
            http::header::RANGE,
            http::HeaderValue::from_static("bytes=1000-49999"),
        );
        let got = download(&client(driver), Method::GET, &server.url, &options);
        assert!(got.error.is_none(), "{:?}", got.error);
        assert!(got.body == data[1_000..50_000], "the range, intact");
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].header("range"), Some("bytes=20000-49999"));
        assert_eq!(seen[1].header("if-match"), Some("\"r\""));
    }
);
