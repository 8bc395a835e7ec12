//! Control of the connection, per client: a DNS plug-in that overrides a name, and the pool's
//! idle settings (how long and how many idle connections are kept).

#[macro_use]
mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clientcore::options::{PoolSettings, Resolve, ResolveFuture};
use clientcore::{ErrorKind, Options, RetryOptions};
use support::{Reply, Server, TestClient};

/// Resolves every name in `names` to 127.0.0.1 and records what it was asked; fails others.
#[derive(Debug, Clone, Default)]
struct Hosts {
    names: Vec<&'static str>,
    asked: Arc<Mutex<Vec<String>>>,
}

impl Resolve for Hosts {
    fn resolve(&self, host: &str) -> ResolveFuture {
        self.asked.lock().unwrap().push(host.to_owned());
        let known = self.names.contains(&host);
        Box::pin(async move {
            if known {
                Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)])
            } else {
                Err("no such host in the test's table".into())
            }
        })
    }
}

both_drivers!(a_resolver_overrides_a_name, |driver| {
    let server = Server::start([Reply::status(200).body("found")]);
    let hosts = Hosts {
        names: vec!["service.test"],
        ..Hosts::default()
    };
    let client = TestClient::new(driver, Options::new().with_resolver(hosts.clone()));
    let port = server.addr().port();
    let got = client
        .get(&format!("http://service.test:{port}/x"), &Options::new())
        .unwrap();
    assert_eq!(got.body, "found");
    assert_eq!(*hosts.asked.lock().unwrap(), ["service.test"]);
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].headers["host"], format!("service.test:{port}"));
});

both_drivers!(a_name_the_resolver_cannot_find_is_not_sent, |driver| {
    let hosts = Hosts::default();
    let client = TestClient::new(
        driver,
        Options::new()
            .with_resolver(hosts.clone())
            .with_retry(RetryOptions::none()),
    );
    let err = client
        .get("http://nowhere.test:9/x", &Options::new())
        .unwrap_err();
    // Not sent: safe to retry whatever the method.
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err}");
    assert_eq!(*hosts.asked.lock().unwrap(), ["nowhere.test"]);
});

both_drivers!(an_ip_literal_is_not_resolved, |driver| {
    let server = Server::start([Reply::status(200).body("direct")]);
    let hosts = Hosts::default();
    let client = TestClient::new(driver, Options::new().with_resolver(hosts.clone()));
    let got = client.get(&server.url("/x"), &Options::new()).unwrap();
    assert_eq!(got.body, "direct");
    assert!(hosts.asked.lock().unwrap().is_empty());
});

/// Two GETs to `server` through a client with `pool`, `pause` apart.
fn two_calls(driver: support::Driver, pool: Option<PoolSettings>, pause: Duration) -> usize {
    let server = Server::start([Reply::status(200).body("1"), Reply::status(200).body("2")]);
    let options = match pool {
        Some(pool) => Options::new().with_pool(pool),
        None => Options::new(),
    };
    let client = TestClient::new(driver, options);
    client.get(&server.url("/1"), &Options::new()).unwrap();
    // hyper's pool takes a connection back in a task of its own: give it that moment.
    std::thread::sleep(pause + Duration::from_millis(50));
    client.get(&server.url("/2"), &Options::new()).unwrap();
    server.connections()
}

both_drivers!(idle_connections_are_kept_by_default, |driver| {
    assert_eq!(two_calls(driver, None, Duration::from_millis(400)), 1);
});

both_drivers!(an_idle_timeout_closes_idle_connections, |driver| {
    let pool = PoolSettings::new().with_idle_timeout(Some(Duration::from_millis(100)));
    assert_eq!(two_calls(driver, Some(pool), Duration::from_millis(400)), 2);
});

both_drivers!(no_idle_connection_is_kept_at_max_idle_zero, |driver| {
    let pool = PoolSettings::new().with_max_idle_per_host(0);
    assert_eq!(two_calls(driver, Some(pool), Duration::ZERO), 2);
});

both_drivers!(tcp_options_are_taken, |driver| {
    // Keepalive and nodelay are socket options the server cannot see; what can be checked
    // from here is that a client with them set connects and reuses its connection.
    let pool = PoolSettings::new()
        .with_tcp_keepalive(Some(Duration::from_secs(30)))
        .with_tcp_nodelay(false);
    assert_eq!(two_calls(driver, Some(pool), Duration::ZERO), 1);
});
