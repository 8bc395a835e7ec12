//! A 64 MiB blob uploaded from a stream and downloaded in blocks through Azurite, with the
//! process's memory flat throughout, under both drivers.
//!
//! Skipped (with a message saying how to start it) when Azurite is not running; under
//! `CI=true` a missing Azurite fails instead.

#[path = "../../crates/clientcore/tests/support/mod.rs"]
mod support;

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use clientcore::{Body, Error, Options};
use clientcore_examples::storage::blob::BlobService;
use clientcore_examples::storage::{Account, Auth};
use common::{azurite, run, unique};
use support::{Driver, TestClient};

const SIZE: u64 = 64 << 20;
const CHUNK: u64 = 1 << 20;
const BLOCK: usize = 64 << 10;
/// How much the process may grow while 64 MiB go through it (the bound for a 1 GiB
/// download; a buffered body would exceed it twice over).
const MAX_GROWTH_KIB: u64 = 32 << 10;

/// One test at a time in this binary: each measures the whole process's memory.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The byte at `offset` of the blob: cheap to make and to check, and no two nearby
/// megabytes alike, so a misplaced block is caught.
fn byte_at(offset: u64) -> u8 {
    (offset.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0]
}

fn chunk(index: u64) -> Bytes {
    let start = index * CHUNK;
    (start..start + CHUNK)
        .map(byte_at)
        .collect::<Vec<u8>>()
        .into()
}

/// The resident set of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The upload body: generated a megabyte at a time, sampling memory as it goes; opened
/// again from the start if the pipeline retries.
fn body(driver: Driver, peak: Arc<AtomicU64>) -> Body {
    match driver {
        Driver::Async => Body::rewindable_stream(
            move || {
                let peak = Arc::clone(&peak);
                Box::pin(futures_util::stream::iter((0..SIZE / CHUNK).map(
                    move |i| {
                        peak.fetch_max(rss_kib(), Ordering::Relaxed);
                        Ok(chunk(i))
                    },
                )))
            },
            Some(SIZE),
        ),
        Driver::Blocking => Body::rewindable_reader(
            move || {
                Box::new(Generated {
                    next: 0,
                    current: Bytes::new(),
                    peak: Arc::clone(&peak),
                })
            },
            Some(SIZE),
        ),
    }
}

struct Generated {
    next: u64,
    current: Bytes,
    peak: Arc<AtomicU64>,
}

impl std::io::Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.current.is_empty() {
            if self.next == SIZE / CHUNK {
                return Ok(0);
            }
            self.peak.fetch_max(rss_kib(), Ordering::Relaxed);
            self.current = chunk(self.next);
            self.next += 1;
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Checks one downloaded block at `offset` and notes the memory.
fn check(block: &[u8], offset: u64, peak: &AtomicU64) {
    assert!(block.len() <= BLOCK, "a block of {} bytes", block.len());
    for (i, b) in block.iter().enumerate() {
        assert_eq!(*b, byte_at(offset + i as u64), "byte {}", offset + i as u64);
    }
    peak.fetch_max(rss_kib(), Ordering::Relaxed);
}

both_drivers!(a_64_mib_blob_streams_up_and_down_in_flat_memory, |driver| {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let client = TestClient::new(driver, Options::new());
    let Some(azurite) = azurite() else { return };
    let service = BlobService::new(azurite.blob, Auth::SharedKey(Account::devstoreaccount1()));
    let container = service.container(&unique("big"));
    run(&client, container.create()).unwrap();
    let blob = container.blob("64mib.bin");

    let baseline = rss_kib();
    let peak = Arc::new(AtomicU64::new(baseline));
    let uploaded = run(
        &client,
        blob.upload_stream(body(driver, Arc::clone(&peak)), SIZE),
    )
    .unwrap();

    let (request, options) = blob.download().into_parts();
    let options = options.with_block_size(BLOCK);
    let (mut offset, mut blocks) = (0_u64, 0_usize);
    let etag = match driver {
        Driver::Async => client.block_on(async {
            let mut response = client.async_client().send(request, &options).await?;
            while let Some(block) = response.next_block().await? {
                check(&block, offset, &peak);
                offset += block.len() as u64;
                blocks += 1;
            }
            Ok::<_, Error>(response.headers().get("etag").cloned())
        }),
        Driver::Blocking => (|| {
            let mut response = client.blocking_client().send(request, &options)?;
            while let Some(block) = response.next_block()? {
                check(&block, offset, &peak);
                offset += block.len() as u64;
                blocks += 1;
            }
            Ok::<_, Error>(response.headers().get("etag").cloned())
        })(),
    }
    .unwrap();

    assert_eq!(offset, SIZE, "every byte came back");
    assert!(blocks as u64 >= SIZE / BLOCK as u64, "{blocks} blocks");
    assert_eq!(
        etag.as_ref().and_then(|v| v.to_str().ok()),
        Some(uploaded.etag.as_str())
    );
    let growth = peak.load(Ordering::Relaxed).saturating_sub(baseline);
    assert!(
        growth < MAX_GROWTH_KIB,
        "the process grew by {growth} KiB while 64 MiB went through it"
    );
    eprintln!("{driver:?}: {blocks} blocks, peak growth {growth} KiB");
    run(&client, container.delete()).unwrap();
});
