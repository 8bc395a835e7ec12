//! Secrets never print: a proxy's password is not in the `Debug` of the options, either
//! builder or either client.

use clientcore::{BlockingClient, Client, Options, Proxies};

const PASSWORD: &str = "PASSw0rd-7f3e";

fn with_proxy_password() -> Options {
    Options::new().with_proxies(
        Proxies::new()
            .with("http", format!("http://user:{PASSWORD}@proxy.example:8080"))
            .with("https", format!("https://alice:{PASSWORD}@10.0.0.1:3128/"))
            .without_env(),
    )
}

fn assert_redacted(what: &str, shown: &str) {
    assert!(
        !shown.contains(PASSWORD),
        "{what} printed the password: {shown}"
    );
    // Still useful: where the proxy is.
    assert!(shown.contains("proxy.example:8080"), "{what}: {shown}");
    assert!(shown.contains("REDACTED@10.0.0.1:3128"), "{what}: {shown}");
}

#[test]
fn a_proxy_password_is_in_no_debug_string() {
    let options = with_proxy_password();
    assert_redacted("Options", &format!("{options:?}"));
    assert_redacted("Options (alternate)", &format!("{options:#?}"));

    let builder = Client::builder().options(with_proxy_password());
    assert_redacted("ClientBuilder", &format!("{builder:?}"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime.block_on(async { builder.build().unwrap() });
    assert_redacted("Client", &format!("{client:?}"));

    let builder = BlockingClient::builder().options(with_proxy_password());
    assert_redacted("BlockingClientBuilder", &format!("{builder:?}"));
    let client = builder.build().unwrap();
    assert_redacted("BlockingClient", &format!("{client:?}"));
}
