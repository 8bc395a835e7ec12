//! Requests built with the toolkit's builders arrive as built: query parameters encoded,
//! metadata headers, and JSON, form and multipart bodies with their `Content-Type`.

mod support;

use bytes::Bytes;
use clientcore::pipeline::Multipart;
use clientcore::{Options, Request};
use http::Method;
use support::{Reply, Server, TestClient};

both_drivers!(built_requests_arrive_as_built, |driver| {
    let server = Server::start([Reply::status(200), Reply::status(200), Reply::status(200)]);
    let client = TestClient::new(driver, Options::new());
    let url = server.url("/queues/q1/messages").parse().unwrap();
    let json = Request::new(Method::POST, url)
        .with_query("visibilitytimeout", "30")
        .with_query("note", "a b&c")
        .with_metadata("x-ms-meta-", [("Owner", "ops")])
        .unwrap()
        .with_json(&serde_json::json!({"text": "hello"}))
        .unwrap();
    client.send(json, &Options::new()).unwrap();
    let form = Request::new(Method::POST, server.url("/token").parse().unwrap())
        .with_form([("grant_type", "client_credentials"), ("scope", "a b")]);
    client.send(form, &Options::new()).unwrap();
    let multipart = Multipart::new().text("title", "report").file(
        "data",
        "r.csv",
        "text/csv",
        Bytes::from_static(b"a,b\n"),
    );
    let boundary = multipart.boundary().to_owned();
    let upload = Request::new(Method::POST, server.url("/upload").parse().unwrap())
        .with_multipart(multipart);
    client.send(upload, &Options::new()).unwrap();

    let seen = server.requests();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[0].query.as_deref(),
        Some("visibilitytimeout=30&note=a+b%26c")
    );
    assert_eq!(seen[0].header("x-ms-meta-owner"), Some("ops"));
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
    assert_eq!(seen[0].body, r#"{"text":"hello"}"#);
    assert_eq!(
        seen[1].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(seen[1].body, "grant_type=client_credentials&scope=a+b");
    assert_eq!(
        seen[2].header("content-type"),
        Some(format!("multipart/form-data; boundary={boundary}").as_str())
    );
    assert_eq!(
        seen[2].body,
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nreport\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"r.csv\"\r\n\
             Content-Type: text/csv\r\n\r\na,b\n\r\n--{boundary}--\r\n"
        )
    );
});
