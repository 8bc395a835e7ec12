//! A narrated tour of clientcore against the embedded test server.
//!
//! `cargo run --example tour`
//!
//! Every step sends real requests over loopback to a local server that plays a service: it
//! answers with scripted replies (errors in the formats real services use, throttling,
//! redirects, pages, a long-running operation, a hung connection) and records what it
//! received. So each step shows both sides of the wire: `server ▸` lines are what the server
//! saw and answered, `caller ◂` lines what the calling code got back.
//!
//! Each step then checks what actually happened. The summary table at the end lists those
//! checks, and the tour exits non-zero when one fails, so CI notices a broken tour even with
//! its output thrown away. Waits are real but tiny (a backoff factor of 0.05 s,
//! `retry-after-ms` in tens of milliseconds), so the whole tour takes about a second.

use std::fmt::Display;
use std::future::Future;
use std::io::IsTerminal as _;
use std::ops::Deref;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use clientcore::conditions::{Conditional, ETag, MatchConditions};
use clientcore::credential::TokenCredential;
use clientcore::http::{header, Method};
use clientcore::lro::{BlockingPoller, LroOptions, Poller};
use clientcore::paging::{BlockingPager, PageStrategy, Pager};
use clientcore::pipeline::retry::{AttemptOutcome, AttemptRecord};
use clientcore::policies::auth::{AccessToken, Credential};
use clientcore::policies::log::log_fn;
use clientcore::transport::BoxFuture;
use clientcore::{
    AzionStatus, BlockingClient, Body, BoxError, Client, Error, ErrorFormat, ErrorKind, Options,
    Request, RetryOptions, Verify,
};
use clientcore_testkit::{Bytes, Recorded, Reply, Server, TestPki};
use serde_json::{json, Value};

fn main() -> ExitCode {
    watchdog(Duration::from_secs(30));
    let mut tour = Tour::new(Out::detect());
    if let Err(e) = run(&mut tour) {
        tour.record(Step::new("Setup", ""), Err(e));
    }
    tour.finish()
}

/// The async steps on a tokio runtime, then the blocking ones outside it (a blocking client
/// must not be driven from inside a runtime).
fn run(tour: &mut Tour) -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let client = Client::builder().options(tour_options()).build()?;
    runtime.block_on(async_steps(tour, &client));
    let blocking = BlockingClient::builder().options(tour_options()).build()?;
    blocking_steps(tour, &blocking);
    Ok(())
}

/// CI runs the tour unattended: a blocking step that hangs must fail it, not stall it.
/// (Async steps have a limit of their own, [`STEP_LIMIT`], and still get their row.)
fn watchdog(limit: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!("the tour is still running after {limit:?}: stopping it");
        std::process::exit(2);
    });
}

/// The client options of the tour: who is calling, and retry waits short enough for a demo.
fn tour_options() -> Options {
    Options::new()
        .with_user_agent("tour/1.0")
        .with_sdk("tour-sdk", "0.1.0")
        .with_retry(RetryOptions::new().with_backoff_factor(0.05))
}

async fn async_steps(tour: &mut Tour, client: &Client) {
    let out = tour.out;
    tour.step(PIPELINE, pipeline(client, out)).await;
    tour.step(RETRIES, retries(client, out)).await;
    tour.step(ARM, arm_error(client, out)).await;
    tour.step(STORAGE, storage_error(client, out)).await;
    tour.step(TABLES, tables_error(client, out)).await;
    tour.step(AZION, azion_error(client, out)).await;
    tour.step(PROBLEM, problem_error(client, out)).await;
    tour.step(HTML, html_error(client, out)).await;
    tour.step(LOGGING, logging(client, out)).await;
    tour.step(REDIRECTS, redirects(client, out)).await;
    tour.step(CREDENTIALS, credentials(out)).await;
    tour.step(CONDITIONAL, conditional(client, out)).await;
    tour.step(PAGING, paging(client, out)).await;
    tour.step(POLLER, poller(client, out)).await;
    tour.step(STREAMING, streaming(client, out)).await;
}

fn blocking_steps(tour: &mut Tour, client: &BlockingClient) {
    let out = tour.out;
    tour.step_blocking(BLOCKING_PAGING, || blocking_paging(client, out));
    tour.step_blocking(BLOCKING_POLLER, || blocking_poller(client, out));
    tour.step_blocking(BLOCKING_STREAMING, || blocking_streaming(client, out));
    tour.step_blocking(BLOCKING_TIMEOUT, || blocking_timeout(client, out));
}

// ===== the steps =====

const PIPELINE: Step = Step::new("Pipeline", "A call through the default pipeline");

/// The request id and User-Agent every call gets, as the server saw them.
async fn pipeline(client: &Client, out: Out) -> StepResult {
    let server = Service::start([json_reply(200, &json!({"name": "blob.txt", "size": 15}))]);
    let url = server.url("/containers/tour/blob.txt");
    let mut response = client.send(get(&url)?, &Options::new()).await?;
    let body: Value = response.json().await?;
    let seen = server.last()?;
    let id = seen.header("x-ms-client-request-id").unwrap_or_default();
    let agent = seen.header("user-agent").unwrap_or_default();
    out.server(format!("{} → 200 with a JSON body", seen.line()));
    out.server(format!("x-ms-client-request-id: {id}"));
    out.server(format!("user-agent: {agent}"));
    out.caller(format!("{} and body {body}", response.status()));
    let ok = response.status() == 200
        && body["size"] == 15
        && id.len() == 36
        && agent.starts_with("tour/1.0 azsdk-rust-tour-sdk/0.1.0")
        && server.served_as_scripted();
    Ok(Outcome::new(ok, "request id and User-Agent on the wire"))
}

const RETRIES: Step = Step::new(
    "Retries",
    "Throttled, then retried with the waits it was told",
);

/// A 429 with `retry-after-ms` and a 503 are retried; the history keeps every wait, and every
/// attempt carries the same client request id.
async fn retries(client: &Client, out: Out) -> StepResult {
    let server = Service::start([
        Reply::status(429).header("retry-after-ms", "120"),
        Reply::status(503),
        Reply::status(200).body("finally"),
    ]);
    let started = Instant::now();
    let mut response = client
        .send(get(&server.url("/busy"))?, &Options::new())
        .await?;
    let took = started.elapsed();
    let ids = request_ids(&server);
    let answers = ["429, retry-after-ms: 120", "503", "200"];
    for ((seen, id), answer) in server.requests().iter().zip(&ids).zip(answers) {
        out.server(format!("{} (request id {id}) → {answer}", seen.line()));
    }
    let history = format!(
        "{} → {}",
        history_text(response.retry_history()),
        response.status().as_u16()
    );
    let waits: Vec<_> = response.retry_history().iter().map(|a| a.wait).collect();
    out.caller(format!(
        "{} {:?} after {took:.0?}",
        response.status(),
        response.text().await?
    ));
    out.caller(format!("retry history: {history}"));
    let ok = response.status() == 200
        && waits.len() == 2
        && waits[0] == Some(Duration::from_millis(120))
        && took >= Duration::from_millis(120)
        && all_same(&ids)
        && server.served_as_scripted();
    Ok(Outcome::new(ok, history))
}

const ARM: Step = Step::new(
    "Error: ARM / OData v4",
    "An ARM error: one typed, matchable error",
);

/// ARM: OData v4 plus `additionalInfo`; the 404 is `ResourceNotFound` by the generated map.
async fn arm_error(client: &Client, out: Out) -> StepResult {
    let body = json!({"error": {
        "code": "ResourceGroupNotFound",
        "message": "Resource group 'tour-rg' could not be found.",
        "additionalInfo": [{"type": "PolicyViolation", "info": {"policyEffect": "deny"}}]}});
    let request_id = "5f1d2c3a-0000-4000-8000-000000000001";
    let reply = json_reply(404, &body).header("x-ms-request-id", request_id);
    let options = Options::new().with_error_format(ErrorFormat::Arm);
    let path = "/resourceGroups/tour-rg";
    let (err, seen) = failed_call(client, Method::GET, path, reply, &options).await?;
    show_error(out, &seen, "404, an ARM error body", &err);
    out.caller(format!(
        "service request id: {}",
        err.request_id().unwrap_or("none")
    ));
    let ok = err.kind() == ErrorKind::ResourceNotFound
        && err.error_code() == Some("ResourceGroupNotFound")
        && err.request_id() == Some(request_id)
        && err.to_string().contains("Type: PolicyViolation");
    Ok(Outcome::new(
        ok,
        "404 → ResourceNotFound, code, additionalInfo",
    ))
}

const STORAGE: Step = Step::new(
    "Error: Storage XML",
    "Azure Storage: an XML body, x-ms-error-code and a custom reason phrase",
);

/// Azure Storage: the code in a header and an XML body, the reason phrase kept as sent.
async fn storage_error(client: &Client, out: Out) -> StepResult {
    let reason = "The specified blob does not exist.";
    let reply = Reply::status(404)
        .reason(reason)
        .header("content-type", "application/xml")
        .header("x-ms-error-code", "BlobNotFound")
        .body(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>BlobNotFound</Code>\
             <Message>The specified blob does not exist.\nRequestId:0f1e2d3c-0001\n\
             Time:2026-11-22T22:25:55.504Z</Message></Error>",
        );
    let options = Options::new().with_error_format(ErrorFormat::StorageXml);
    let path = "/tour/missing.txt";
    let (err, seen) = failed_call(client, Method::GET, path, reply, &options).await?;
    show_error(
        out,
        &seen,
        "404, x-ms-error-code: BlobNotFound, an XML body",
        &err,
    );
    out.caller(format!(
        "reason phrase: {:?}",
        err.reason().unwrap_or_default()
    ));
    let ok = err.kind() == ErrorKind::ResourceNotFound
        && err.error_code() == Some("BlobNotFound")
        && err.reason() == Some(reason);
    Ok(Outcome::new(
        ok,
        "404 → ResourceNotFound, code BlobNotFound",
    ))
}

const TABLES: Step = Step::new(
    "Error: Tables OData v3",
    "Azure Tables: an odata.error body",
);

/// Azure Tables' OData v3 `odata.error`, whose message is an object with a language.
async fn tables_error(client: &Client, out: Out) -> StepResult {
    let message = "The specified entity already exists.\nRequestId:7a1b2c3d-0002\n\
                   Time:2026-11-22T22:25:56.000Z";
    let body = json!({"odata.error": {"code": "EntityAlreadyExists",
        "message": {"lang": "en-US", "value": message}}});
    let reply = json_reply(409, &body).header(
        "content-type",
        "application/json;odata=minimalmetadata;streaming=true;charset=utf-8",
    );
    let options = Options::new().with_error_format(ErrorFormat::ODataV3);
    let (err, seen) = failed_call(client, Method::POST, "/Customers", reply, &options).await?;
    show_error(out, &seen, "409, an odata.error body", &err);
    let ok = err.kind() == ErrorKind::ResourceExists
        && err.error_code() == Some("EntityAlreadyExists")
        && err
            .to_string()
            .contains("The specified entity already exists.");
    Ok(Outcome::new(
        ok,
        "409 → ResourceExists, code EntityAlreadyExists",
    ))
}

const AZION: Step = Step::new(
    "Error: JSON:API / Azion",
    "JSON:API / Azion: a list of errors and the status class",
);

/// JSON:API / Azion: every entry of `errors`, and the Azion class of the status.
async fn azion_error(client: &Client, out: Out) -> StepResult {
    let body = json!({"errors": [
        {"status": "400", "code": "required", "title": "Invalid field",
         "detail": "This field is required.", "source": {"pointer": "/data/attributes/name"}},
        {"status": "400", "code": "invalid_domain", "title": "Invalid value",
         "detail": "'example..com' is not a valid domain.",
         "source": {"pointer": "/data/attributes/cnames/0"}}]});
    let options = Options::new().with_error_format(ErrorFormat::ErrorList);
    let reply = json_reply(400, &body);
    let (err, seen) = failed_call(client, Method::POST, "/v4/domains", reply, &options).await?;
    show_error(out, &seen, "400, a JSON:API errors list", &err);
    if let Some(class) = err.azion_status() {
        out.caller(format!(
            "Azion status class: <{class} [{}]>",
            class.status()
        ));
    }
    for entry in err.errors() {
        out.caller(format!("errors[]: {entry}"));
    }
    let ok = err.azion_status() == Some(AzionStatus::BadRequest)
        && err.errors().len() == 2
        && err.errors()[0].field() == Some("/data/attributes/name");
    Ok(Outcome::new(ok, "400 → <BadRequest [400]>, 2 entries"))
}

const PROBLEM: Step = Step::new(
    "Error: problem+json",
    "RFC 9457 problem details, extension members included",
);

/// RFC 9457 problem details; members the format does not know stay in the body.
async fn problem_error(client: &Client, out: Out) -> StepResult {
    let body = json!({"type": "https://example.com/probs/out-of-credit",
        "title": "You do not have enough credit.", "status": 403,
        "detail": "Your current balance is 30, but that costs 50.",
        "instance": "/account/12345/msgs/abc", "balance": 30});
    let reply = json_reply(403, &body).header("content-type", "application/problem+json");
    let options = Options::new().with_error_format(ErrorFormat::Problem);
    let path = "/account/12345/msgs";
    let (err, seen) = failed_call(client, Method::POST, path, reply, &options).await?;
    show_error(out, &seen, "403, application/problem+json", &err);
    let body = err.deserialize_body::<Value>().and_then(Result::ok);
    let balance = body.map(|b| b["balance"].clone()).unwrap_or_default();
    out.caller(format!(
        "the extension member from the body: balance = {balance}"
    ));
    let ok = err.kind() == ErrorKind::HttpResponse
        && err.status().map(|s| s.as_u16()) == Some(403)
        && err.to_string().contains("Your current balance is 30")
        && balance == 30;
    Ok(Outcome::new(ok, "403 → type, title, detail, extensions"))
}

const HTML: Step = Step::new(
    "Error: HTML / garbage",
    "A gateway's HTML page: no format parses, the error still says what came back",
);

/// A body in no format: the error keeps the reference's text and the raw content.
async fn html_error(client: &Client, out: Out) -> StepResult {
    let reply = Reply::status(502)
        .header("content-type", "text/html")
        .body("<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>");
    // A 502 is retried by default; this call opts out so the step shows one exchange.
    let options = Options::new().with_retry(RetryOptions::none());
    let (err, seen) = failed_call(client, Method::GET, "/api/items", reply, &options).await?;
    show_error(out, &seen, "502, an HTML page", &err);
    let ok = err.kind() == ErrorKind::HttpResponse
        && err.error_code().is_none()
        && err
            .to_string()
            .starts_with("Operation returned an invalid status 'Bad Gateway'\nContent: <html>");
    Ok(Outcome::new(ok, "502 → HttpResponse with the raw content"))
}

const LOGGING: Step = Step::new(
    "Logging + redaction",
    "Logging with redaction: secrets reach the server, never a log line",
);

/// The server gets the key and the SAS signature; the log lines show neither.
async fn logging(client: &Client, out: Out) -> StepResult {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = {
        let lines = lines.clone();
        log_fn(move |_, record| lines.lock().unwrap().push(record.to_owned()))
    };
    let server = Service::start([Reply::status(200)]);
    let url = format!(
        "{}?api-version=2024-01-01&sig=s3cr3t",
        server.url("/logged")
    );
    let key = Credential::key(header::AUTHORIZATION, "Token tour-s3cr3t-token");
    let options = Options::new().with_logger(sink).with_credential(key);
    client.send(get(&url)?, &options).await?;
    let seen = server.last()?;
    let authorization = seen.header("authorization").unwrap_or_default();
    out.server(format!("{} → 200", seen.line()));
    out.server(format!("authorization: {authorization}"));
    let lines = lines.lock().unwrap().clone();
    out.caller("the log lines:");
    out.block(&lines.join("\n"));
    let ok = !lines.is_empty()
        && lines.iter().all(|l| !l.contains("s3cr3t"))
        && lines.iter().any(|l| l.contains("REDACTED"))
        && seen.target.contains("sig=s3cr3t")
        && authorization.contains("s3cr3t");
    Ok(Outcome::new(
        ok,
        "sig= and authorization REDACTED in the log",
    ))
}

const REDIRECTS: Step = Step::new(
    "Redirects",
    "Redirects: every hop recorded, a relative Location resolved",
);

/// A 301 to an absolute path, then a 307 to a relative one, resolved against the current URL.
async fn redirects(client: &Client, out: Out) -> StepResult {
    let server = Service::start([
        Reply::status(301).header("location", "/v2/items/1"),
        Reply::status(307).header("location", "current/1"),
        Reply::status(200).body("arrived"),
    ]);
    let mut response = client
        .send(get(&server.url("/v1/items/1"))?, &Options::new())
        .await?;
    let seen: Vec<String> = server.requests().iter().map(Recorded::line).collect();
    let answers = [
        "301, location: /v2/items/1",
        "307, location: current/1",
        "200",
    ];
    for (request, answer) in seen.iter().zip(answers) {
        out.server(format!("{request} → {answer}"));
    }
    for hop in response.redirects() {
        out.caller(format!(
            "hop: {} {} → {}",
            hop.method(),
            hop.url(),
            hop.status()
        ));
    }
    let hops = response.redirects().len();
    let url = response.url().to_string();
    out.caller(format!(
        "final URL {url}, body {:?}",
        response.text().await?
    ));
    let ok = hops == 2
        && url == server.url("/v2/items/current/1")
        && seen
            == [
                "GET /v1/items/1",
                "GET /v2/items/1",
                "GET /v2/items/current/1",
            ]
        && server.served_as_scripted();
    Ok(Outcome::new(
        ok,
        format!("{hops} hops, relative Location resolved"),
    ))
}

const CREDENTIALS: Step = Step::new(
    "Credentials",
    "A bearer token over TLS; a claims challenge answered with a new token",
);

/// The claims a service asks for in a continuous access evaluation challenge, and the same as
/// base64url (no padding), as it sends them.
const CAE_CLAIMS: &str = r#"{"access_token":{"nbf":{"essential":true,"value":"1726077595"}}}"#;
const CAE_CLAIMS_B64URL: &str =
    "eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwidmFsdWUiOiIxNzI2MDc3NTk1In19fQ";

/// A token credential that hands out `token-1`, `token-2`… and notes the claims of each ask.
#[derive(Debug, Default)]
struct Tokens {
    asked: Mutex<Vec<Option<String>>>,
}

impl Tokens {
    fn next(&self, claims: Option<&str>) -> AccessToken {
        let mut asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        asked.push(claims.map(str::to_owned));
        AccessToken {
            token: format!("token-{}", asked.len()),
            expires_on: SystemTime::now() + Duration::from_secs(3600),
        }
    }
}

impl TokenCredential for Tokens {
    fn get_token<'a>(&'a self, _: &'a [String]) -> BoxFuture<'a, Result<AccessToken, Error>> {
        Box::pin(async move { Ok(self.next(None)) })
    }

    fn get_token_with_claims<'a>(
        &'a self,
        _: &'a [String],
        claims: &'a str,
    ) -> BoxFuture<'a, Result<AccessToken, Error>> {
        Box::pin(async move { Ok(self.next(Some(claims))) })
    }
}

/// Over TLS (a test CA the client trusts): the first attempt carries `token-1`; the service
/// answers 401 with a claims challenge (the token was revoked, say); the client asks the
/// credential for a token with those claims and sends the request once more.
async fn credentials(out: Out) -> StepResult {
    let pki = TestPki::new();
    let files = pki.write_files();
    let challenge = format!(r#"Bearer error="insufficient_claims", claims="{CAE_CLAIMS_B64URL}""#);
    let server = Service(
        Server::builder()
            .tls(&pki)
            .replies([
                Reply::status(401).header("www-authenticate", challenge.as_str()),
                json_reply(200, &json!({"name": "sub-1"})),
            ])
            .build(),
    );
    let tokens = Arc::new(Tokens::default());
    let client = Client::builder()
        .options(
            tour_options()
                .with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()))
                .with_credential(Credential::bearer(["https://management.example/.default"])),
        )
        .token_credential(tokens.clone())
        .build()?;
    let mut response = client
        .send(get(&server.url("/subscriptions/1"))?, &Options::new())
        .await?;
    let seen = server.requests();
    let auths: Vec<&str> = seen
        .iter()
        .map(|r| r.header("authorization").unwrap_or("none"))
        .collect();
    let answers = [
        "401, www-authenticate: Bearer error=\"insufficient_claims\", claims=…",
        "200",
    ];
    for ((request, auth), answer) in seen.iter().zip(&auths).zip(answers) {
        out.server(format!(
            "{} (authorization: {auth}) → {answer}",
            request.line()
        ));
    }
    let asked = tokens
        .asked
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for claims in &asked {
        out.caller(format!(
            "credential asked for a token{}",
            claims
                .as_deref()
                .map_or(String::new(), |c| format!(" with claims {c}"))
        ));
    }
    let status = response.status();
    out.caller(format!("{status}, {}", response.text().await?));
    let ok = status == 200
        && auths == ["Bearer token-1", "Bearer token-2"]
        && asked == [None, Some(CAE_CLAIMS.to_owned())]
        && server.served_as_scripted();
    Ok(Outcome::new(
        ok,
        "one resend with a token for the challenge's claims",
    ))
}

const CONDITIONAL: Step = Step::new(
    "Conditional requests",
    "Conditional requests: an ETag, then a 304 and a 412",
);

/// Read an ETag, revalidate with it (304), then lose an optimistic-concurrency race (412).
async fn conditional(client: &Client, out: Out) -> StepResult {
    let server = Service::start([
        Reply::status(200).header("etag", "\"0x8DC1\"").body("v1"),
        Reply::status(304).header("etag", "\"0x8DC1\""),
        Reply::status(412)
            .header("x-ms-error-code", "ConditionNotMet")
            .header("content-type", "application/xml")
            .body(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ConditionNotMet</Code>\
                 <Message>The condition specified using HTTP conditional header(s) is not \
                 met.</Message></Error>",
            ),
    ]);
    let url = server.url("/tour/blob.txt");
    let first = client.send(get(&url)?, &Options::new()).await?;
    let etag = ETag::from_headers(first.headers()).ok_or("no ETag in the response")?;
    out.server(format!("{} → 200, etag: \"0x8DC1\"", server.last()?.line()));
    out.caller(format!("{}, ETag {}", first.status(), etag.as_str()));

    let if_modified = Conditional::new(MatchConditions::IfModified, Some(&etag))?;
    let cached = client
        .send(get(&url)?, &if_modified.apply(Options::new()))
        .await?;
    let revalidated = server.last()?;
    out.server(format!("{} → 304", with_conditions(&revalidated)));
    out.caller(format!(
        "MatchConditions::IfModified: {}, the copy is fresh",
        cached.status()
    ));

    out.caller("(meanwhile someone else writes the blob)");
    let if_not_modified = Conditional::new(MatchConditions::IfNotModified, Some(&etag))?;
    let put = Request::new(Method::PUT, url.parse()?).with_body("v2".into());
    let sent = client
        .send(put, &if_not_modified.apply(Options::new()))
        .await;
    let err = sent.err().ok_or("the PUT succeeded")?;
    let written = server.last()?;
    out.server(format!(
        "{} → 412, ConditionNotMet",
        with_conditions(&written)
    ));
    let code = err.error_code().unwrap_or("none");
    out.caller(format!(
        "MatchConditions::IfNotModified: ErrorKind::{:?} ({code})",
        err.kind()
    ));
    let ok = cached.status() == 304
        && err.kind() == ErrorKind::ResourceModified
        && revalidated.header("if-none-match") == Some("\"0x8DC1\"")
        && written.header("if-match") == Some("\"0x8DC1\"")
        && server.served_as_scripted();
    Ok(Outcome::new(
        ok,
        "If-None-Match → 304; If-Match → 412 ResourceModified",
    ))
}

const PAGING: Step = Step::new("Paging", "Paging over next links, absolute then relative");

/// Three pages: the first links to the second absolutely, the second to the third relatively.
async fn paging(client: &Client, out: Out) -> StepResult {
    let server = Service::handler(|r: &Recorded| {
        let host = r.header("host").unwrap_or_default();
        let (items, next) = match r.query.as_deref() {
            None => (
                json!(["a", "b"]),
                json!(format!("http://{host}/items?page=2")),
            ),
            Some("page=2") => (json!(["c", "d"]), json!("/items?page=3")),
            Some("page=3") => (json!(["e"]), Value::Null),
            Some(_) => return Reply::status(404),
        };
        json_reply(200, &json!({"value": items, "nextLink": next}))
    });
    let first = get(&server.url("/items"))?;
    let strategy = PageStrategy::next_link();
    let mut pager: Pager<String> = Pager::new(client, first, strategy, &Options::new());
    let mut items = Vec::new();
    // Bounded: a service whose links go round in circles must not keep the tour going.
    for _ in 0..MAX_PAGES {
        let Some(page) = pager.next_page().await else {
            break;
        };
        let page = page?;
        out.server(format!("{} → 200", server.last()?.line()));
        let next = page
            .continuation_token
            .as_deref()
            .unwrap_or("none, the end");
        out.caller(format!("page {:?}, next link {next}", page.items));
        items.extend(page.items);
    }
    let fetched = server.requests().len();
    let ok = items == ["a", "b", "c", "d", "e"] && fetched == 3 && server.served_as_scripted();
    Ok(Outcome::new(
        ok,
        format!("{fetched} pages, {} items", items.len()),
    ))
}

const POLLER: Step = Step::new(
    "Poller (LRO)",
    "A long-running PUT polled via Azure-AsyncOperation",
);

/// A PUT answered 201 with Azure-AsyncOperation: polled until Succeeded, then the final GET.
async fn poller(client: &Client, out: Out) -> StepResult {
    let polls = AtomicUsize::new(0);
    let server = Service::handler(
        move |r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
            ("PUT", "/things/1") => json_reply(
                201,
                &json!({"properties": {"provisioningState": "Accepted"}}),
            )
            .header("azure-asyncoperation", "/operations/1")
            .header("retry-after-ms", "20"),
            ("GET", "/operations/1") if polls.fetch_add(1, Ordering::SeqCst) == 0 => {
                json_reply(200, &json!({"status": "InProgress"})).header("retry-after-ms", "20")
            }
            ("GET", "/operations/1") => json_reply(200, &json!({"status": "Succeeded"})),
            ("GET", "/things/1") => json_reply(200, &json!({"name": "thing"})),
            _ => Reply::status(404),
        },
    );
    let put = Request::new(Method::PUT, server.url("/things/1").parse()?)
        .with_body(r#"{"name": "thing"}"#.into());
    let lro = LroOptions::new().with_polling_interval(Duration::from_millis(20));
    // Boxed: a poller's futures are large, and the tour keeps its own future small.
    let poller = Box::pin(Poller::begin(client, put, &Options::new(), lro)).await?;
    out.caller(format!("begun: status {}", poller.status()));
    let done = Box::pin(poller.wait()).await?;
    let body: Value = done.json()?.ok_or("an empty final body")?;
    let answers = [
        "201, azure-asyncoperation: /operations/1",
        "InProgress",
        "Succeeded",
        "200",
    ];
    let seen: Vec<String> = server.requests().iter().map(Recorded::line).collect();
    let ids = request_ids(&server);
    for ((request, id), answer) in seen.iter().zip(&ids).zip(answers) {
        out.server(format!("{request} (request id {id}) → {answer}"));
    }
    out.caller(format!("done: {} {body}", done.status));
    let ok = body["name"] == "thing"
        && seen
            == [
                "PUT /things/1",
                "GET /operations/1",
                "GET /operations/1",
                "GET /things/1",
            ]
        && all_same(&ids)
        && server.served_as_scripted();
    Ok(Outcome::new(ok, "201 → InProgress → Succeeded → final GET"))
}

const STREAMING: Step = Step::new(
    "Streaming",
    "A chunked download read in blocks of with_block_size",
);

/// Chunks of any size on the wire come out as blocks of the call's block size.
async fn streaming(client: &Client, out: Out) -> StepResult {
    let payload = pattern(20_000);
    let cuts = [0, 7, 1007, 1010, payload.len()];
    let chunks: Vec<Bytes> = cuts
        .windows(2)
        .map(|w| Bytes::copy_from_slice(&payload[w[0]..w[1]]))
        .collect();
    let chunk_sizes: Vec<usize> = chunks.iter().map(Bytes::len).collect();
    let server = Service::start([Reply::status(200).chunked(chunks)]);
    let options = Options::new().with_block_size(6000);
    let mut response = client.send(get(&server.url("/big"))?, &options).await?;
    let mut got = Vec::new();
    let mut sizes = Vec::new();
    while let Some(block) = response.next_block().await? {
        sizes.push(block.len());
        got.extend_from_slice(&block);
    }
    let seen = server.last()?.line();
    out.server(format!(
        "{seen} → {} bytes in chunks of {chunk_sizes:?}",
        payload.len()
    ));
    out.caller(format!(
        "with_block_size(6000): blocks of {sizes:?} bytes, all intact"
    ));
    let ok = got == payload && sizes == [6000, 6000, 6000, 2000] && server.served_as_scripted();
    Ok(Outcome::new(ok, format!("blocks of {sizes:?}")))
}

const BLOCKING_PAGING: Step = Step::new(
    "Blocking: paging",
    "The blocking client: a pager with continuation tokens in a header",
);

/// Tokens in a response header, sent back in a request header, with the blocking pager.
fn blocking_paging(client: &BlockingClient, out: Out) -> StepResult {
    let server = Service::handler(|r: &Recorded| {
        let (items, next) = match r.header("x-ms-continuation") {
            None => (json!(["d1", "d2"]), Some("k1")),
            Some("k1") => (json!(["d3"]), Some("k2")),
            Some("k2") => (json!(["d4", "d5"]), None),
            Some(_) => return Reply::status(404),
        };
        let reply = json_reply(200, &json!({"Documents": items}));
        next.map_or(reply.clone(), |token| {
            reply.header("x-ms-continuation", token)
        })
    });
    let strategy = PageStrategy::token_in_header("x-ms-continuation", "x-ms-continuation")
        .with_items("Documents");
    let first = get(&server.url("/docs"))?;
    let pager: BlockingPager<String> = BlockingPager::new(client, first, strategy, &Options::new());
    let mut items = Vec::new();
    let mut tokens = Vec::new();
    for page in pager.pages().take(MAX_PAGES) {
        let page = page?;
        let seen = server.last()?;
        let token = seen
            .header("x-ms-continuation")
            .unwrap_or("none")
            .to_owned();
        out.server(format!("{} x-ms-continuation: {token} → 200", seen.line()));
        let next = page
            .continuation_token
            .as_deref()
            .unwrap_or("none, the end");
        out.caller(format!("page {:?}, next token {next}", page.items));
        items.extend(page.items);
        tokens.push(token);
    }
    let ok = items == ["d1", "d2", "d3", "d4", "d5"]
        && tokens == ["none", "k1", "k2"]
        && server.served_as_scripted();
    Ok(Outcome::new(
        ok,
        format!(
            "{} pages, {} items, header tokens",
            tokens.len(),
            items.len()
        ),
    ))
}

const BLOCKING_POLLER: Step = Step::new(
    "Blocking: poller",
    "The blocking client: a poller resumed from its token (Operation-Location)",
);

/// Start an operation, keep only its token, and finish it from a fresh poller, as another
/// process would.
fn blocking_poller(client: &BlockingClient, out: Out) -> StepResult {
    let polls = AtomicUsize::new(0);
    let server = Service::handler(
        move |r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
            ("PUT", "/things/3") => Reply::status(202)
                .header("operation-location", "/operations/3")
                .header("retry-after-ms", "20"),
            ("GET", "/operations/3") if polls.fetch_add(1, Ordering::SeqCst) == 0 => {
                json_reply(200, &json!({"status": "Running"})).header("retry-after-ms", "20")
            }
            ("GET", "/operations/3") => json_reply(200, &json!({"status": "Succeeded"})),
            ("GET", "/things/3") => json_reply(200, &json!({"name": "three"})),
            _ => Reply::status(404),
        },
    );
    let lro = || LroOptions::new().with_polling_interval(Duration::from_millis(20));
    let put = Request::new(Method::PUT, server.url("/things/3").parse()?);
    let token = BlockingPoller::begin(client, put, &Options::new(), lro())?.continuation_token();
    out.caller(format!(
        "begun; kept only its continuation token ({} bytes)",
        token.len()
    ));
    let resumed = BlockingPoller::from_continuation_token(client, &token, &Options::new(), lro())?;
    let done = resumed.wait()?;
    let body: Value = done.json()?.ok_or("an empty final body")?;
    let answers = [
        "202, operation-location: /operations/3",
        "Running",
        "Succeeded",
        "200",
    ];
    let seen: Vec<String> = server.requests().iter().map(Recorded::line).collect();
    for (request, answer) in seen.iter().zip(answers) {
        out.server(format!("{request} → {answer}"));
    }
    out.caller(format!(
        "a fresh poller from the token: {} {body}",
        done.status
    ));
    let ok = body["name"] == "three"
        && seen
            == [
                "PUT /things/3",
                "GET /operations/3",
                "GET /operations/3",
                "GET /things/3",
            ]
        && all_same(&request_ids(&server))
        && server.served_as_scripted();
    Ok(Outcome::new(ok, "202 → token → resumed → Succeeded"))
}

const BLOCKING_STREAMING: Step = Step::new(
    "Blocking: streaming",
    "The blocking client: a streamed download, then reading it again",
);

/// A blocking download in blocks; a stream read to the end cannot be read again.
fn blocking_streaming(client: &BlockingClient, out: Out) -> StepResult {
    let server = Service::start([Reply::status(200).body(pattern(20_000))]);
    let options = Options::new().with_block_size(8192);
    let mut response = client.send(get(&server.url("/big"))?, &options)?;
    let mut sizes = Vec::new();
    while let Some(block) = response.next_block()? {
        sizes.push(block.len());
    }
    out.server(format!("{} → 20000 bytes", server.last()?.line()));
    out.caller(format!("with_block_size(8192): blocks of {sizes:?} bytes"));
    let again = response
        .next_block()
        .err()
        .ok_or("a second read succeeded")?;
    out.caller(format!("reading again: ErrorKind::{:?}", again.kind()));
    out.block(&again.to_string());
    let ok = sizes == [8192, 8192, 3616]
        && again.kind() == ErrorKind::StreamConsumed
        && server.served_as_scripted();
    Ok(Outcome::new(
        ok,
        format!("blocks of {sizes:?}, then StreamConsumed"),
    ))
}

const BLOCKING_TIMEOUT: Step = Step::new(
    "Blocking: timeout",
    "The blocking client: a hung server and a read timeout",
);

/// A server that never answers: the read timeout fires and the error says so.
fn blocking_timeout(client: &BlockingClient, out: Out) -> StepResult {
    let server = Service::start([Reply::hang()]);
    let options = Options::new()
        .with_read_timeout(Duration::from_millis(200))
        .with_retry(RetryOptions::none());
    let started = Instant::now();
    let sent = client.send(get(&server.url("/slow"))?, &options);
    let took = started.elapsed();
    let err = sent.err().ok_or("the call succeeded")?;
    out.server(format!("{} → (never answers)", server.last()?.line()));
    let kind = err.kind();
    out.caller(format!(
        "after {took:.0?}: ErrorKind::{kind:?}, is_timeout() = {}",
        err.is_timeout()
    ));
    let ok = err.is_timeout() && took < Duration::from_secs(2);
    Ok(Outcome::new(ok, format!("{kind:?} after {took:.0?}")))
}

// ===== helpers of the steps =====

/// The test server, with the tour's manners: a reply left unused or a request it could not
/// answer is the step's check to report (see [`Service::served_as_scripted`]), never a panic
/// on drop that would cut the tour short before its summary.
#[derive(Debug)]
struct Service(Server);

impl Service {
    fn start(replies: impl IntoIterator<Item = Reply>) -> Self {
        Service(Server::start(replies))
    }

    fn handler(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Service(Server::builder().handler(handler).build())
    }

    /// Whether every scripted reply was used and every request found one.
    fn served_as_scripted(&self) -> bool {
        self.take_failures().is_empty() && self.unused_replies() == 0
    }

    /// The latest request the server saw.
    fn last(&self) -> Result<Recorded, BoxError> {
        Ok(self.requests().pop().ok_or("the server saw no request")?)
    }
}

impl Deref for Service {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.0
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.take_failures();
        self.0.allow_unused();
    }
}

fn get(url: &str) -> Result<Request<Body>, BoxError> {
    Ok(Request::new(Method::GET, url.parse()?))
}

fn json_reply(status: u16, body: &Value) -> Reply {
    Reply::status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
}

/// Sends one request to a server that answers `reply`; the error it fails with and what the
/// server saw.
async fn failed_call(
    client: &Client,
    method: Method,
    path: &str,
    reply: Reply,
    options: &Options,
) -> Result<(Error, Recorded), BoxError> {
    let server = Service::start([reply]);
    let request = Request::new(method, server.url(path).parse()?);
    let sent = client.send(request, options).await;
    let err = sent.err().ok_or("the call succeeded")?;
    Ok((err, server.last()?))
}

/// The error as a caller meets it: the kind to match on, the code, and the `Display` text.
fn show_error(out: Out, seen: &Recorded, answered: &str, err: &Error) {
    out.server(format!("{} → {answered}", seen.line()));
    let status = err
        .status()
        .map_or_else(|| "none".into(), |s| s.as_u16().to_string());
    let code = err.error_code().unwrap_or("none");
    out.caller(format!(
        "ErrorKind::{:?}, status {status}, code {code}",
        err.kind()
    ));
    out.caller("Display:");
    out.block(&err.to_string());
}

/// `METHOD target` and the `If-Match` / `If-None-Match` the request carried.
fn with_conditions(r: &Recorded) -> String {
    ["if-match", "if-none-match"]
        .iter()
        .filter_map(|name| r.header(name).map(|v| format!(" {name}: {v}")))
        .fold(r.line(), |line, header| line + &header)
}

fn request_ids(server: &Server) -> Vec<String> {
    let id = |r: &Recorded| {
        r.header("x-ms-client-request-id")
            .unwrap_or_default()
            .to_owned()
    };
    server.requests().iter().map(id).collect()
}

/// Whether there is at least one value and all are equal (and not empty).
fn all_same(values: &[String]) -> bool {
    values.first().is_some_and(|v| !v.is_empty()) && values.windows(2).all(|w| w[0] == w[1])
}

/// A retry history in a line: each attempt's outcome and the wait after it.
fn history_text(history: &[AttemptRecord]) -> String {
    let attempt = |a: &AttemptRecord| {
        let what = match a.outcome {
            AttemptOutcome::Status(status) => status.to_string(),
            other => format!("{other:?}"),
        };
        a.wait
            .map_or(what.clone(), |wait| format!("{what} (waited {wait:?})"))
    };
    history.iter().map(attempt).collect::<Vec<_>>().join(" → ")
}

/// More pages than a paging step expects; a pager that goes on is stopped there.
const MAX_PAGES: usize = 10;

/// `n` bytes that do not repeat on block boundaries, so a misplaced block would show.
fn pattern(n: usize) -> Vec<u8> {
    (0..=250u8).cycle().take(n).collect()
}

// ===== narration and the summary =====

/// What a step returns: its row in the summary table, or why it could not finish.
type StepResult = Result<Outcome, BoxError>;

/// How long an async step may take before it counts as failed (each takes milliseconds).
const STEP_LIMIT: Duration = Duration::from_secs(10);

/// A step's name in the summary table and its heading.
#[derive(Clone, Copy, Debug)]
struct Step {
    capability: &'static str,
    title: &'static str,
}

impl Step {
    const fn new(capability: &'static str, title: &'static str) -> Self {
        Step { capability, title }
    }
}

/// What one step found: a short account for the table, and whether its check passed.
#[derive(Debug)]
struct Outcome {
    ok: bool,
    shown: String,
}

impl Outcome {
    fn new(ok: bool, shown: impl Into<String>) -> Self {
        let shown = shown.into();
        Outcome { ok, shown }
    }
}

/// Printing, with ANSI colour on a terminal and plain text anywhere else (a pipe, a file, CI)
/// or when `NO_COLOR` is set, so redirected output carries no escape codes.
#[derive(Clone, Copy, Debug)]
struct Out {
    colour: bool,
}

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BOLD_CYAN: &str = "\x1b[1;36m";
const RESET: &str = "\x1b[0m";

impl Out {
    fn detect() -> Self {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Out { colour }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.colour {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    fn heading(self, n: usize, title: &str) {
        println!("\n{}", self.paint(BOLD_CYAN, &format!("== {n}. {title}")));
    }

    /// A line about the server's side of the wire.
    fn server(self, line: impl Display) {
        println!("  {} {line}", self.paint(YELLOW, "server ▸"));
    }

    /// A line about what the calling code got.
    fn caller(self, line: impl Display) {
        println!("  {} {line}", self.paint(GREEN, "caller ◂"));
    }

    /// Multi-line text quoted as it is (an error's `Display`, log lines).
    fn block(self, text: &str) {
        for line in text.lines() {
            println!("      {}", self.paint(DIM, line));
        }
    }

    fn mark(self, ok: bool) -> String {
        if ok {
            self.paint(GREEN, "✓")
        } else {
            self.paint(RED, "✗")
        }
    }
}

/// One row of the summary table.
#[derive(Debug)]
struct Row {
    capability: &'static str,
    outcome: Outcome,
}

/// Runs the steps in order, numbering them, and keeps their rows for the summary.
#[derive(Debug)]
struct Tour {
    out: Out,
    rows: Vec<Row>,
    started: Instant,
}

impl Tour {
    fn new(out: Out) -> Self {
        let started = Instant::now();
        Tour {
            out,
            rows: Vec::new(),
            started,
        }
    }

    /// Runs an async step under its heading (futures are lazy: nothing is sent before the
    /// heading is printed).
    async fn step(&mut self, step: Step, run: impl Future<Output = StepResult>) {
        self.out.heading(self.rows.len() + 1, step.title);
        let limited = tokio::time::timeout(STEP_LIMIT, run).await;
        let result = limited.unwrap_or_else(|_| Err(format!("no end after {STEP_LIMIT:?}").into()));
        self.record(step, result);
    }

    fn step_blocking(&mut self, step: Step, run: impl FnOnce() -> StepResult) {
        self.out.heading(self.rows.len() + 1, step.title);
        let result = run();
        self.record(step, result);
    }

    /// A step that could not finish is a failed row too, its error what was shown.
    fn record(&mut self, step: Step, result: StepResult) {
        let out = self.out;
        let outcome = result.unwrap_or_else(|e| {
            out.caller(out.paint(RED, &format!("the step stopped: {e}")));
            let first = e.to_string().lines().next().unwrap_or_default().to_owned();
            Outcome::new(false, format!("stopped: {first}"))
        });
        if !outcome.ok {
            out.caller(out.paint(RED, "✗ the check of this step failed"));
        }
        let capability = step.capability;
        self.rows.push(Row {
            capability,
            outcome,
        });
    }

    /// Prints the table, and turns the checks into the exit code.
    fn finish(self) -> ExitCode {
        let out = self.out;
        let widest = |cell: fn(&Row) -> usize, header: &str| {
            let cells = self.rows.iter().map(cell);
            cells.max().unwrap_or(0).max(header.chars().count())
        };
        let cap = widest(|r| r.capability.chars().count(), "Capability");
        let shown = widest(|r| r.outcome.shown.chars().count(), "What was shown");
        println!("\n{}", out.paint(BOLD_CYAN, "== Summary"));
        let head = format!(
            " #  {:<cap$}  {:<shown$}  Result",
            "Capability", "What was shown"
        );
        println!("{}", out.paint(BOLD, &head));
        println!("{}", "─".repeat(head.chars().count()));
        for (i, row) in self.rows.iter().enumerate() {
            let mark = out.mark(row.outcome.ok);
            let (capability, shown_text) = (row.capability, &row.outcome.shown);
            println!(
                "{:>2}  {capability:<cap$}  {shown_text:<shown$}  {mark}",
                i + 1
            );
        }
        let passed = self.rows.iter().filter(|r| r.outcome.ok).count();
        let all = passed == self.rows.len();
        let seconds = self.started.elapsed().as_secs_f64();
        let line = format!(
            "{passed} of {} steps passed in {seconds:.1} s",
            self.rows.len()
        );
        println!("\n{}", out.paint(if all { GREEN } else { RED }, &line));
        if all {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}
