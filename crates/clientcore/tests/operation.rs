//! `Operation`: one description of a call (request, options, decoder), sent by either
//! driver; a signing policy on a `NamedKeyCredential` whose key is rotated on a live
//! client; and an `Endpoint` building calls signed by the `SharedKeyPolicy`.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clientcore::http::Method;
use clientcore::operation::Operation;
use clientcore::pipeline::RequestParts;
use clientcore::policies::auth::Credential;
use clientcore::policies::sign::{hmac_sha256_base64, NamedKeyCredential};
use clientcore::{Error, ErrorFormat, ErrorKind, Options, Policy, Position, Request, SharedPolicy};
use support::{Driver, Reply, Server, TestClient};

fn send<T>(client: &TestClient, op: Operation<T>) -> Result<T, Error> {
    match client.driver() {
        Driver::Async => client.block_on(op.send(client.async_client())),
        Driver::Blocking => op.send_blocking(client.blocking_client()),
    }
}

both_drivers!(
    an_operation_is_sent_and_decoded_by_a_capturing_closure,
    |driver| {
        let server = Server::start([Reply::status(201).header("x-count", "3").body("apples")]);
        let client = TestClient::new(driver, Options::new());
        let unit = String::from("kg"); // captured by the decoder
        let request = Request::new(Method::PUT, server.url("/items/1").parse().unwrap())
            .with_query("api-version", "2024-01-01")
            .try_header("x-ms-meta-owner", "ops")
            .unwrap();
        let op = Operation::new(request, Options::new(), move |head, body| {
            let count: u32 = head.parse("x-count")?;
            Ok((
                head.status.as_u16(),
                count,
                String::from_utf8_lossy(&body).into_owned(),
                unit,
            ))
        });
        let got = send(&client, op).unwrap();
        assert_eq!(got, (201, 3, "apples".to_owned(), "kg".to_owned()));

        let seen = server.requests();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].method, Method::PUT);
        assert_eq!(seen[0].path, "/items/1");
        assert_eq!(seen[0].query.as_deref(), Some("api-version=2024-01-01"));
        assert_eq!(seen[0].header("x-ms-meta-owner"), Some("ops"));
    }
);

both_drivers!(
    a_failed_call_is_typed_by_the_operations_options_and_not_decoded,
    |driver| {
        let body = r#"{"error": {"code": "ItemNotFound", "message": "No item 7."}}"#;
        let server = Server::start([Reply::status(404)
            .header("content-type", "application/json")
            .body(body)]);
        let client = TestClient::new(driver, Options::new());
        let decoded = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&decoded);
        let op = Operation::new(
            Request::new(Method::GET, server.url("/items/7").parse().unwrap()),
            Options::new().with_error_format(ErrorFormat::ODataV4),
            move |_, _| {
                flag.store(true, Ordering::SeqCst);
                Ok(())
            },
        );
        let err = send(&client, op).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
        assert_eq!(err.error_code(), Some("ItemNotFound"));
        assert!(
            !decoded.load(Ordering::SeqCst),
            "a failed call is not decoded"
        );

        // A decoder's own error comes back as it is.
        let server = Server::start([Reply::status(200)]);
        let op = Operation::new(
            Request::new(Method::GET, server.url("/").parse().unwrap()),
            Options::new(),
            |head, _| head.parse::<u32>("x-missing"),
        );
        let err = send(&client, op).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Deserialization);
        assert!(err.to_string().contains("x-missing"), "{err}");
    }
);

/// A toy signing scheme: `x-sig: name:Base64(HMAC(key, "METHOD path"))`.
#[derive(Debug)]
struct Sign(NamedKeyCredential);

impl Policy for Sign {
    fn on_request(&self, request: &mut RequestParts) -> Result<(), Error> {
        let (name, sig) = self
            .0
            .sign(|name| format!("{} /{name}{}", request.method, request.url.path()));
        request
            .headers
            .insert("x-sig", format!("{name}:{sig}").parse().unwrap());
        Ok(())
    }
}

both_drivers!(
    a_named_key_rotated_on_a_live_client_signs_the_next_call,
    |driver| {
        let server = Server::start([Reply::status(200), Reply::status(200)]);
        let key = Credential::named_key("acct", "a2V5").unwrap(); // "key"
        let client = TestClient::new(
            driver,
            Options::new().with_policy(Position::PerTry, SharedPolicy::new(Sign(key.clone()))),
        );
        let op = |path: &str| {
            let request = Request::new(Method::GET, server.url(path).parse().unwrap());
            Operation::new(request, Options::new(), |_, _| Ok(()))
        };
        send(&client, op("/a")).unwrap();
        key.update("acct2", "bmV3").unwrap(); // "new"
        send(&client, op("/b")).unwrap();

        let sigs: Vec<String> = server
            .requests()
            .iter()
            .map(|r| r.header("x-sig").unwrap().to_owned())
            .collect();
        assert_eq!(
            sigs,
            [
                format!("acct:{}", hmac_sha256_base64(b"key", "GET /acct/a")),
                format!("acct2:{}", hmac_sha256_base64(b"new", "GET /acct2/b")),
            ]
        );
    }
);

both_drivers!(
    an_accepted_status_becomes_the_error_the_pipeline_would_build,
    |driver| {
        // Queue Storage's create: 201 for a new queue, 204 for one that exists (the Python SDK
        // raises ResourceExistsError, code QueueAlreadyExists). The code's kind comes from the
        // client's error map, the format from the call's options.
        let server = Server::start([
            Reply::status(204).header("x-ms-request-id", "req-204"),
            Reply::status(201),
            Reply::status(200)
                .header("content-type", "application/json")
                .body(r#"{"error": {"code": "Other", "message": "A parsed body wins."}}"#),
        ]);
        let client = TestClient::new(
            driver,
            Options::new().with_error_map(
                clientcore::ErrorMap::new()
                    .with_code("QueueAlreadyExists", ErrorKind::ResourceExists),
            ),
        );
        let decoded = Arc::new(AtomicBool::new(false));
        let create = |status: u16| {
            let flag = Arc::clone(&decoded);
            Operation::new(
                Request::new(Method::PUT, server.url("/jobs").parse().unwrap()),
                Options::new().with_error_format(ErrorFormat::ODataV4),
                move |head, _| {
                    flag.store(true, Ordering::SeqCst);
                    Ok(head.status.as_u16())
                },
            )
            .error_for(
                clientcore::http::StatusCode::from_u16(status).unwrap(),
                "QueueAlreadyExists",
                "The specified queue already exists.",
            )
        };
        let err = send(&client, create(204)).unwrap_err();
        assert!(!decoded.load(Ordering::SeqCst), "the decoder is not called");
        assert_eq!(err.kind(), ErrorKind::ResourceExists);
        assert!(err.is_http_response());
        assert_eq!(err.error_code(), Some("QueueAlreadyExists"));
        assert_eq!(err.status().map(|s| s.as_u16()), Some(204));
        assert_eq!(err.reason(), Some("No Content"));
        assert_eq!(err.request_id(), Some("req-204"), "the response is kept");
        assert_eq!(err.to_string(), "The specified queue already exists.");

        assert_eq!(
            send(&client, create(204)).unwrap(),
            201,
            "other statuses decode"
        );
        assert!(decoded.swap(false, Ordering::SeqCst));

        // A body in the call's format is parsed as for any error; the given code stays.
        let err = send(&client, create(200)).unwrap_err();
        assert_eq!(err.error_code(), Some("QueueAlreadyExists"));
        assert_eq!(err.kind(), ErrorKind::ResourceExists);
        assert!(
            err.to_string().starts_with("(Other) A parsed body wins."),
            "{err}"
        );
        assert!(!decoded.load(Ordering::SeqCst));
        assert_eq!(server.requests().len(), 3);
    }
);

both_drivers!(
    an_endpoint_builds_each_call_and_the_shared_key_policy_signs_it_as_sent,
    |driver| {
        use clientcore::operation::Endpoint;
        use clientcore::policies::sign::{SharedKeyPolicy, SharedKeyScheme};
        let server = Server::start([Reply::status(200)
            .header("x-ms-meta-Owner", "ops")
            .header("x-ms-meta-team", "a b")
            .header("x-ms-time-next-visible", "Sun, 06 Nov 1994 08:49:37 GMT")
            .header("x-other", "1")]);
        let key = Credential::named_key("acct", "a2V5").unwrap(); // "key"
        let signer = SharedKeyPolicy::new(key, SharedKeyScheme::Blob);
        let service = Endpoint::new(
            server.url("/acct/").parse().unwrap(),
            Options::new().with_policy(Position::PerTry, SharedPolicy::new(signer)),
        );
        let client = TestClient::new(driver, Options::new());
        // A segment is one segment, encoded: the `/` and space stay inside it.
        let messages = service.child("jobs").child("messages").child("a/b c");
        let request = messages
            .request(Method::PUT)
            .with_query("visibilitytimeout", 30_u64)
            .with_query_opt("messagettl", None::<u64>)
            .with_query_opt("popreceipt", Some("r+1"));
        let request = request.with_body("hello".into());
        let op = messages.operation(request, |head, _| {
            let when = head.date("x-ms-time-next-visible")?;
            Ok((head.metadata("x-ms-meta-"), when))
        });
        let (metadata, when) = send(&client, op).unwrap();
        assert_eq!(
            metadata.into_iter().collect::<Vec<_>>(),
            [
                ("owner".to_owned(), "ops".to_owned()),
                ("team".to_owned(), "a b".to_owned())
            ]
        );
        assert_eq!(
            when,
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(784_111_777)
        );

        let seen = &server.requests()[0];
        assert_eq!(seen.path, "/acct/jobs/messages/a%2Fb%20c");
        assert_eq!(
            seen.query.as_deref(),
            Some("visibilitytimeout=30&popreceipt=r%2B1")
        );
        // The signature covers the request as it went out: its Content-Length and client
        // request id (added by the pipeline, not the caller) and the date the policy stamped.
        let (date, id) = (
            seen.header("x-ms-date").unwrap(),
            seen.header("x-ms-client-request-id").unwrap(),
        );
        let string = format!(
            "PUT\n\n\n5\n\n\n\n\n\n\n\n\nx-ms-client-request-id:{id}\nx-ms-date:{date}\n\
             /acct/acct/jobs/messages/a%2Fb%20c\npopreceipt:r+1\nvisibilitytimeout:30"
        );
        assert_eq!(
            seen.header("authorization"),
            Some(format!("SharedKey acct:{}", hmac_sha256_base64(b"key", &string)).as_str())
        );
        assert_eq!(seen.header("content-length"), Some("5"));
    }
);
