//! The clientcore half of the differential suite (`difftest/`): sends every case of a cases
//! file through the real blocking client to a local server that answers with the case's
//! status, reason, headers and body, and prints what the caller gets, one JSON object a line.
//! `difftest/compare.py` runs the Python reference on the same cases and compares.
//!
//! `cargo run -q -p clientcore --example difftest -- difftest/cases.json`

use clientcore::format::text;
use clientcore::{BlockingClient, ErrorFormat, ErrorMap, Options, Request, RetryOptions};
use clientcore_testkit::{Reply, Server};
use http::Method;
use serde_json::{json, Value};
use std::io::Write as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: difftest <cases.json>")?;
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let replies: Vec<Reply> = cases.iter().map(reply).collect::<Result<_, _>>()?;
    let server = Server::start(replies);
    // No retries and no redirects: one request per case, the first answer is the answer.
    let client = BlockingClient::builder()
        .options(Options::new().with_retry(RetryOptions::new().with_total(0)))
        .build()?;
    let mut out = std::io::stdout().lock();
    for (i, case) in cases.iter().enumerate() {
        let line = run(&client, &server.url(&format!("/case/{i}")), case)?;
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn field<'a>(case: &'a Value, name: &str) -> Option<&'a str> {
    case.get(name).and_then(Value::as_str)
}

fn reply(case: &Value) -> Result<Reply, Box<dyn std::error::Error>> {
    let status = case["status"].as_u64().ok_or("status")?;
    let mut reply = Reply::status(u16::try_from(status)?);
    if let Some(reason) = field(case, "reason") {
        reply = reply.reason(reason);
    }
    if let Some(headers) = case.get("headers").and_then(Value::as_object) {
        for (name, value) in headers {
            reply = reply.header(name, value.as_str().ok_or("header value")?);
        }
    }
    // The body is a list of `[hex, times]` parts, so that huge bodies stay small on disk.
    let mut body = Vec::new();
    for part in case["body"].as_array().ok_or("body")? {
        let bytes = hex(part[0].as_str().ok_or("body part")?)?;
        let times = usize::try_from(part[1].as_u64().ok_or("body part count")?)?;
        body.extend(std::iter::repeat_n(bytes, times).flatten());
    }
    Ok(reply.body(body))
}

fn hex(s: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    (0..s.len())
        .step_by(2)
        .map(|i| Ok(u8::from_str_radix(s.get(i..i + 2).ok_or("odd hex")?, 16)?))
        .collect()
}

fn format(name: &str) -> Result<ErrorFormat, Box<dyn std::error::Error>> {
    Ok(match name {
        "Auto" => ErrorFormat::Auto,
        "ODataV4" => ErrorFormat::ODataV4,
        "Arm" => ErrorFormat::Arm,
        "ErrorList" => ErrorFormat::ErrorList,
        "Problem" => ErrorFormat::Problem,
        "StorageXml" => ErrorFormat::StorageXml,
        "ODataV3" => ErrorFormat::ODataV3,
        "OAuth" => ErrorFormat::OAuth,
        "None" => ErrorFormat::None,
        other => return Err(format!("unknown format {other}").into()),
    })
}

fn run(
    client: &BlockingClient,
    url: &str,
    case: &Value,
) -> Result<Value, Box<dyn std::error::Error>> {
    let name = field(case, "name").ok_or("name")?;
    let mut options = Options::new()
        .with_error_format(format(field(case, "format").unwrap_or("Auto"))?)
        // Generated code lists its success statuses, so a 304 is an error there too.
        .with_success_statuses(&[200]);
    options = options.with_error_map(if case["conditional"].as_bool() == Some(true) {
        ErrorMap::with_match_conditions()
    } else {
        ErrorMap::generated()
    });
    if let Some(label) = field(case, "encoding") {
        options = options.with_response_encoding(label);
    }
    let request = Request::new(Method::GET, url.parse()?);
    Ok(match client.send(request, &options) {
        Err(err) => {
            let response = err.response();
            json!({
                "name": name,
                "outcome": "error",
                "kind": format!("{:?}", err.kind()),
                "status": err.status().map(|s| s.as_u16()),
                "code": err.service_error().and_then(|s| s.code()),
                "message": err.message(),
                "display": err.to_string(),
                "text": response.and_then(clientcore::CapturedResponse::text),
                "encoding": response.and_then(|r| text::declared(r.headers())).map(|(label, _)| label),
            })
        }
        Ok(mut response) => {
            let encoding = response.encoding().map(str::to_owned);
            let text = response.text();
            let parsed: Result<Value, _> = response.json();
            json!({
                "name": name,
                "outcome": "response",
                "status": response.status().as_u16(),
                "encoding": encoding,
                "text": text.as_ref().ok(),
                "text_error": text.is_err(),
                "json": parsed.as_ref().ok(),
                "json_ok": parsed.is_ok(),
            })
        }
    })
}
