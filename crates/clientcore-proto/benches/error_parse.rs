//! Building an `Error` (parse + classify) from a 1 KiB ARM error body, next to parsing the
//! same bytes into a `serde_json::Value`, in the same run.
//!
//! `cargo bench -p clientcore-proto --bench error_parse --features xml`

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::Bytes;
use clientcore_proto::{CapturedResponse, Error, ErrorFormat, ErrorMap};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use http::{HeaderMap, StatusCode};

/// An ARM error of about 1 KiB: a policy violation with details and additional info.
fn arm_body() -> Bytes {
    let body = serde_json::json!({
        "error": {
            "code": "RequestDisallowedByPolicy",
            "message": "Resource 'vm-prod-eastus-01' was disallowed by policy. Policy identifiers: \
                        '[{\"policyAssignment\":{\"name\":\"Allowed locations\"}}]'.",
            "target": "vm-prod-eastus-01",
            "details": [
                {"code": "InvalidLocation", "message": "The location 'eastus2' is not allowed.",
                 "target": "location"},
                {"code": "QuotaExceeded", "message": "Operation could not be completed as it \
                  results in exceeding approved standardDSv3Family Cores quota.",
                 "additionalInfo": [{"type": "QuotaInfo", "info": {"limit": 10, "usage": 10}}]}
            ],
            "innererror": {"trace": "3f1b8e2a-5d4c-4e4f-9a1b-2c3d4e5f6a7b", "context": {}},
            "additionalInfo": [{
                "type": "PolicyViolation",
                "info": {
                    "policyDefinitionDisplayName": "Allowed locations",
                    "evaluationDetails": {"evaluatedExpressions": [{
                        "result": "False", "expressionKind": "Field",
                        "expression": "location", "path": "location",
                        "expressionValue": "eastus2", "targetValue": ["westus", "westus2"],
                        "operator": "In"}]},
                    "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/e56962a6",
                    "policyAssignmentId": "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/policyAssignments/loc",
                    "policyEffect": "deny"
                }
            }]
        }
    });
    let bytes = serde_json::to_vec(&body).unwrap();
    assert!(
        (900..1200).contains(&bytes.len()),
        "body is {} bytes",
        bytes.len()
    );
    Bytes::from(bytes)
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

criterion_group!(benches, bench);
criterion_main!(benches);
