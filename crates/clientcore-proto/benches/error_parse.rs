//! Building an `Error` (parse + classify) from 1 KiB OData v4 and ARM error bodies, next to
//! parsing the same bytes into a `serde_json::Value`, in the same run (BENCHMARKS.md).
//!
//! `cargo bench -p clientcore-proto --bench error_parse --features xml`

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::Bytes;
use clientcore_proto::format::{ODataError, ServiceError};
use clientcore_proto::{CapturedResponse, Error, ErrorFormat, ErrorKind, ErrorMap};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use http::{HeaderMap, StatusCode};

/// An ARM error of 1,172 bytes: a policy violation with details, an `innererror` and
/// additional info (also used by `benches-peers`).
const ARM: &[u8] = include_bytes!("bodies/arm_1kib.json");

/// An OData v4 error of 1,078 bytes: code, message, target, four details and a nested
/// `innererror` (also used by `benches-peers`).
const ODATA: &[u8] = include_bytes!("bodies/odata_1kib.json");

fn arm_body() -> Bytes {
    Bytes::from_static(ARM)
}

/// Reads every field of a parsed error, as a caller that wants all of it would (the free-form
/// JSON is built on first read).
fn read_everything(e: &Error) -> usize {
    let mut n = usize::from(black_box(e.kind()) == ErrorKind::HttpResponse);
    let Some(ServiceError::OData(o)) = e.service_error() else {
        panic!("not an OData error");
    };
    walk(o, &mut n);
    n
}

fn walk(o: &ODataError, n: &mut usize) {
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

/// Both formats on both bodies, with the response built outside the timing: what one
/// iteration times is the parse (or `from_response`) and dropping what it made.
fn issue18(c: &mut Criterion, name: &str, body: &'static [u8], explicit: ErrorFormat) {
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        "application/json; charset=utf-8".parse().unwrap(),
    );
    headers.insert(
        "x-ms-request-id",
        "3f1b8e2a-5d4c-4e4f-9a1b-2c3d4e5f6a7b".parse().unwrap(),
    );
    let map = ErrorMap::generated();
    let response = || {
        CapturedResponse::new(
            StatusCode::BAD_REQUEST,
            headers.clone(),
            Bytes::from_static(body),
        )
    };
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("serde_json_value", |b| {
        b.iter(|| drop(serde_json::from_slice::<serde_json::Value>(black_box(body)).unwrap()));
    });
    g.bench_function("from_response_explicit", |b| {
        b.iter_batched(
            response,
            |r| {
                let e = Error::from_response(r, explicit, &map);
                assert!(e.service_error().is_some());
                drop(e);
            },
            BatchSize::SmallInput,
        );
    });
    g.bench_function("from_response_auto", |b| {
        b.iter_batched(
            response,
            |r| {
                let e = Error::from_response(r, ErrorFormat::Auto, &map);
                assert!(e.service_error().is_some());
                drop(e);
            },
            BatchSize::SmallInput,
        );
    });
    g.bench_function("from_response_explicit_read_all", |b| {
        b.iter_batched(
            response,
            |r| {
                let e = Error::from_response(r, explicit, &map);
                black_box(read_everything(&e));
                drop(e);
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

fn bodies(c: &mut Criterion) {
    issue18(c, "odata_1kib", ODATA, ErrorFormat::ODataV4);
    issue18(c, "arm_1kib_issue18", ARM, ErrorFormat::Arm);
}

fn bench(c: &mut Criterion) {
    let body = arm_body();
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        "application/json; charset=utf-8".parse().unwrap(),
    );
    headers.insert(
        "x-ms-request-id",
        "3f1b8e2a-5d4c-4e4f-9a1b-2c3d4e5f6a7b".parse().unwrap(),
    );
    let map = ErrorMap::generated();

    let mut g = c.benchmark_group("arm_1kib");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap());
    });
    g.bench_function("error_from_response_arm", |b| {
        b.iter(|| {
            let r = CapturedResponse::new(
                StatusCode::BAD_REQUEST,
                black_box(headers.clone()),
                black_box(body.clone()),
            );
            let e = Error::from_response(r, ErrorFormat::Arm, &map);
            assert!(e.service_error().is_some());
            e
        });
    });
    g.bench_function("error_from_response_auto", |b| {
        b.iter(|| {
            let r = CapturedResponse::new(
                StatusCode::BAD_REQUEST,
                black_box(headers.clone()),
                black_box(body.clone()),
            );
            Error::from_response(r, ErrorFormat::Auto, &map)
        });
    });
    g.bench_function("error_display", |b| {
        let r = CapturedResponse::new(StatusCode::BAD_REQUEST, headers.clone(), body.clone());
        let e = Error::from_response(r, ErrorFormat::Arm, &map);
        b.iter(|| black_box(&e).to_string());
    });
    g.finish();
}

criterion_group!(benches, bench, bodies);
criterion_main!(benches);
