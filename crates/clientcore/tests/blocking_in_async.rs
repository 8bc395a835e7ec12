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

/// Records the thread each name is resolved on, and resolves it to 127.0.0.1.
#[derive(Debug, Clone, Default)]
struct ThreadOfResolve(std::sync::Arc<std::sync::Mutex<Vec<(String, std::thread::ThreadId)>>>);

impl clientcore::options::Resolve for ThreadOfResolve {
    fn resolve(&self, host: &str) -> clientcore::options::ResolveFuture {
        let here = std::thread::current().id();
        self.0.lock().unwrap().push((host.to_owned(), here));
        Box::pin(async { Ok(vec![std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)]) })
    }
}

/// The default transport's exchange (its connect included) runs on the thread that called
/// `send`, not on a worker thread the call hands over to and waits for: a small call then
/// costs no thread wake-ups. Threads sharing one client each run their own.
#[test]
fn the_blocking_exchange_runs_on_the_calling_thread() {
    bounded(|| {
        let server = Server::start([
            Reply::status(200).body("first"),
            Reply::status(200).body("second"),
        ]);
        let port = server.addr().port();
        let resolved = ThreadOfResolve::default();
        let client = BlockingClient::builder()
            .options(Options::new().with_resolver(resolved.clone()))
            .build()
            .unwrap();
        let fetch = |client: &BlockingClient, host: &str| {
            let url = format!("http://{host}:{port}/x");
            let request = Request::new(Method::GET, url.parse().unwrap());
            let body = client
                .send(request, &Options::new())
                .unwrap()
                .read()
                .unwrap();
            String::from_utf8(body.to_vec()).unwrap()
        };
        assert_eq!(fetch(&client, "first.test"), "first");
        let other = std::thread::scope(|s| {
            s.spawn(|| (fetch(&client, "second.test"), std::thread::current().id()))
                .join()
                .unwrap()
        });
        assert_eq!(other.0, "second");
        let asked = resolved.0.lock().unwrap().clone();
        assert_eq!(
            asked,
            [
                ("first.test".to_owned(), std::thread::current().id()),
                ("second.test".to_owned(), other.1),
            ]
        );
        assert_eq!(server.requests().len(), 2);
    });
}

/// Threads sharing one client take turns driving its runtime: every call completes, with
/// its own answer, while others are in flight on the same pool.
#[test]
fn threads_sharing_a_blocking_client_all_complete() {
    bounded(|| {
        const THREADS: usize = 8;
        const CALLS: usize = 20;
        let server = Server::start((0..THREADS * CALLS).map(|_| Reply::status(200).body("ok")));
        let client = BlockingClient::builder().build().unwrap();
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (client, server) = (&client, &server);
                s.spawn(move || {
                    for i in 0..CALLS {
                        let body = client
                            .send(get(server, &format!("/t{t}/{i}")), &Options::new())
                            .unwrap()
                            .read()
                            .unwrap();
                        assert_eq!(&body[..], b"ok");
                    }
                });
            }
        });
        let seen = server.requests();
        assert_eq!(seen.len(), THREADS * CALLS);
        for t in 0..THREADS {
            for i in 0..CALLS {
                let path = format!("/t{t}/{i}");
                assert!(seen.iter().any(|r| r.path == path), "{path} not sent");
            }
        }
    });
}
