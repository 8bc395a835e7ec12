//! The Azion-style client against a local server that answers as the Azion API does: the
//! token header, JSON bodies, pages, the three error body shapes (`errors` lists, `detail`,
//! per-field lists), the status classes, and throttling retried on a fake clock. Every test
//! runs under both drivers.

mod common;
#[path = "../../crates/clientcore/tests/support/mod.rs"]
mod support;

use std::time::Duration;

use clientcore::{AzionStatus, ErrorKind, Options, RetryOptions};
use clientcore_examples::azion::{AzionClient, Domain, NewDomain};
use serde_json::{json, Value};
use support::{Recorded, Reply, Server, TestClient};

const TOKEN: &str = "azion-personal-token-123";

fn azion(server: &Server) -> AzionClient {
    AzionClient::new(server.url("/").parse().unwrap(), TOKEN)
}

fn json_reply(status: u16, body: &Value) -> Reply {
    Reply::status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
}

fn domain_json(id: u64, name: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "cnames": [format!("{name}.example.com")],
        "cname_access_only": false,
        "digital_certificate_id": null,
        "edge_application_id": 1_600_000_000u64,
        "is_active": true,
        "domain_name": format!("{name}abc.map.azionedge.net"),
        "environment": "production",
        "is_mtls_enabled": false,
        "mtls_verification": "enforce",
        "edge_firewall_id": null,
        "crl_list": null
    })
}

fn domain(id: u64, name: &str) -> Domain {
    Domain {
        id,
        name: name.to_owned(),
        cnames: vec![format!("{name}.example.com")],
        cname_access_only: false,
        edge_application_id: Some(1_600_000_000),
        is_active: true,
        domain_name: format!("{name}abc.map.azionedge.net"),
        environment: Some("production".to_owned()),
    }
}

/// What every request to Azion must carry.
fn assert_azion_headers(r: &Recorded) {
    assert_eq!(
        r.header("authorization"),
        Some("Token azion-personal-token-123")
    );
    assert_eq!(r.header("accept"), Some("application/json; version=3"));
}

both_drivers!(list_domains_reads_a_page_and_its_next_link, |driver| {
    let server = Server::start([json_reply(
        200,
        &json!({
            "count": 3,
            "total_pages": 2,
            "schema_version": 3,
            "links": {"previous": null, "next": "https://api.azionapi.net/domains?page=2&page_size=2"},
            "results": [domain_json(1, "shop"), domain_json(2, "blog")]
        }),
    )]);
    let client = TestClient::new(driver, Options::new());
    let page = common::run(&client, azion(&server).list_domains(1, 2)).unwrap();

    assert_eq!(page.count, 3);
    assert_eq!(page.total_pages, 2);
    assert_eq!(page.results, [domain(1, "shop"), domain(2, "blog")]);
    assert_eq!(page.next_page(), Some(2));

    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].target, "/domains?page=1&page_size=2");
    assert_azion_headers(&seen[0]);
});

both_drivers!(the_last_page_has_no_next_page, |driver| {
    let server = Server::start([json_reply(
        200,
        &json!({
            "count": 3, "total_pages": 2, "schema_version": 3,
            "links": {"previous": "https://api.azionapi.net/domains?page=1&page_size=2", "next": null},
            "results": [domain_json(3, "docs")]
        }),
    )]);
    let client = TestClient::new(driver, Options::new());
    let page = common::run(&client, azion(&server).list_domains(2, 2)).unwrap();
    assert_eq!(page.results, [domain(3, "docs")]);
    assert_eq!(page.next_page(), None);
    assert_eq!(server.requests()[0].target, "/domains?page=2&page_size=2");
});

both_drivers!(get_domain_unwraps_the_results_envelope, |driver| {
    let server = Server::start([json_reply(
        200,
        &json!({"results": domain_json(1_700_000_001, "shop"), "schema_version": 3}),
    )]);
    let client = TestClient::new(driver, Options::new());
    let got = common::run(&client, azion(&server).get_domain(1_700_000_001)).unwrap();
    assert_eq!(got, domain(1_700_000_001, "shop"));

    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].target, "/domains/1700000001");
    assert_azion_headers(&seen[0]);
    assert!(seen[0].body.is_empty());
});

both_drivers!(
    create_domain_posts_json_and_reads_the_created_domain,
    |driver| {
        let server = Server::start([json_reply(
            201,
            &json!({"results": domain_json(1_700_000_002, "shop"), "schema_version": 3}),
        )]);
        let client = TestClient::new(driver, Options::new());
        let new = NewDomain::new("shop", 1_600_000_000).with_cnames(["shop.example.com"]);
        let created = common::run(&client, azion(&server).create_domain(&new).unwrap()).unwrap();
        assert_eq!(created, domain(1_700_000_002, "shop"));

        let seen = server.requests();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].method, "POST");
        assert_eq!(seen[0].target, "/domains");
        assert_azion_headers(&seen[0]);
        assert_eq!(seen[0].header("content-type"), Some("application/json"));
        let sent: Value = serde_json::from_slice(&seen[0].body).unwrap();
        assert_eq!(
            sent,
            json!({
                "name": "shop",
                "cnames": ["shop.example.com"],
                "cname_access_only": false,
                "edge_application_id": 1_600_000_000u64,
                "is_active": true
            })
        );
    }
);

both_drivers!(delete_domain_accepts_no_content, |driver| {
    let server = Server::start([Reply::status(204)]);
    let client = TestClient::new(driver, Options::new());
    common::run(&client, azion(&server).delete_domain(7)).unwrap();

    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "DELETE");
    assert_eq!(seen[0].target, "/domains/7");
    assert_azion_headers(&seen[0]);
});

both_drivers!(an_errors_list_becomes_one_typed_error, |driver| {
    let server = Server::start([json_reply(
        400,
        &json!({"errors": [
            {"status": "400", "code": "invalid_cname", "title": "Invalid CNAME",
             "detail": "'shop' is not a valid host name.", "source": {"pointer": "/cnames/0"}},
            {"status": "400", "code": "required", "title": "Missing field",
             "detail": "This field is required.", "source": {"pointer": "/edge_application_id"}}
        ]}),
    )]);
    let client = TestClient::new(driver, Options::new());
    let new = NewDomain::new("shop", 0).with_cnames(["shop"]);
    let err = common::run(&client, azion(&server).create_domain(&new).unwrap()).unwrap_err();

    assert_eq!(err.kind(), ErrorKind::HttpResponse);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(err.azion_status(), Some(AzionStatus::BadRequest));
    assert_eq!(err.error_code(), Some("invalid_cname"));
    let errors = err.errors();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].status(), Some("400"));
    assert_eq!(errors[0].code(), Some("invalid_cname"));
    assert_eq!(errors[0].title(), Some("Invalid CNAME"));
    assert_eq!(errors[0].detail(), Some("'shop' is not a valid host name."));
    assert_eq!(errors[0].field(), Some("/cnames/0"));
    assert_eq!(errors[1].field(), Some("/edge_application_id"));
    assert_eq!(
        err.to_string(),
        "/cnames/0: (invalid_cname) Invalid CNAME: 'shop' is not a valid host name.\n\
         Errors:\n\
         \t/cnames/0: (invalid_cname) Invalid CNAME: 'shop' is not a valid host name.\n\
         \t/edge_application_id: (required) Missing field: This field is required."
    );
    assert_eq!(server.requests().len(), 1, "a 400 is not retried");
});

both_drivers!(per_field_lists_name_the_field, |driver| {
    let server = Server::start([json_reply(
        400,
        &json!({"name": ["This field is required."], "edge_application_id": ["A valid integer is required."]}),
    )]);
    let client = TestClient::new(driver, Options::new());
    let err = common::run(
        &client,
        azion(&server)
            .create_domain(&NewDomain::new("", 0))
            .unwrap(),
    )
    .unwrap_err();
    assert_eq!(err.azion_status(), Some(AzionStatus::BadRequest));
    assert_eq!(err.error_code(), None, "field lists carry no code");
    let fields: Vec<_> = err
        .errors()
        .iter()
        .map(|e| {
            (
                e.field().unwrap().to_owned(),
                e.detail().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("name".to_owned(), "This field is required.".to_owned()),
            (
                "edge_application_id".to_owned(),
                "A valid integer is required.".to_owned()
            )
        ]
    );
    assert!(
        err.to_string()
            .starts_with("name: This field is required.\nErrors:"),
        "{err}"
    );
});

both_drivers!(a_detail_body_is_the_message, |driver| {
    // What Azion sends for a bad token, a missing permission and an unknown id.
    let cases = [
        (
            401,
            "Invalid token.",
            AzionStatus::Unauthorized,
            ErrorKind::ClientAuthentication,
        ),
        (
            403,
            "You do not have permission to perform this action.",
            AzionStatus::Forbidden,
            ErrorKind::HttpResponse,
        ),
        (
            404,
            "Not found.",
            AzionStatus::NotFound,
            ErrorKind::ResourceNotFound,
        ),
    ];
    let server = Server::start(
        cases
            .iter()
            .map(|(status, detail, ..)| json_reply(*status, &json!({ "detail": detail }))),
    );
    let client = TestClient::new(driver, Options::new());
    for (status, detail, class, kind) in cases {
        let err = common::run(&client, azion(&server).get_domain(9)).unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(err.azion_status(), Some(class), "{status}");
        assert_eq!(err.kind(), kind, "{status}");
        assert!(err.is_http_response());
        assert_eq!(err.message(), detail);
        assert_eq!(err.to_string(), detail);
        let errors = err.errors();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].detail(), Some(detail));
    }
    assert_eq!(server.requests().len(), 3);
});

both_drivers!(every_status_class_and_the_statuses_without_one, |driver| {
    let cases: [(u16, Option<AzionStatus>, ErrorKind); 10] = [
        (400, Some(AzionStatus::BadRequest), ErrorKind::HttpResponse),
        (
            401,
            Some(AzionStatus::Unauthorized),
            ErrorKind::ClientAuthentication,
        ),
        (403, Some(AzionStatus::Forbidden), ErrorKind::HttpResponse),
        (
            404,
            Some(AzionStatus::NotFound),
            ErrorKind::ResourceNotFound,
        ),
        (
            405,
            Some(AzionStatus::MethodNotAllowed),
            ErrorKind::HttpResponse,
        ),
        (409, Some(AzionStatus::Conflict), ErrorKind::ResourceExists),
        (422, None, ErrorKind::HttpResponse),
        (
            429,
            Some(AzionStatus::TooManyRequests),
            ErrorKind::HttpResponse,
        ),
        (
            500,
            Some(AzionStatus::InternalServerError),
            ErrorKind::HttpResponse,
        ),
        (502, None, ErrorKind::HttpResponse),
    ];
    let server = Server::start(cases.iter().map(|(status, ..)| {
        json_reply(
            *status,
            &json!({"errors": [{"status": status.to_string(), "title": format!("status {status}")}]}),
        )
    }));
    // Retries off: each status is answered once, as the script has it.
    let client = TestClient::new(driver, Options::new().with_retry(RetryOptions::none()));
    for (status, class, kind) in cases {
        let err = common::run(&client, azion(&server).list_domains(1, 10)).unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(err.azion_status(), class, "{status}");
        assert_eq!(err.kind(), kind, "{status}");
        if let Some(class) = class {
            assert_eq!(class.status(), status);
        }
        // With or without a class, the body is parsed the same way.
        assert_eq!(err.errors()[0].status(), Some(status.to_string().as_str()));
        assert_eq!(err.to_string(), format!("({status}) status {status}"));
    }
    assert_eq!(server.requests().len(), cases.len());
});

both_drivers!(throttling_is_retried_after_retry_after, |driver| {
    let server = Server::start([
        json_reply(
            429,
            &json!({"detail": "Request was throttled. Expected available in 7 seconds."}),
        )
        .header("retry-after", "7"),
        json_reply(
            200,
            &json!({"results": domain_json(5, "shop"), "schema_version": 3}),
        ),
    ]);
    let client = TestClient::fake_time(driver, Options::new());
    let got = common::run(&client, azion(&server).get_domain(5)).unwrap();
    assert_eq!(got, domain(5, "shop"));

    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    for r in &seen {
        assert_eq!(r.target, "/domains/5");
        assert_azion_headers(r);
    }
    // The wait the service asked for, on the fake clock: nothing slept for real.
    assert_eq!(client.clock.sleeps(), [Duration::from_secs(7)]);
});

both_drivers!(
    throttling_that_outlasts_the_retries_is_too_many_requests,
    |driver| {
        let throttled = || {
            json_reply(
                429,
                &json!({"detail": "Request was throttled. Expected available in 2 seconds."}),
            )
            .header("retry-after", "2")
        };
        let server = Server::start([throttled(), throttled()]);
        let client = TestClient::fake_time(
            driver,
            Options::new().with_retry(RetryOptions::new().with_total(1)),
        );
        let err = common::run(&client, azion(&server).list_domains(1, 10)).unwrap_err();
        assert_eq!(err.azion_status(), Some(AzionStatus::TooManyRequests));
        assert_eq!(
            err.message(),
            "Request was throttled. Expected available in 2 seconds."
        );
        assert_eq!(err.retry_history().len(), 2);
        assert_eq!(server.requests().len(), 2);
        assert_eq!(client.clock.sleeps(), [Duration::from_secs(2)]);
    }
);

both_drivers!(a_throttled_create_is_not_sent_twice, |driver| {
    let server = Server::start([json_reply(
        429,
        &json!({"detail": "Request was throttled. Expected available in 1 seconds."}),
    )
    .header("retry-after", "1")]);
    let client = TestClient::fake_time(driver, Options::new());
    let err = common::run(
        &client,
        azion(&server)
            .create_domain(&NewDomain::new("shop", 1))
            .unwrap(),
    )
    .unwrap_err();
    assert_eq!(err.azion_status(), Some(AzionStatus::TooManyRequests));
    assert_eq!(
        server.requests().len(),
        1,
        "a POST the service saw is not re-sent"
    );
    assert!(client.clock.sleeps().is_empty());
});

both_drivers!(
    a_success_body_that_is_not_a_domain_is_a_deserialization_error,
    |driver| {
        let server = Server::start([json_reply(200, &json!({"results": {"id": "not a number"}}))]);
        let client = TestClient::new(driver, Options::new());
        let err = common::run(&client, azion(&server).get_domain(1)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Deserialization);
        assert_eq!(err.azion_status(), None, "not an HTTP error");
    }
);

both_drivers!(the_token_is_never_printed, |driver| {
    let server = Server::start([json_reply(401, &json!({"detail": "Invalid token."}))]);
    let client = TestClient::new(driver, Options::new());
    let client_api = azion(&server);
    let op = client_api.get_domain(1);
    let shown = format!("{client_api:?} {op:?}");
    let err = common::run(&client, op).unwrap_err();
    let shown = format!("{shown} {err:?} {err}");
    assert!(!shown.contains(TOKEN), "{shown}");
    // It was sent all the same.
    assert_azion_headers(&server.requests()[0]);
});

both_drivers!(
    a_create_marked_idempotent_is_retried_after_throttling,
    |driver| {
        let server = Server::start([
            json_reply(
                429,
                &json!({"detail": "Request was throttled. Expected available in 3 seconds."}),
            )
            .header("retry-after", "3"),
            json_reply(
                201,
                &json!({"results": domain_json(8, "shop"), "schema_version": 3}),
            ),
        ]);
        let client = TestClient::fake_time(driver, Options::new());
        // The caller's call: Azion throttles before doing anything, so re-sending is safe.
        let op = azion(&server)
            .create_domain(&NewDomain::new("shop", 1_600_000_000).with_cnames(["shop.example.com"]))
            .unwrap()
            .options(|o| o.with_retry(RetryOptions::new().with_idempotent(true)));
        assert_eq!(common::run(&client, op).unwrap(), domain(8, "shop"));
        let seen = server.requests();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].body, seen[1].body, "the same body both times");
        assert_eq!(client.clock.sleeps(), [Duration::from_secs(3)]);
    }
);
