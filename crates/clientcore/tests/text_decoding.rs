//! `text()`, `json()` and `encoding()` of a response, under both drivers, read as the
//! reference reads them: Python's charset labels, either UTF-16 byte order, a forced
//! `response_encoding` (an unknown one refused), a BOM dropped when forced.

mod support;

use clientcore::{Error, ErrorKind, Options};
use support::{Driver, Reply, Server, TestClient};

/// What the caller gets from one response: its encoding, its text and its JSON.
struct Read {
    encoding: Option<String>,
    text: Result<String, Error>,
    json: Result<serde_json::Value, Error>,
}

/// Sends a GET answered by `reply` twice (once for `text()`, once for `json()`).
fn read(driver: Driver, reply: &Reply, options: &Options) -> Read {
    let server = Server::start([reply.clone(), reply.clone()]);
    let client = TestClient::new(driver, Options::new());
    let url = server.url("/doc");
    let request = || clientcore::Request::new(http::Method::GET, url.parse().unwrap());
    let read = match driver {
        Driver::Async => client.block_on(async {
            let c = client.async_client();
            let mut r = c.send(request(), options).await.unwrap();
            let encoding = r.encoding().map(str::to_owned);
            let text = r.text().await;
            let json = c.send(request(), options).await.unwrap().json().await;
            Read {
                encoding,
                text,
                json,
            }
        }),
        Driver::Blocking => {
            let c = client.blocking_client();
            let mut r = c.send(request(), options).unwrap();
            let encoding = r.encoding().map(str::to_owned);
            let text = r.text();
            let json = c.send(request(), options).unwrap().json();
            Read {
                encoding,
                text,
                json,
            }
        }
    };
    assert_eq!(server.requests().len(), 2);
    read
}

fn typed(content_type: &str, body: impl Into<bytes::Bytes>) -> Reply {
    Reply::status(200)
        .header("content-type", content_type)
        .body(body)
}

fn utf16be_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFE, 0xFF];
    out.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    out
}

both_drivers!(latin1_labels_are_iso_8859_1, |driver| {
    for label in ["latin-1", "latin1", "iso-8859-1"] {
        let reply = typed(
            &format!("application/json; charset={label}"),
            &b"{\"v\": \"caf\xE9 \x80\"}"[..],
        );
        let got = read(driver, &reply, &Options::new());
        assert_eq!(got.encoding.as_deref(), Some(label));
        // 0x80 is U+0080, not windows-1252's euro sign.
        assert_eq!(got.text.unwrap(), "{\"v\": \"café \u{80}\"}");
        assert_eq!(got.json.unwrap()["v"], "café \u{80}");
    }
});

both_drivers!(utf16_json_with_a_big_endian_bom_parses, |driver| {
    let reply = typed(
        "application/json; charset=utf-16",
        utf16be_with_bom(r#"{"name": "Zoë"}"#),
    );
    let got = read(driver, &reply, &Options::new());
    assert_eq!(got.encoding.as_deref(), Some("utf-16"));
    assert_eq!(got.text.unwrap(), r#"{"name": "Zoë"}"#);
    assert_eq!(got.json.unwrap()["name"], "Zoë");
});

both_drivers!(
    without_a_charset_the_encoding_is_none_and_text_is_utf8,
    |driver| {
        let reply = typed("application/json", "\u{feff}{\"a\": 1}");
        let got = read(driver, &reply, &Options::new());
        assert_eq!(got.encoding, None);
        assert_eq!(got.text.unwrap(), "{\"a\": 1}");
        assert_eq!(got.json.unwrap()["a"], 1);
    }
);

both_drivers!(a_forced_encoding_wins_and_drops_a_bom, |driver| {
    // The header says UTF-8; the caller knows better.
    let reply = typed("text/plain; charset=utf-8", &b"\"caf\xE9\""[..]);
    let forced = Options::new().with_response_encoding("latin-1");
    let got = read(driver, &reply, &forced);
    assert_eq!(got.encoding.as_deref(), Some("latin-1"));
    assert_eq!(got.text.unwrap(), "\"café\"");
    assert_eq!(got.json.unwrap(), "café");

    let reply = typed("application/json", utf16be_with_bom("[1]"));
    let got = read(
        driver,
        &reply,
        &Options::new().with_response_encoding("utf-16"),
    );
    assert_eq!(got.text.unwrap(), "[1]");
    assert_eq!(got.json.unwrap(), serde_json::json!([1]));

    let reply = typed("application/json", "\u{feff}[2]");
    let got = read(
        driver,
        &reply,
        &Options::new().with_response_encoding("utf-8"),
    );
    assert_eq!(got.text.unwrap(), "[2]");
});

both_drivers!(an_unknown_forced_encoding_fails_clearly, |driver| {
    let reply = typed("application/json", "[1]");
    let forced = Options::new().with_response_encoding("klingon-8");
    let got = read(driver, &reply, &forced);
    assert_eq!(got.encoding.as_deref(), Some("klingon-8"));
    for err in [got.text.unwrap_err(), got.json.unwrap_err()] {
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(
            err.to_string().starts_with("unknown encoding: klingon-8"),
            "{err}"
        );
    }
});
