//! XML models (feature `xml`): `Response::xml` / `BlockingResponse::xml` read serde models with
//! names kept exactly and text as sent (no trimming, entities decoded), and
//! `Request::with_xml` writes them; bad XML is a clear error, never a panic.

#![cfg(feature = "xml")]

mod support;

use std::collections::BTreeMap;

use clientcore::{Body, Error, ErrorKind, Options, Request};
use http::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use support::{Driver, Reply, Server, TestClient};

/// A page of Azure Storage's List Queues, as the service names it.
#[derive(Debug, Deserialize)]
struct EnumerationResults {
    #[serde(rename = "@ServiceEndpoint")]
    service_endpoint: String,
    #[serde(rename = "Prefix")]
    prefix: String,
    #[serde(rename = "Queues")]
    queues: Queues,
    #[serde(rename = "NextMarker")]
    next_marker: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Queues {
    #[serde(rename = "Queue", default)]
    queue: Vec<Queue>,
}

#[derive(Debug, Deserialize)]
struct Queue {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Metadata", default)]
    metadata: BTreeMap<String, String>,
}

/// A put message (request) and a `QueueMessagesList` (answer).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct QueueMessage {
    #[serde(rename = "MessageId", skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(rename = "MessageText")]
    text: String,
}

#[derive(Debug, Deserialize)]
struct QueueMessagesList {
    #[serde(rename = "QueueMessage", default)]
    messages: Vec<QueueMessage>,
}

const LISTING: &str = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
    <EnumerationResults ServiceEndpoint=\"http://127.0.0.1:10001/devstoreaccount1\">\n  \
    <Prefix> q </Prefix>\n  <Queues>\n    \
    <Queue><Name>jobs</Name><Metadata><owner>  ops &amp; dev </owner><tier>gold</tier></Metadata></Queue>\n    \
    <Queue><Name>mail</Name><Metadata/></Queue>\n  </Queues>\n  \
    <NextMarker>/devstoreaccount1/queue3</NextMarker>\n</EnumerationResults>\n";

/// Sends `request` through `driver` and reads the answer as `T` with the driver's `xml`.
fn xml<T: DeserializeOwned>(client: &TestClient, request: Request<Body>) -> Result<T, Error> {
    match client.driver() {
        Driver::Async => client.block_on(async {
            let mut response = client.async_client().send(request, &Options::new()).await?;
            response.xml::<T>().await
        }),
        Driver::Blocking => {
            let mut response = client.blocking_client().send(request, &Options::new())?;
            response.xml::<T>()
        }
    }
}

fn get(server: &Server) -> Request<Body> {
    Request::new(
        Method::GET,
        server.url("/devstoreaccount1?comp=list").parse().unwrap(),
    )
}

both_drivers!(
    a_storage_listing_reads_with_names_and_text_exactly,
    |driver| {
        let server = Server::start([Reply::status(200)
            .header("content-type", "application/xml")
            .body(LISTING)]);
        let client = TestClient::new(driver, Options::new());
        let page: EnumerationResults = xml(&client, get(&server)).unwrap();
        assert_eq!(
            page.service_endpoint,
            "http://127.0.0.1:10001/devstoreaccount1"
        );
        assert_eq!(page.prefix, " q ");
        let names: Vec<_> = page.queues.queue.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["jobs", "mail"]);
        assert_eq!(page.queues.queue[0].metadata["owner"], "  ops & dev ");
        assert_eq!(page.queues.queue[0].metadata["tier"], "gold");
        assert!(page.queues.queue[1].metadata.is_empty());
        assert_eq!(
            page.next_marker.as_deref(),
            Some("/devstoreaccount1/queue3")
        );
    }
);

both_drivers!(
    a_queue_message_goes_out_as_xml_and_comes_back_the_same,
    |driver| {
        let text = "  resize <cat>.png & \"dog\" \n";
        let answer = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList><QueueMessage>\
         <MessageId>m1</MessageId><MessageText>{}</MessageText></QueueMessage>\
         </QueueMessagesList>",
            "  resize &lt;cat&gt;.png &amp; &quot;dog&quot; \n"
        );
        let server = Server::start([Reply::status(201)
            .header("content-type", "application/xml")
            .body(answer)]);
        let client = TestClient::new(driver, Options::new());
        let url = server
            .url("/devstoreaccount1/jobs/messages")
            .parse()
            .unwrap();
        let message = QueueMessage {
            id: None,
            text: text.to_owned(),
        };
        let request = Request::new(Method::POST, url).with_xml(&message).unwrap();
        let list: QueueMessagesList = xml(&client, request).unwrap();

        // What the server saw: the model as XML, escaped, spaces kept, typed as XML.
        let seen = &server.requests()[0];
        assert_eq!(seen.header("content-type"), Some("application/xml"));
        assert_eq!(
            std::str::from_utf8(&seen.body).unwrap(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage><MessageText>  resize \
         &lt;cat&gt;.png &amp; \"dog\" \n</MessageText></QueueMessage>"
        );
        // What the caller got: the same text, byte for byte.
        assert_eq!(
            list.messages,
            [QueueMessage {
                id: Some("m1".into()),
                text: text.to_owned(),
            }]
        );
    }
);

both_drivers!(
    bad_xml_is_a_decode_error_and_a_misfit_a_deserialization_error,
    |driver| {
        let cut = &LISTING[..LISTING.len() / 2];
        let server = Server::start([
            Reply::status(200).body(cut.to_owned()),
            Reply::status(200).body("<EnumerationResults><Queues/></EnumerationResults>"),
            Reply::status(200).body("{\"not\": \"xml\"}"),
        ]);
        let client = TestClient::new(driver, Options::new());
        let err = xml::<EnumerationResults>(&client, get(&server)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
        assert!(err.to_string().starts_with("XML is invalid: "), "{err}");
        let err = xml::<EnumerationResults>(&client, get(&server)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Deserialization, "{err}");
        assert!(err.to_string().contains("ServiceEndpoint"), "{err}");
        let err = xml::<EnumerationResults>(&client, get(&server)).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Decode | ErrorKind::Deserialization),
            "{err}"
        );
    }
);
