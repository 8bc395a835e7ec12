//! A blob stored gzip-compressed (`x-ms-blob-content-encoding: gzip`) downloaded through
//! Azurite, under both drivers: raw when the caller turns decoding off, decoded when not, and
//! a range of it raw in any case (a range of a gzip stream cannot be decoded on its own).
//!
//! Skipped (with a message saying how to start it) when Azurite is not running; under
//! `CI=true` a missing Azurite fails instead.

#[path = "../../crates/clientcore/tests/support/mod.rs"]
mod support;

mod common;

use clientcore::http::{HeaderName, HeaderValue};
use clientcore::Options;
use clientcore_examples::storage::blob::BlobService;
use clientcore_examples::storage::{Account, Auth};
use common::{azurite, run, unique};
use support::TestClient;

/// `printf test | gzip -n -9`.
const GZIP_TEST: &[u8] = &[
    31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 43, 73, 45, 46, 1, 0, 12, 126, 127, 216, 4, 0, 0, 0,
];

fn header(name: &'static str, value: &'static str) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

both_drivers!(a_gzip_blob_downloads_raw_whole_and_by_range, |driver| {
    // On a fake clock: a retry would show in its sleeps instead of taking seconds.
    let client = TestClient::fake_time(driver, Options::new());
    let Some(azurite) = azurite() else { return };
    let service = BlobService::new(azurite.blob, Auth::SharedKey(Account::devstoreaccount1()));
    let container = service.container(&unique("encoded"));
    run(&client, container.create()).unwrap();
    let blob = container.blob("test.txt.gz");
    let (name, value) = header("x-ms-blob-content-encoding", "gzip");
    run(
        &client,
        blob.upload(GZIP_TEST)
            .options(|o| o.with_header(name, value)),
    )
    .unwrap();

    // Decoding off: the bytes as stored, with the headers that describe them.
    let (request, options) = blob.download().into_parts();
    let got = client
        .send(request, &options.with_decompress(false))
        .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, GZIP_TEST);
    assert_eq!(got.headers["content-encoding"], "gzip");
    assert_eq!(got.headers["content-length"], "24");
    assert!(got.retries.is_empty());

    // Decoding on (the default): the content.
    let downloaded = run(&client, blob.download()).unwrap();
    assert_eq!(downloaded.content, "test");

    // A range, decoding on or off: the raw bytes of the range, not an error, not retried.
    for decompress in [true, false] {
        let (name, value) = header("x-ms-range", "bytes=0-11");
        let (request, options) = blob
            .download()
            .options(|o| o.with_header(name, value).with_decompress(decompress))
            .into_parts();
        let got = client.send(request, &options).unwrap();
        assert_eq!(got.status, 206);
        assert_eq!(got.body, GZIP_TEST[..12], "decompress {decompress}");
        assert_eq!(got.headers["content-encoding"], "gzip");
        assert_eq!(got.headers["content-range"], "bytes 0-11/24");
        assert!(got.retries.is_empty(), "{:?}", got.retries);
    }
    // The operation itself (read whole inside the pipeline) gets the range too.
    let (name, value) = header("x-ms-range", "bytes=10-19");
    let downloaded = run(
        &client,
        blob.download().options(|o| o.with_header(name, value)),
    )
    .unwrap();
    assert_eq!(downloaded.content, GZIP_TEST[10..20]);
    assert!(
        client.clock.sleeps().is_empty(),
        "{:?}",
        client.clock.sleeps()
    );

    run(&client, container.delete()).unwrap();
});
