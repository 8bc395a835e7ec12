//! A narrated tour of clientcore against the embedded test server.
//!
//! `cargo run --example tour`
//!
//! Every step sends real requests over loopback to a local server that plays a service: it
//! answers with scripted replies (errors in the formats real services use, throttling,
//! redirects, a hung connection) and records what it received, so the tour can show both
//! sides of the wire.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use clientcore::http::{HeaderValue, Method};
use clientcore::policy::auth::Credential;
use clientcore::policy::log::log_fn;
use clientcore::{
    AzionStatus, BlockingClient, Client, ErrorFormat, ErrorKind, ErrorMap, Options, Request,
    RetryOptions,
};
use clientcore_testkit::{Reply, Server};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async_tour())?;
    blocking_tour()?;
    println!("\nThe tour is over: every step above ran against a real local server.");
    Ok(())
}

fn step(title: &str) {
    println!("\n== {title}");
}

async fn async_tour() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::builder()
        .options(
            Options::new()
                .with_user_agent("tour/1.0")
                .with_sdk("tour-sdk", "0.1.0")
                .with_retry(RetryOptions::new().with_backoff_factor(0.05)),
        )
        .build()?;

    step("1. A call through the default pipeline");
    let server = Server::start([Reply::status(200)
        .header("content-type", "application/json")
        .body(r#"{"name": "blob.txt", "size": 15}"#)]);
    let url = server.url("/containers/tour/blob.txt");
    let mut response = client
        .send(Request::new(Method::GET, url.parse()?), &Options::new())
        .await?;
    let body: serde_json::Value = response.json().await?;
    println!("status {} and body {body}", response.status());
    let seen = &server.requests()[0];
    println!(
        "the server saw x-ms-client-request-id: {}",
        seen.header("x-ms-client-request-id").unwrap_or("?")
    );
    println!(
        "and User-Agent: {}",
        seen.header("user-agent").unwrap_or("?")
    );

    step("2. Throttled, then retried: Retry-After is honoured, the request id stays the same");
    let server = Server::start([
        Reply::status(429).header("retry-after-ms", "150"),
        Reply::status(503),
        Reply::status(200).body("finally"),
    ]);
    let mut response = client
        .send(
            Request::new(Method::GET, server.url("/busy").parse()?),
            &Options::new(),
        )
        .await?;
    println!(
        "got {} with body {:?}",
        response.status(),
        response.text().await?
    );
    for (i, attempt) in response.retry_history().iter().enumerate() {
        println!(
            "attempt {}: {:?}, then waited {:?}",
            i + 1,
            attempt.outcome,
            attempt.wait
        );
    }
    let ids: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.header("x-ms-client-request-id").unwrap_or("").to_owned())
        .collect();
    println!(
        "request ids on the wire all equal: {}",
        ids.windows(2).all(|w| w[0] == w[1])
    );

    error_steps(&client).await?;
    logging_and_redirect_steps(&client).await
}

async fn error_steps(client: &Client) -> Result<(), Box<dyn std::error::Error>> {
    step("3. An ARM error becomes one typed, matchable error");
    let server = Server::start([Reply::status(404)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-ms-request-id", "5f1d2c3a-0000-4000-8000-000000000001")
        .body(
            r#"{"error": {"code": "ResourceGroupNotFound",
                "message": "Resource group 'tour-rg' could not be found.",
                "additionalInfo": [{"type": "PolicyViolation", "info": {"policyEffect": "deny"}}]}}"#,
        )]);
    let err = client
        .send(
            Request::new(Method::GET, server.url("/resourceGroups/tour-rg").parse()?),
            &Options::new().with_error_format(ErrorFormat::Arm),
        )
        .await
        .unwrap_err();
    match err.kind() {
        ErrorKind::ResourceNotFound => println!("matched ErrorKind::ResourceNotFound"),
        other => println!("unexpected kind {other:?}"),
    }
    println!("is an HTTP response error too: {}", err.is_http_response());
    println!(
        "code {:?}, status {:?}, service request id {:?}",
        err.error_code(),
        err.status(),
        err.request_id()
    );
    println!("Display:\n{err}");

    step("4. Azure Storage XML, a custom reason phrase, and a per-call error map");
    let server = Server::start([Reply::status(412)
        .reason("The condition specified using HTTP conditional header(s) is not met.")
        .header("content-type", "application/xml")
        .header("x-ms-error-code", "ConditionNotMet")
        .body(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ConditionNotMet</Code>\
             <Message>The condition specified using HTTP conditional header(s) is not met.\n\
             RequestId:0f1e2d3c\nTime:2026-11-22T22:25:55.504Z</Message></Error>",
        )]);
    let err = client
        .send(
            Request::new(Method::PUT, server.url("/c/blob").parse()?).with_header(
                clientcore::http::header::IF_MATCH,
                HeaderValue::from_static("\"0x1\""),
            ),
            &Options::new().with_error_map(ErrorMap::new().with(412, ErrorKind::ResourceModified)),
        )
        .await
        .unwrap_err();
    println!("kind {:?}, reason {:?}", err.kind(), err.reason());
    println!("Display:\n{err}");

    step("5. Azion-style status errors with their list of errors");
    let server = Server::start([Reply::status(400)
        .header("content-type", "application/json")
        .body(r#"{"name": ["This field is required."], "detail": ["Invalid domain"]}"#)]);
    let err = client
        .send(
            Request::new(Method::POST, server.url("/domains").parse()?).with_body("{}".into()),
            &Options::new().with_credential(Credential::key(
                clientcore::http::header::AUTHORIZATION,
                "Token tour-secret-token",
            )),
        )
        .await
        .unwrap_err();
    if let Some(class) = err.azion_status() {
        println!("<{class} [{}]>", class.status());
    }
    for entry in err.errors() {
        println!("error: {entry}");
    }
    assert_eq!(err.azion_status(), Some(AzionStatus::BadRequest));
    Ok(())
}

async fn logging_and_redirect_steps(client: &Client) -> Result<(), Box<dyn std::error::Error>> {
    step("6. Logging with redaction: secrets never reach a log line");
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = {
        let lines = lines.clone();
        log_fn(move |_, record| lines.lock().unwrap().push(record.to_owned()))
    };
    let server = Server::start([Reply::status(200)]);
    client
        .send(
            Request::new(
                Method::GET,
                format!(
                    "{}?api-version=2024-01-01&sig=s3cr3t",
                    server.url("/logged")
                )
                .parse()?,
            ),
            &Options::new()
                .with_logger(sink)
                .with_credential(Credential::key(
                    clientcore::http::header::AUTHORIZATION,
                    "Token tour-secret-token",
                )),
        )
        .await?;
    for line in lines.lock().unwrap().iter() {
        println!("{line}");
    }

    step("7. A redirect, resolved against the current URL");
    let server = Server::start([
        Reply::status(307).header("location", "moved/here"),
        Reply::status(200).body("arrived"),
    ]);
    let mut response = client
        .send(
            Request::new(Method::GET, server.url("/a/b").parse()?),
            &Options::new(),
        )
        .await?;
    println!(
        "final URL {} after {} redirect(s)",
        response.url(),
        response.redirects().len()
    );
    println!("body {:?}", response.text().await?);
    Ok(())
}

fn blocking_tour() -> Result<(), Box<dyn std::error::Error>> {
    let client = BlockingClient::builder().build()?;

    step("8. The blocking client: a streamed download in blocks of connection_data_block_size");
    let payload = vec![b'x'; 20_000];
    let server = Server::start([Reply::status(200).body(payload)]);
    let mut response = client.send(
        Request::new(Method::GET, server.url("/big").parse()?),
        &Options::new().with_block_size(8192),
    )?;
    let mut sizes = Vec::new();
    while let Some(block) = response.next_block()? {
        sizes.push(block.len());
    }
    println!("blocks of {sizes:?} bytes");
    let again = response.next_block().unwrap_err();
    println!("reading again: {:?}: {again}", again.kind());

    step("9. A hung server and a read timeout: the error says what happened");
    let server = Server::start([Reply::hang()]);
    server.allow_unused();
    let err = client
        .send(
            Request::new(Method::GET, server.url("/slow").parse()?),
            &Options::new()
                .with_read_timeout(Duration::from_millis(300))
                .with_retry(RetryOptions::none()),
        )
        .unwrap_err();
    println!("kind {:?}, timeout: {}", err.kind(), err.is_timeout());
    Ok(())
}
