//! Cookies end to end: per-call cookies in one `Cookie` header, the client's jar filled from
//! `Set-Cookie` and sent back to the same host only, and cookies dropped on a cross-origin
//! redirect.

mod support;

use std::time::Duration;

use clientcore::{Options, Proxies};
use support::{Reply, Server, TestClient};

fn cookies(server: &Server) -> Vec<Vec<String>> {
    server
        .requests()
        .iter()
        .map(|r| {
            r.headers
                .get_all("cookie")
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

both_drivers!(per_call_cookies_go_in_one_header, |driver| {
    let server = Server::start([Reply::status(200), Reply::status(200)]);
    let client = TestClient::new(driver, Options::new().with_cookie("tenant", "t0"));
    client
        .get(
            &server.url("/1"),
            &Options::new().with_cookie("a", "1").with_cookie("b", "2"),
        )
        .unwrap();
    client.get(&server.url("/2"), &Options::new()).unwrap();
    assert_eq!(
        cookies(&server),
        [
            vec!["tenant=t0; a=1; b=2".to_owned()],
            vec!["tenant=t0".to_owned()]
        ]
    );
});

both_drivers!(set_cookie_is_stored_and_sent_on_the_next_call, |driver| {
    let server = Server::start([
        Reply::status(200).header("set-cookie", "session=xyz; Path=/"),
        Reply::status(200).header("set-cookie", "theme=dark; Path=/"),
        Reply::status(200),
    ]);
    let client = TestClient::new(driver, Options::new());
    client.get(&server.url("/login"), &Options::new()).unwrap();
    client.get(&server.url("/next"), &Options::new()).unwrap();
    client.get(&server.url("/last"), &Options::new()).unwrap();
    let seen = cookies(&server);
    assert_eq!(seen[0], Vec::<String>::new(), "the jar starts empty");
    assert_eq!(seen[1], ["session=xyz"]);
    assert_eq!(seen[2].len(), 1, "one Cookie header: {seen:?}");
    let mut pairs: Vec<&str> = seen[2][0].split("; ").collect();
    pairs.sort_unstable();
    assert_eq!(pairs, ["session=xyz", "theme=dark"]);
});

both_drivers!(jar_and_per_call_cookies_are_sent_together, |driver| {
    let server = Server::start([
        Reply::status(200).header("set-cookie", "session=xyz; Path=/"),
        Reply::status(200),
        Reply::status(200),
    ]);
    let client = TestClient::new(driver, Options::new());
    client.get(&server.url("/login"), &Options::new()).unwrap();
    client
        .get(&server.url("/next"), &Options::new().with_cookie("a", "1"))
        .unwrap();
    client
        .get(
            &server.url("/mine"),
            &Options::new().with_cookie("session", "mine"),
        )
        .unwrap();
    let seen = cookies(&server);
    assert_eq!(seen[1].len(), 1, "one Cookie header: {seen:?}");
    let mut pairs: Vec<&str> = seen[1][0].split("; ").collect();
    pairs.sort_unstable();
    assert_eq!(pairs, ["a=1", "session=xyz"]);
    // On a name clash the call's cookie wins.
    assert_eq!(seen[2], ["session=mine"]);
});

both_drivers!(jar_cookies_stay_with_their_host, |driver| {
    // Cookies are scoped by host, not port (RFC 6265 §8.5), so two hosts are needed: the
    // client talks to them through a local proxy, which answers for both.
    let proxy = Server::builder()
        .proxy()
        .replies([
            Reply::status(200).header("set-cookie", "session=xyz; Path=/"),
            Reply::status(200),
            Reply::status(200),
        ])
        .build();
    let via_proxy =
        Options::new().with_proxies(Proxies::new().with("http", proxy.origin()).without_env());
    let client = TestClient::new(driver, via_proxy);
    client
        .get("http://a.clientcore.test/login", &Options::new())
        .unwrap();
    client
        .get("http://b.clientcore.test/other", &Options::new())
        .unwrap();
    client
        .get("http://a.clientcore.test/again", &Options::new())
        .unwrap();
    let seen = proxy.requests();
    let targets: Vec<&str> = seen.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "http://a.clientcore.test/login",
            "http://b.clientcore.test/other",
            "http://a.clientcore.test/again"
        ]
    );
    assert_eq!(
        cookies(&proxy),
        [vec![], vec![], vec!["session=xyz".to_owned()]]
    );
});

both_drivers!(
    per_call_cookies_are_dropped_on_cross_origin_redirect,
    |driver| {
        let other = Server::start([Reply::status(200)]);
        let origin = Server::start([
            Reply::status(307).header("location", other.url("/there")),
            Reply::status(302).header("location", "/here"),
            Reply::status(200),
        ]);
        let client = TestClient::new(driver, Options::new());
        let call = Options::new().with_cookie("secret", "s1");
        client.get(&origin.url("/start"), &call).unwrap();
        client.get(&origin.url("/same"), &call).unwrap();
        assert_eq!(
            cookies(&origin),
            [
                vec!["secret=s1".to_owned()],
                vec!["secret=s1".to_owned()],
                // A same-origin redirect keeps them.
                vec!["secret=s1".to_owned()]
            ]
        );
        assert_eq!(cookies(&other), [Vec::<String>::new()]);
    }
);

both_drivers!(
    the_jar_keeps_paths_and_forgets_what_the_server_expires,
    |driver| {
        let server = Server::start([
            Reply::status(200)
                .header("set-cookie", "session=xyz; Path=/")
                .header("set-cookie", "scoped=1; Path=/admin")
                .header("set-cookie", "broken"),
            Reply::status(200),
            Reply::status(200),
            Reply::status(200).header("set-cookie", "session=gone; Max-Age=0; Path=/"),
            Reply::status(200),
        ]);
        let client = TestClient::new(driver, Options::new());
        for path in ["/login", "/public", "/admin/users", "/logout", "/after"] {
            client.get(&server.url(path), &Options::new()).unwrap();
        }
        let seen = cookies(&server);
        assert_eq!(
            seen[1],
            ["session=xyz"],
            "a cookie of another path stays home"
        );
        assert_eq!(seen[2].len(), 1, "one Cookie header: {seen:?}");
        let mut pairs: Vec<&str> = seen[2][0].split("; ").collect();
        pairs.sort_unstable();
        assert_eq!(pairs, ["scoped=1", "session=xyz"]);
        assert_eq!(
            seen[4],
            Vec::<String>::new(),
            "Max-Age=0 removes the cookie"
        );
    }
);

both_drivers!(a_server_cannot_grow_the_jar_without_bound, |driver| {
    // RFC 6265 §6.1's minimums are the jar's bounds: 50 cookies per domain, 4096 bytes per
    // cookie. Past them new cookies are dropped; replacing a kept one still works.
    let mut flood = Reply::status(200).header("set-cookie", format!("big={}", "x".repeat(5000)));
    for i in 0..60 {
        flood = flood.header("set-cookie", format!("c{i}=v; Path=/"));
    }
    let server = Server::start([
        flood,
        Reply::status(200).header("set-cookie", "c0=new; Path=/"),
        Reply::status(200),
    ]);
    let client = TestClient::new(driver, Options::new());
    for path in ["/flood", "/replace", "/after"] {
        client.get(&server.url(path), &Options::new()).unwrap();
    }
    let seen = cookies(&server);
    let sent: Vec<&str> = seen[1][0].split("; ").collect();
    assert_eq!(sent.len(), 50, "50 of the 60 kept");
    assert!(
        sent.iter().all(|c| !c.starts_with("big=")),
        "the 5000-byte cookie was dropped"
    );
    for i in 0..50 {
        assert!(
            sent.contains(&format!("c{i}=v").as_str()),
            "c{i} kept first"
        );
    }
    let after: Vec<&str> = seen[2][0].split("; ").collect();
    assert_eq!(after.len(), 50);
    assert!(
        after.contains(&"c0=new"),
        "a kept cookie can still be replaced: {after:?}"
    );
});

both_drivers!(
    a_redirect_s_cookie_goes_with_the_redirected_request,
    |driver| {
        // Every response fills the jar, a redirect's too, before the next attempt is shaped.
        let server = Server::start([
            Reply::status(302)
                .header("set-cookie", "hop=1; Path=/")
                .header("location", "/here"),
            Reply::status(200),
        ]);
        let client = TestClient::new(driver, Options::new());
        client.get(&server.url("/start"), &Options::new()).unwrap();
        assert_eq!(cookies(&server), [vec![], vec!["hop=1".to_owned()]]);
    }
);

both_drivers!(cookie_expiry_follows_the_client_s_clock, |driver| {
    // Dates relative to the fake clock's start, which is the real time when the test begins.
    let in_a_day =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(86_400));
    let server = Server::start([
        Reply::status(200)
            .header("set-cookie", "short=1; Path=/; Max-Age=60")
            .header("set-cookie", format!("dated=2; Path=/; Expires={in_a_day}")),
        Reply::status(200),
        Reply::status(200),
        Reply::status(200),
    ]);
    let client = TestClient::fake_time(driver, Options::new());
    client.get(&server.url("/login"), &Options::new()).unwrap();
    client.clock.advance(Duration::from_secs(59));
    client.get(&server.url("/a"), &Options::new()).unwrap();
    // No real time passes: only the client's clock says the minute is over.
    client.clock.advance(Duration::from_secs(2));
    client.get(&server.url("/b"), &Options::new()).unwrap();
    client.clock.advance(Duration::from_secs(86_400));
    client.get(&server.url("/c"), &Options::new()).unwrap();
    let sorted = |headers: &[String]| {
        let mut pairs: Vec<String> = headers
            .iter()
            .flat_map(|h| h.split("; ").map(str::to_owned))
            .collect();
        pairs.sort();
        pairs
    };
    let seen = cookies(&server);
    assert_eq!(sorted(&seen[1]), ["dated=2", "short=1"]);
    assert_eq!(sorted(&seen[2]), ["dated=2"]);
    assert!(seen[3].is_empty(), "{seen:?}");
});
