//! The blocking client called where it would block an asynchronous runtime: a clear error,
//! no panic inside tokio, nothing sent; inside `spawn_blocking` it works as anywhere else.

mod support;

use clientcore::http::Method;
use clientcore::{BlockingClient, ErrorKind, Options, Request};
use support::{bounded, Reply, Server};

fn get(server: &Server, path: &str) -> Request<clientcore::Body> {
    Request::new(Method::GET, server.url(path).parse().unwrap())
}

#[test]
fn send_on_a_runtime_thread_is_an_error_and_sends_nothing() {
    bounded(|| {
        let server = Server::start([Reply::status(200).body("ok")]);
        let client = BlockingClient::builder().build().unwrap();
        // The future of a current-thread runtime's `block_on` (as under `#[tokio::main]`).
        let current = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = current
            .block_on(async { client.send(get(&server, "/a"), &Options::new()) })
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other);
        assert!(err.to_string().contains("spawn_blocking"), "{err}");
        assert!(
            err.retry_history().len() <= 1,
            "not retried: {:?}",
            err.retry_history()
        );
        // A task on a multi-thread runtime's worker.
        let multi = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let in_task = client.clone();
        let url = server.url("/b");
        let err = multi
            .block_on(multi.spawn(async move {
                let request = Request::new(Method::GET, url.parse().unwrap());
                in_task.send(request, &Options::new()).map(drop)
            }))
            .unwrap()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other);
        assert!(server.requests().is_empty(), "nothing was sent");

        // Inside `spawn_blocking` the client works; its response is read there too.
        let in_pool = client.clone();
        let url = server.url("/c");
        let body = multi
            .block_on(multi.spawn_blocking(move || {
                let request = Request::new(Method::GET, url.parse().unwrap());
                in_pool.send(request, &Options::new())?.read()
            }))
            .unwrap()
            .unwrap();
        assert_eq!(&body[..], b"ok");
        assert_eq!(server.requests().len(), 1);
        assert_eq!(server.requests()[0].path, "/c");
    });
}

#[test]
fn a_body_read_on_a_runtime_thread_is_an_error() {
    bounded(|| {
        // Larger than what the transport reads ahead with the head, so the read blocks.
        let big = "x".repeat(256 * 1024);
        let server = Server::start([Reply::status(200).body(big)]);
        let client = BlockingClient::builder().build().unwrap();
        let mut response = client.send(get(&server, "/big"), &Options::new()).unwrap();
        let current = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = current.block_on(async { response.read() }).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other);
        assert!(err.to_string().contains("spawn_blocking"), "{err}");
        // Outside it, the same response reads on.
        drop(response);
    });
}
